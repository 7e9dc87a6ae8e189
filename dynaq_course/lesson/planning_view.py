"""Planning made visible: where value spreads in the first episodes, and a slider over planning updates.

Two views for Section 3, both built on the same recorded run:

* ``planning_snapshots()`` and ``plot_planning_spread()``: the picture Sutton &
  Barto draw in Figure 8.3 (2nd ed.), for Quentin's World. One *behaviour*
  agent (by default Dyna-Q with the largest k asked for) walks the world; every
  agent of ``k_values`` learns from exactly that stream of real transitions,
  plus its own k planning updates after each real step. The only difference
  between the agents is therefore planning. (Q-learning is off-policy, so
  learning from another agent's steps is legitimate.) The figure shows, per
  agent and episode, the value of each state (max over actions, which starts
  at 1), the greedy arrow where that value has changed, and the path walked.
* ``planning_trace()`` and ``planning_step_explorer()``: every planning update
  of one episode of the behaviour agent, with a slider that steps through them
  and redraws one picture in place (same drawing scheme as ``widgets``: an Agg
  canvas, a cached background, new PNG bytes for one ``ipywidgets.Image``).

The behaviour agent is ``agent.learn_environment`` itself, with the course's
model update (``model[s, a] = reward, next_state``) and uniform planning (k
remembered pairs drawn with ``np.random.randint``, each learned from with
``q_learning``), seeded with ``np.random.seed(seed)``: the same call with the
instructor's functions gives the same values. NumPy's global random state is
restored afterwards, so showing these views does not change the notebook's
other random draws. The learners that do not act draw their planning pairs
from their own generator (``np.random.RandomState(seed)``).

As in ``widgets``: while nbgrader runs a notebook (``NBGRADER_EXECUTION``)
the explorer builds and runs nothing and shows one line; while saved notebooks
are built (``DYNAQ_NO_PROGRESS``) it shows its last picture as a plain image.
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle

from dynaq_course.agent import learn_environment, q_learning
from dynaq_course.lesson import style
from dynaq_course.lesson.plots import GOAL_COLOR, START_COLOR, WALL_COLOR, _grid_axes, greedy_arrows
from dynaq_course.lesson.sliders import GradingNote, canvas_png
from dynaq_course.lesson.style import BLACK, BLUISH_GREEN, agent_style
from dynaq_course.params import TUTORIAL_PARAMS, grading_now, static_build
from dynaq_course.world import ACTION_MOVES, ACTION_NAMES, QuentinsWorld

INITIAL_VALUE = 1.0  # learn_environment starts every action value at 1
SEED = 51  # first two episodes that show the spread clearly (checked in the figure)
MAX_STEPS = 1000
CHANGED = 1e-9  # a value further than this from INITIAL_VALUE has changed
# Diverging around the starting value 1: grey below (tried and found worse), white at 1 (unchanged),
# purple above (value that came from the goal). No red, orange, blue or yellow: those are the map's
# walls, start and goal, and the agents' colours.
VALUE_CMAP = LinearSegmentedColormap.from_list("value_change", ["#3d3d3d", "#ffffff", "#3f007d"])
AGENT_NAMES = {0: "Q-learning (k = 0)"}
HIGHLIGHT_COLOR = BLUISH_GREEN  # the pair just replayed (not a colour of the map or of the agents drawn here)


def agent_name(k: int) -> str:
    return AGENT_NAMES.get(k, f"Dyna-Q (k = {k})")


# ------------------------------------------------------------------ recorded data


@dataclass(frozen=True)
class Transition:
    """One real step: ``next_state`` is None when the step ended the episode."""

    state: int
    action: int
    reward: float
    next_state: int | None

    def describe(self) -> str:
        end = "end of episode" if self.next_state is None else str(self.next_state)
        reward = "0" if self.reward == 0 else f"{self.reward:+g}"
        return f"{self.state} {ACTION_NAMES[self.action]} → {end} (r = {reward})"


@dataclass(frozen=True)
class PlanningUpdate:
    """One planning update: the pair replayed from the model and its value before and after."""

    real_step: int  # 1-based number of the real step it followed, within its episode
    replayed: Transition
    before: float
    after: float


@dataclass
class PlanningSnapshots:
    """Values of each agent after each episode, all learned from the same real steps.

    ``episodes[e]`` is the list of real transitions of episode ``e`` (walked by
    the agent with ``behaviour_k`` planning steps); ``values[k][e]`` the value
    table of the agent with ``k`` planning steps at the end of episode ``e``.
    """

    k_values: tuple
    behaviour_k: int
    seed: int
    params: dict
    episodes: list
    values: dict

    def state_values(self, k: int, episode: int) -> np.ndarray:
        """Value of each state (max over actions) of agent ``k`` after ``episode`` (1-based)."""
        return self.values[k][self._index(episode)].max(axis=1)

    def changed_states(self, k: int, episode: int) -> np.ndarray:
        """States whose value (max over actions) is no longer the initial value 1."""
        return changed_states(self.values[k][self._index(episode)])

    def walked(self, episode: int) -> list:
        """The real transitions of ``episode`` (1-based)."""
        return self.episodes[self._index(episode)]

    def _index(self, episode: int) -> int:
        if not 1 <= episode <= len(self.episodes):
            raise ValueError(f"episode must be in 1..{len(self.episodes)}, got {episode!r}.")
        return episode - 1


@dataclass
class PlanningTrace:
    """Every planning update of one episode of the behaviour agent, with the values after each.

    ``tables[0]`` holds the values at the start of the episode; ``tables[i]`` the
    values right after planning update ``i`` (and every real update before it).
    """

    k: int
    episode: int
    seed: int
    params: dict
    steps: list  # the real transitions of the episode
    updates: list  # PlanningUpdate, in order
    tables: np.ndarray  # (len(updates) + 1, n_states, n_actions)

    @property
    def n_updates(self) -> int:
        return len(self.updates)


def _remembered_pairs(model) -> np.ndarray:
    """Flat indices (state * n_actions + action) of the pairs the model knows, in state-then-action order."""
    return np.flatnonzero(~np.isnan(np.asarray(model)[..., 0]).ravel())


def _draw_remembered(model, remembered: np.ndarray, rng):
    """One remembered pair drawn uniformly with ``rng.randint`` and its remembered outcome.

    Draws exactly as a planner that lists the pairs with ``np.argwhere`` and
    picks ``randint(len(pairs))`` does, so a run here matches such a planner's
    run under the same seed.
    """
    state, action = divmod(int(remembered[rng.randint(remembered.size)]), model.shape[1])
    return state, action, model[state, action, 0], model[state, action, 1]


def changed_states(value) -> np.ndarray:
    """States whose value (max over actions) differs from the initial value 1."""
    best = np.asarray(value).max(axis=1)
    return np.flatnonzero(np.abs(best - INITIAL_VALUE) > CHANGED)


def _transition(state, action, reward, next_state) -> Transition:
    terminal = next_state is None or (isinstance(next_state, float) and math.isnan(next_state))
    return Transition(int(state), int(action), float(reward), None if terminal else int(next_state))


class _Recorder:
    """Model update and planner of the course (same random draws) that write down what they do.

    ``learn_environment`` calls ``model_update`` once per real step, then ``plan``:
    the recorder splits the steps into episodes (an episode ends when the goal
    is left or after ``max_steps`` steps) and keeps the values at each episode's
    end; for ``trace_episode`` (0-based) it also keeps every planning update.
    """

    def __init__(self, max_steps: int, trace_episode: int | None = None):
        self.max_steps = max_steps
        self.trace_episode = trace_episode
        self.episodes = [[]]
        self.end_values = []
        self.updates, self.tables = [], []
        # The first table of a trace: the values when the traced episode starts (all 1 for episode 1,
        # else those at the end of the episode before; plan() cannot see them later, because
        # learn_environment makes the real step's Q-learning update before it calls plan).
        self._before_first_step = np.full((QuentinsWorld.n_states, QuentinsWorld.n_actions), INITIAL_VALUE)

    def model_update(self, model, state, action, reward, next_state):
        model[state, action, 0] = reward
        model[state, action, 1] = np.nan if next_state is None else next_state
        self.episodes[-1].append(_transition(state, action, reward, next_state))
        return model

    def plan(self, model, value, params):
        tracing = len(self.episodes) - 1 == self.trace_episode
        if tracing and not self.tables:
            self.tables.append(self._before_first_step)
        remembered = _remembered_pairs(model)
        for _ in range(params["k"]):
            state, action, reward, next_state = _draw_remembered(model, remembered, np.random)
            before = value[state, action]
            value = q_learning(state, action, reward, next_state, value, params)
            if tracing:
                self.updates.append(
                    PlanningUpdate(
                        len(self.episodes[-1]),
                        _transition(state, action, reward, next_state),
                        float(before),
                        float(value[state, action]),
                    )
                )
                self.tables.append(value.copy())
        steps = self.episodes[-1]
        if steps[-1].next_state is None or len(steps) == self.max_steps:
            self.end_values.append(value.copy())
            self.episodes.append([])
        if len(self.episodes) - 1 == self.trace_episode and not self.tables:
            self._before_first_step = value.copy()  # the traced episode starts next
        return value


def _check_params(params) -> dict:
    params = dict(TUTORIAL_PARAMS if params is None else params)
    for name in ("epsilon", "alpha", "gamma"):
        if name not in params:
            raise ValueError(
                f"params must hold 'epsilon', 'alpha' and 'gamma' (e.g. {TUTORIAL_PARAMS}); "
                f"{name!r} is missing from {params!r}."
            )
    params.pop("k", None)  # each agent gets its own k
    return params


def _check_k(k, what="k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"{what} must be a whole number of planning steps, 0 or more; got {k!r}.")
    return int(k)


def _check_count(n, what) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a whole number, at least 1; got {n!r}.")
    return int(n)


def _behaviour_run(k, n_episodes, seed, params, max_steps, trace_episode=None) -> _Recorder:
    """Run ``learn_environment`` with the recorder, seeded, leaving NumPy's global random state as it was."""
    recorder = _Recorder(max_steps, trace_episode)
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        learn_environment(
            QuentinsWorld(), recorder.model_update, recorder.plan, dict(params, k=k), max_steps, n_episodes
        )
    finally:
        np.random.set_state(saved)
    recorder.episodes = recorder.episodes[:n_episodes]
    return recorder


def learn_from_steps(episodes, k: int, params, seed: int) -> list:
    """Values after each episode of an agent that learns from given real steps.

    For every real transition, in order: one Q-learning update, the model
    update, then ``k`` planning updates on pairs drawn uniformly from the model
    (``np.random.RandomState(seed)``). Nothing here acts: the steps are given.
    """
    k = _check_k(k)
    params = dict(_check_params(params), k=k)
    rng = np.random.RandomState(seed)
    value = np.full((QuentinsWorld.n_states, QuentinsWorld.n_actions), INITIAL_VALUE)
    model = np.full(value.shape + (2,), np.nan)
    ends = []
    for steps in episodes:
        for step in steps:
            value = q_learning(step.state, step.action, step.reward, step.next_state, value, params)
            model[step.state, step.action, 0] = step.reward
            model[step.state, step.action, 1] = np.nan if step.next_state is None else step.next_state
            remembered = _remembered_pairs(model)
            for _ in range(k):
                state, action, reward, next_state = _draw_remembered(model, remembered, rng)
                value = q_learning(state, action, reward, next_state, value, params)
        ends.append(value.copy())
    return ends


def planning_snapshots(
    k_values=(0, 50),
    n_episodes: int = 2,
    seed: int = SEED,
    params=None,
    behaviour_k: int | None = None,
    max_steps: int = MAX_STEPS,
) -> PlanningSnapshots:
    """Values after each of the first episodes for each k, all learned from the same real steps.

    The agent with ``behaviour_k`` planning steps (default: the largest of
    ``k_values``) walks ``n_episodes`` episodes of Quentin's World with
    ``learn_environment`` (seeded with ``seed``); its real transitions are then
    fed, unchanged, to every other agent of ``k_values``, which adds its own
    planning. So the agents differ only in how much they plan.
    """
    ks = tuple(_check_k(k, "each k in k_values") for k in (k_values if np.iterable(k_values) else [k_values]))
    if not ks or len(set(ks)) != len(ks):
        raise ValueError(f"k_values must list different numbers of planning steps, got {k_values!r}.")
    n_episodes = _check_count(n_episodes, "n_episodes")
    max_steps = _check_count(max_steps, "max_steps")
    params = _check_params(params)
    behaviour_k = max(ks) if behaviour_k is None else _check_k(behaviour_k, "behaviour_k")
    run = _behaviour_run(behaviour_k, n_episodes, seed, params, max_steps)
    values = {}
    for k in ks:
        ends = run.end_values if k == behaviour_k else learn_from_steps(run.episodes, k, params, seed)
        values[k] = np.array(ends)
    return PlanningSnapshots(ks, behaviour_k, seed, params, run.episodes, values)


def planning_trace(
    k: int = 50, episode: int = 2, seed: int = SEED, params=None, max_steps: int = MAX_STEPS
) -> PlanningTrace:
    """Every planning update of ``episode`` (1-based) of Dyna-Q with ``k`` planning steps.

    The run is the behaviour run of ``planning_snapshots(..., seed=seed)`` with
    ``behaviour_k = k``: the trace's last table is that agent's values at the
    end of ``episode``.
    """
    k = _check_k(k)
    if k == 0:
        raise ValueError("k = 0 makes no planning updates: there is nothing to step through. Use k >= 1.")
    episode = _check_count(episode, "episode")
    params = _check_params(params)
    run = _behaviour_run(k, episode, seed, params, _check_count(max_steps, "max_steps"), trace_episode=episode - 1)
    return PlanningTrace(k, episode, seed, params, run.episodes[episode - 1], run.updates, np.array(run.tables))


# ------------------------------------------------------------------ drawing


def value_norm(tables, initial: float = INITIAL_VALUE) -> TwoSlopeNorm:
    """One colour scale for all panels, centred on the initial value 1 (white: unchanged).

    Each side of 1 stretches to the furthest value of the tables on that side
    (at least 0.1 away), so a small change is still visible on either side.
    """
    best = np.asarray(tables).max(axis=-1)
    return TwoSlopeNorm(initial, vmin=min(float(best.min()), initial - 0.1), vmax=max(float(best.max()), initial + 0.1))


def _draw_map_frame(env, ax) -> list:
    """The map drawn over the value colours: cell lines, hatched walls, outlined start and goal.

    Returns the artists, so that an explorer can draw them again over new colours.
    """
    edges = [[(x, 0), (x, env.dim_y)] for x in range(env.dim_x + 1)] + [
        [(0, y), (env.dim_x, y)] for y in range(env.dim_y + 1)
    ]
    artists = [ax.add_collection(LineCollection(edges, colors="0.8", linewidths=0.5, zorder=2))]
    for state in sorted(env.red_states):
        artists.append(
            ax.add_patch(
                Rectangle(
                    (state % env.dim_x, state // env.dim_x),
                    1,
                    1,
                    fill=False,
                    hatch="////",
                    edgecolor=WALL_COLOR,
                    linewidth=0.8,
                    zorder=3,
                )
            )
        )
    for state, name, color in ((env.init_state, "start", START_COLOR), (env.goal_state, "goal", GOAL_COLOR)):
        x, y = state % env.dim_x, state // env.dim_x
        artists.append(
            ax.add_patch(
                Rectangle((x + 0.06, y + 0.06), 0.88, 0.88, fill=False, edgecolor=color, linewidth=3, zorder=4)
            )
        )
        artists.append(ax.add_patch(Rectangle((x, y), 1, 1, fill=False, edgecolor=BLACK, linewidth=0.8, zorder=4)))
        artists.append(
            ax.text(
                x + 0.5,
                y + 0.15,
                name,
                ha="center",
                va="center",
                fontsize=6.5,
                fontweight="bold",
                zorder=6,
                bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8),
            )
        )
    _grid_axes(env, ax)
    return artists


def _arrow_field(env, value):
    """Cell centres and the greedy move of each state, masked where the value is still 1."""
    centres = np.array([(s % env.dim_x + 0.5, s // env.dim_x + 0.5) for s in range(env.n_states)])
    moves = np.array(ACTION_MOVES, dtype=float)[np.argmax(value, axis=1)]
    unchanged = np.ones(env.n_states, bool)
    unchanged[changed_states(value)] = False
    mask = np.column_stack([unchanged, unchanged])
    return centres, np.ma.masked_array(moves, mask)


def _path_xy(env, steps):
    """Cell centres along the walked transitions (a step that ends the episode adds no point)."""
    states = [steps[0].state] + [s.next_state for s in steps if s.next_state is not None] if steps else []
    return (np.array([s % env.dim_x + 0.5 for s in states]), np.array([s // env.dim_x + 0.5 for s in states]))


def draw_value_panel(ax, env, value, norm, steps=(), path_style=None):
    """One panel: state values as colours, greedy arrows where the value changed, the path walked.

    Returns ``(mesh, quiver, path_line, map_artists)`` so that a caller can
    update them (the colours are a ``pcolormesh`` of one quad per cell: cheap
    to redraw; the map artists go on top of it).
    """
    best = np.asarray(value).max(axis=1)
    mesh = ax.pcolormesh(
        np.arange(env.dim_x + 1),
        np.arange(env.dim_y + 1),
        best.reshape(env.dim_y, env.dim_x),
        cmap=VALUE_CMAP,
        norm=norm,
        zorder=1,
    )
    look = dict(agent_style(0) if path_style is None else path_style)
    xs, ys = _path_xy(env, list(steps))
    (path,) = ax.plot(
        xs,
        ys,
        color=look["color"],
        linestyle=look.get("linestyle", "-"),
        linewidth=2.2,
        alpha=0.8,
        marker="o",
        markersize=3,
        zorder=5,
    )
    centres, moves = _arrow_field(env, value)
    quiver = greedy_arrows(ax, centres, moves, width=0.012, color=BLACK, zorder=7)
    frame = _draw_map_frame(env, ax)
    return mesh, quiver, path, frame


def plot_planning_spread(snapshots: PlanningSnapshots | None = None, episodes=(1, 2), figsize=None, **options):
    """Sutton & Barto's Figure 8.3 for Quentin's World: one row per agent, one column per episode.

    Each panel: the value of every state (max over actions; white is the
    initial value 1), the greedy arrow in the states whose value changed, and
    the path the behaviour agent walked in that episode (the same real steps
    for every row). ``options`` go to ``planning_snapshots`` when
    ``snapshots`` is None. Returns the figure.
    """
    import matplotlib.pyplot as plt

    if snapshots is None:
        snapshots = planning_snapshots(**options)
    elif options:
        raise ValueError(f"pass either snapshots or options for planning_snapshots, not both: {sorted(options)}.")
    episodes = [snapshots._index(e) + 1 for e in episodes]
    env = QuentinsWorld()
    ks = snapshots.k_values
    norm = value_norm([snapshots.values[k][e - 1] for k in ks for e in episodes])
    width = 3.6 * len(episodes) + 1.4
    fig, axes = plt.subplots(
        len(ks), len(episodes), figsize=figsize or (width, 3.7 * len(ks) + 0.9), layout="constrained", squeeze=False
    )
    walker = agent_style(snapshots.behaviour_k)
    for row, k in enumerate(ks):
        for col, episode in enumerate(episodes):
            ax = axes[row, col]
            image, *_ = draw_value_panel(
                ax, env, snapshots.values[k][episode - 1], norm, snapshots.walked(episode), walker
            )
            n = len(snapshots.changed_states(k, episode))
            ax.set_title(
                f"{agent_name(k)}, after episode {episode}\n{n} state{'s' if n != 1 else ''} with a changed value",
                fontsize=10,
            )  # black: sky-blue text on white is too faint to read
            if col:
                ax.set_ylabel("")
            if row < len(ks) - 1:
                ax.set_xlabel("")
    fig.colorbar(image, ax=axes, shrink=0.6, label="value of the state: max over its 4 actions (starts at 1)")
    lengths = ", ".join(f"episode {e}: {len(snapshots.walked(e))} steps" for e in episodes)
    describe = getattr(style, "describe", None)  # figure descriptions for screen readers, where available
    if describe is not None:
        describe(fig, spread_description(snapshots, episodes))
    fig.suptitle(
        f"Same real steps for every row (walked by {agent_name(snapshots.behaviour_k)}, seed "
        f"{snapshots.seed}; {lengths}).\nArrows: greedy action where the value changed; "
        "hatched: walls; line: the path walked",
        fontsize=10,
    )
    return fig


def spread_summary(snapshots: PlanningSnapshots, episodes=(1, 2)) -> str:
    """One line per agent and episode: how many states have a changed value, which, and their values."""
    lines = []
    for k in snapshots.k_values:
        for episode in episodes:
            best = snapshots.state_values(k, episode)
            states = snapshots.changed_states(k, episode)
            listed = ", ".join(f"{s} ({best[s]:.2f})" for s in sorted(states, key=lambda s: -best[s]))
            lines.append(
                f"{agent_name(k):<20} after episode {episode}: {len(states)} state"
                f"{'s' if len(states) != 1 else ''} with a value other than 1" + (f": {listed}" if listed else "")
            )
    return "\n".join(lines)


def spread_description(snapshots: PlanningSnapshots, episodes=(1, 2)) -> str:
    """The figure in words: what each panel shows and which states changed value."""
    walked = "; ".join(f"episode {e}: " + ", ".join(str(s.state) for s in snapshots.walked(e)) for e in episodes)
    return (
        f"{len(snapshots.k_values)} by {len(episodes)} maps of Quentin's World, one row per agent "
        f"({', '.join(agent_name(k) for k in snapshots.k_values)}), one column per episode. Colours: the "
        f"value of each state, white where it is still 1. All agents learned from the same real steps, "
        f"walked by {agent_name(snapshots.behaviour_k)} through the states {walked}. "
        + " ".join(line.strip() + "." for line in spread_summary(snapshots, episodes).splitlines())
    )


# ------------------------------------------------------------------ the slider


class _PixelLayer(Artist):
    """Ready-made RGBA pixels pasted at a fixed place of an Agg canvas (no resampling: fast)."""

    def __init__(self, pixels: np.ndarray, x: int, y: int):
        super().__init__()
        self.pixels, self.x, self.y = pixels, x, y
        self.set_animated(True)

    def draw(self, renderer):
        gc = renderer.new_gc()
        renderer.draw_image(gc, self.x, self.y, self.pixels)
        gc.restore()


@dataclass
class _Frame:
    """What one slider position shows."""

    table: np.ndarray
    real_step: int  # real steps taken so far in the episode
    update: PlanningUpdate | None
    caption: str


class PlanningStepExplorer:
    """A slider over the planning updates of one episode; one picture redrawn in place.

    All value tables are computed when the explorer is built (``planning_trace``);
    a slider move only redraws: the map, colour bar, ticks and labels are drawn
    once and kept as a background, and each move draws the values, arrows, path,
    highlighted pair and caption on it and replaces the image's PNG bytes.
    """

    def __init__(
        self, trace: PlanningTrace, position: int | None = None, width: float = 6.6, height: float = 6.4, dpi: int = 90
    ):
        import ipywidgets as w

        self.trace = trace
        self.env = QuentinsWorld()
        n = trace.n_updates
        position = 0 if position is None else position  # the learner steps forward from the episode's start
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not 0 <= position <= n:
            raise ValueError(f"position must be a whole number in 0..{n} (the planning updates), got {position!r}.")
        self.slider = w.IntSlider(
            value=int(position),
            min=0,
            max=n,
            step=1,
            continuous_update=True,
            description="planning updates done",
            style={"description_width": "initial"},
            layout=w.Layout(width=f"{int(width * dpi)}px"),
        )
        self.image = w.Image(format="png", layout=w.Layout(width=f"{int(width * dpi)}px"))
        self.caption = w.HTML()
        self.box = w.VBox([self.slider, self.image, self.caption])
        self._build_figure(width, height, dpi)
        self.last = {}
        self.timings = []  # seconds per redraw
        self.show(int(position))
        self.slider.observe(lambda change: self.show(int(change["new"])), names="value")

    # -------------------------------------------------------------- figure
    def _build_figure(self, width, height, dpi):
        # Drawn at EXPLORER_SCALE pixels per displayed pixel where the course sets one (sharp on HiDPI screens).
        self.figure = Figure(figsize=(width, height), dpi=dpi * getattr(style, "EXPLORER_SCALE", 1))
        self.canvas = FigureCanvasAgg(self.figure)
        ax = self.ax = self.figure.add_axes([0.11, 0.10, 0.72, 0.76])
        cax = self.figure.add_axes([0.86, 0.10, 0.03, 0.76])
        trace = self.trace
        look = agent_style(trace.k)
        mesh, quiver, path, frame = draw_value_panel(
            ax, self.env, trace.tables[0], norm=value_norm(trace.tables), path_style=look
        )
        self.figure.colorbar(mesh, cax=cax, label="value of the state: max over its actions (starts at 1)")
        self._pair_box = ax.add_patch(
            Rectangle((0, 0), 1, 1, fill=False, edgecolor=HIGHLIGHT_COLOR, linewidth=3, zorder=8)
        )
        self._pair_arrow = ax.add_patch(
            FancyArrowPatch(
                (0.5, 0.5),
                (0.5, 0.5),
                arrowstyle="-|>",
                linewidth=2.5,
                mutation_scale=16,
                color=HIGHLIGHT_COLOR,
                zorder=9,
            )
        )
        self._here = ax.add_line(
            Line2D(
                [],
                [],
                marker="o",
                markersize=10,
                color=look["color"],
                markeredgecolor=BLACK,
                linestyle="none",
                zorder=8,
            )
        )
        # Text that never changes is part of the background; the changing numbers are in the caption below.
        self.figure.text(
            0.47,
            0.965,
            f"{agent_name(trace.k)}, episode {trace.episode} (seed {trace.seed}): "
            f"{trace.n_updates} planning updates after {len(trace.steps)} real steps",
            ha="center",
            va="center",
            fontsize=10.5,
        )
        self.figure.text(
            0.47,
            0.915,
            "green box and arrow: the pair just replayed · big dot: where the agent is\n"
            "arrows: greedy action where the value changed · line: real steps so far",
            ha="center",
            va="center",
            fontsize=8.5,
        )
        moving = [path, quiver, self._pair_box, self._pair_arrow, self._here]
        for artist in [mesh, *frame, *moving]:
            artist.set_animated(True)  # kept out of the background
        self._mesh, self._quiver, self._path = mesh, quiver, path
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        # The map (cell lines, hatched walls, start and goal) must lie over the colours, which change;
        # drawing its hatches at every move costs more than the rest together, so it is drawn once
        # into a transparent layer that each move pastes over the colours.
        overlay = self._map_layer(frame)
        self._animated = [mesh, overlay, *moving]  # drawn in this order at every move

    def _map_layer(self, artists):
        """Draw ``artists`` alone on a transparent canvas and return them as one image artist."""
        renderer = self.canvas.get_renderer()
        renderer.clear()
        for artist in artists:
            artist.draw(renderer)
        height = renderer.height
        x0, y0, x1, y1 = (int(v) for v in self.ax.bbox.extents)
        x0, y0, x1, y1 = max(x0 - 4, 0), max(y0 - 4, 0), x1 + 4, y1 + 4
        pixels = np.asarray(renderer.buffer_rgba())[int(height) - y1 : int(height) - y0, x0:x1].copy()
        return _PixelLayer(np.ascontiguousarray(pixels[::-1]), x0, y0)  # Agg pastes rows bottom up

    def frame(self, position: int) -> _Frame:
        """Values, real steps so far, the update just made and the caption at ``position``."""
        trace = self.trace
        table = trace.tables[position]
        if position == 0:
            caption = (
                f"before the first real step of episode {trace.episode}: the values at the end of "
                f"episode {trace.episode - 1}"
                if trace.episode > 1
                else "before the first real step: every value is 1"
            )
            return _Frame(table, 0, None, caption)
        update = trace.updates[position - 1]
        step = trace.steps[update.real_step - 1]
        pair = update.replayed
        change = update.after - update.before
        caption = (
            f"update {position} of {trace.n_updates}, after real step {update.real_step} of "
            f"{len(trace.steps)} ({step.describe()}); replayed {pair.describe()}: "
            f"Q({pair.state}, {ACTION_NAMES[pair.action]}) {update.before:.3f} → {update.after:.3f} "
            f"({change:+.3f})"
        )
        return _Frame(table, update.real_step, update, caption)

    def _render(self, frame: _Frame, position: int) -> bytes:
        env, trace = self.env, self.trace
        self._mesh.set_array(frame.table.max(axis=1).reshape(env.dim_y, env.dim_x))
        _, moves = _arrow_field(env, frame.table)
        self._quiver.set_UVC(moves[:, 0], moves[:, 1])
        xs, ys = _path_xy(env, trace.steps[: frame.real_step])
        self._path.set_data(xs, ys)
        self._here.set_data(xs[-1:], ys[-1:])
        pair = frame.update.replayed if frame.update else None
        self._pair_box.set_visible(pair is not None)
        self._pair_arrow.set_visible(pair is not None)
        if pair is not None:
            x, y = pair.state % env.dim_x, pair.state // env.dim_x
            self._pair_box.set_xy((x, y))
            dx, dy = ACTION_MOVES[pair.action]
            # centre to edge: stays inside the grid when the move bumps into the border
            self._pair_arrow.set_positions((x + 0.5, y + 0.5), (x + 0.5 + 0.5 * dx, y + 0.5 + 0.5 * dy))
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self._animated:
            if artist.get_visible():
                artist.draw(renderer)
        return canvas_png(self.canvas)

    def show(self, position: int) -> bytes:
        """Redraw the picture and caption for ``position`` (what a slider move does)."""
        start = time.perf_counter()
        frame = self.frame(position)
        png = self._render(frame, position)
        self.image.value = png
        self.caption.value = f'<div style="line-height: 1.4">{html.escape(frame.caption)}</div>'
        self.timings.append(time.perf_counter() - start)
        self.last = {"position": position, "caption": frame.caption, "png": png}
        return png

    def _ipython_display_(self):
        from IPython.display import Image, Markdown, display

        if static_build():
            # A saved notebook cannot move the slider: show where the episode's planning ends up.
            png = self.show(self.trace.n_updates)
            display(Image(data=png, format="png"))
            display(
                Markdown(
                    f"*Run this notebook to move the slider; this is the picture after all "
                    f"{self.trace.n_updates} planning updates of episode {self.trace.episode}.*"
                )
            )
        else:
            display(self.box)


def planning_step_explorer(k: int = 50, episode: int = 2, seed: int = SEED, params=None, position=None, **options):
    """A slider over the planning updates of ``episode`` of Dyna-Q with ``k`` planning steps.

    It starts at ``position`` (default 0: the values before the episode's first
    real step).
    Under nbgrader it builds and runs nothing (``sliders.GradingNote``).
    """
    if grading_now():
        return GradingNote()
    return PlanningStepExplorer(planning_trace(k, episode, seed, params), position=position, **options)
