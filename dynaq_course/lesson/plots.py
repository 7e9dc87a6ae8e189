"""The course's figures: the map of Quentin's World and the tutorial's plots.

Grid plots share one layout: cell ``(x, y)`` covers ``[x, x+1] x [y, y+1]``, so
state 0 is bottom left and 99 top right; the x ticks read 0..9 and the y ticks
0, 10, ..., 90 from bottom to top, so a cell's state is its row label plus its
column label. Every function takes ``ax=None`` and makes its own figure when
it is None; none calls ``plt.show()``.

pyplot, matplotlib's artists and scipy are imported by the functions that need them,
not by this module, so importing it loads no plotting library. (In a notebook kernel
``style.use_course_style()`` loads pyplot anyway, for the inline figure format; scipy
is then loaded only when a confidence band is computed.)
"""

from __future__ import annotations

import re

import numpy as np

from dynaq_course.lesson import style
from dynaq_course.lesson.style import describe
from dynaq_course.params import grading_now
from dynaq_course.world import ACTION_LETTERS, ACTION_MOVES, ACTION_NAMES, check_action, check_state

# The map's colours (all from style.MAP_COLORS: Okabe-Ito, no red/green pair).
FREE_COLOR = style.MAP_COLORS["free"]
WALL_COLOR = style.MAP_COLORS["wall"]
START_COLOR = style.MAP_COLORS["start"]
GOAL_COLOR = style.MAP_COLORS["goal"]
DOOR_CLOSED_COLOR = style.MAP_COLORS["door_closed"]
DOOR_OPEN_COLOR = style.MAP_COLORS["door_open"]
ARROW_COLOR = style.MAP_COLORS["arrow"]
STATE_FONT_SIZE = 8.5  # the state numbers in the cells


def _new_ax(ax, figsize=(6, 6)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _cell_center(env, state) -> tuple[float, float]:
    return state % env.dim_x + 0.5, state // env.dim_x + 0.5


def greedy_arrows(ax, centres, moves, width: float, **look):
    """One arrow per cell, centred on it, along its greedy move (the map's and the planning view's)."""
    return ax.quiver(
        centres[:, 0],
        centres[:, 1],
        moves[:, 0],
        moves[:, 1],
        pivot="middle",
        angles="xy",
        scale_units="xy",
        scale=1 / 0.6,
        width=width,
        **look,
    )


def _grid_axes(env, ax) -> None:
    """Square cells, labelled ticks at the cell centres, minor ticks on the cell edges."""
    ax.set_xlim(0, env.dim_x)
    ax.set_ylim(0, env.dim_y)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(env.dim_x) + 0.5, [str(x) for x in range(env.dim_x)])
    ax.set_yticks(np.arange(env.dim_y) + 0.5, [str(y * env.dim_x) for y in range(env.dim_y)])
    ax.set_xticks(np.arange(env.dim_x + 1), minor=True)
    ax.set_yticks(np.arange(env.dim_y + 1), minor=True)
    ax.tick_params(which="both", length=0)
    ax.set_xlabel("column (x)")
    ax.set_ylabel("first state of the row")


def _cell_color(env, state) -> str:
    if state == env.init_state:
        return START_COLOR
    if state == env.goal_state:
        return GOAL_COLOR
    if state in env.red_states:
        return WALL_COLOR
    return FREE_COLOR


def _door_segment(env) -> tuple[list[float], list[float]]:
    """End points of the edge shared by the shortcut's two cells."""
    x, y = env.shortcut_from % env.dim_x, env.shortcut_from // env.dim_x
    dx, dy = ACTION_MOVES[env.shortcut_action]
    if dx:  # a vertical edge
        edge_x = x + (dx > 0)
        return [edge_x, edge_x], [y, y + 1]
    edge_y = y + (dy > 0)
    return [x, x + 1], [edge_y, edge_y]


def _world_description(env, show_shortcut: bool) -> str:
    walls = sorted(env.red_states)
    text = (
        f"Map of Quentin's World: {env.dim_x} by {env.dim_y} cells numbered row by row from 0 "
        f"at the bottom left to {env.n_states - 1} at the top right. Start: state {env.init_state}; "
        f"goal: state {env.goal_state}. {len(walls)} wall cells: {', '.join(map(str, walls))}."
    )
    if show_shortcut:
        above = (
            env.shortcut_from + env.dim_x * ACTION_MOVES[env.shortcut_action][1] + ACTION_MOVES[env.shortcut_action][0]
        )
        text += f" The shortcut door between {env.shortcut_from} and {above} is " + (
            "open." if env.shortcut_open else "closed."
        )
    return text


def plot_world(env, ax=None, annotate_states=True, show_shortcut=True, label_height=0.35):
    """Draw the map: vermillion walls, sky-blue start, yellow goal and the shortcut door.

    The "start" and "goal" labels sit ``label_height`` up their cells (0 is the
    bottom edge, 1 the top). The door is a thick solid black line while closed
    and a dotted blue line once ``env.shortcut_open``. Each cell is a
    ``Rectangle`` with gid ``"cell-<state>"``; the door is a line with gid
    ``"shortcut"``. State numbers are black (grey on free cells), large enough
    to read. Sets the figure's description (``style.describe``). Returns the axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    ax = _new_ax(ax)
    for state in range(env.n_states):
        x, y = state % env.dim_x, state // env.dim_x
        ax.add_patch(
            Rectangle(
                (x, y),
                1,
                1,
                facecolor=_cell_color(env, state),
                edgecolor=style.MAP_COLORS["grid"],
                linewidth=0.6,
                gid=f"cell-{state}",
            )
        )
        if annotate_states:
            plain = _cell_color(env, state) == FREE_COLOR
            ax.text(
                x + 0.05,
                y + 0.95,
                str(state),
                ha="left",
                va="top",
                fontsize=STATE_FONT_SIZE,
                color="0.3" if plain else "black",
                gid=f"state-{state}",
            )
    for state, name in ((env.init_state, "start"), (env.goal_state, "goal")):
        cx, cy = _cell_center(env, state)
        ax.text(cx, cy - 0.5 + label_height, name, ha="center", va="center", fontsize=8.5, fontweight="bold")

    handles = [
        Patch(facecolor=WALL_COLOR, edgecolor="0.5", label="wall: entering costs -1"),
        Patch(facecolor=START_COLOR, edgecolor="0.5", label="start"),
        Patch(facecolor=GOAL_COLOR, edgecolor="0.5", label="goal: entering gives +1"),
    ]
    if show_shortcut:
        xs, ys = _door_segment(env)
        if env.shortcut_open:
            door = dict(
                color=DOOR_OPEN_COLOR,
                linestyle=(0, (1, 0.7)),
                linewidth=5,
                label=f"shortcut (open): up from {env.shortcut_from} is free",
            )
        else:
            door = dict(color=DOOR_CLOSED_COLOR, linestyle="-", linewidth=5, label="shortcut (closed)")
        handles.append(ax.add_line(Line2D(xs, ys, gid="shortcut", zorder=7, solid_capstyle="butt", **door)))
    _grid_axes(env, ax)
    ax.set_title("Quentin's World" + (" (shortcut open)" if env.shortcut_open else ""))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=9, frameon=False)
    describe(ax, _world_description(env, show_shortcut))
    return ax


def _signed(number: float) -> str:
    return "0" if number == 0 else f"{number:+g}"


def plot_transition(env, state, action, ax=None):
    """The map with what ``env.get_outcome(state, action)`` does, and its reward.

    A move is an arrow (an annotation with gid ``"transition"`` from ``state``'s
    centre to the next state's); bumping into the border is a U-turn back into
    the cell (gid ``"transition-stay"``); any move from the goal ends the
    episode, drawn as a ring on the goal (gid ``"transition-end"``). Returns
    the axes.
    """
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    state, action = check_state(state), check_action(action)
    ax = plot_world(env, ax=ax)
    next_state, reward = env.get_outcome(state, action)
    centre = np.array(_cell_center(env, state))
    move = np.array(ACTION_MOVES[action], dtype=float)
    side = np.array([-move[1], move[0]])
    arrow = dict(arrowstyle="-|>", color=ARROW_COLOR, linewidth=3, mutation_scale=22)
    if next_state is None:
        ax.plot(
            *centre,
            marker="o",
            markersize=26,
            markerfacecolor="none",
            markeredgecolor=ARROW_COLOR,
            markeredgewidth=2.5,
            gid="transition-end",
        )
        outcome = "the episode ends"
        label_at, toward = centre - [0, 0.6], np.array([0.0, -1.0])
    elif next_state == state:
        # Leave towards the border on one side, turn, and come back on the other.
        loop = [
            centre - 0.1 * move + 0.2 * side,
            centre + 0.55 * move + 0.35 * side,
            centre + 0.55 * move - 0.35 * side,
            centre - 0.1 * move - 0.2 * side,
        ]
        path = Path(loop, [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
        ax.add_patch(FancyArrowPatch(path=path, gid="transition-stay", zorder=5, **arrow))
        outcome = f"stays in {state}"
        label_at, toward = centre - 0.55 * move, -move
    else:
        target = np.array(_cell_center(env, next_state))
        ax.annotate(
            "", xy=target, xytext=centre, gid="transition", zorder=5, arrowprops=dict(shrinkA=0, shrinkB=4, **arrow)
        )
        outcome = f"moves to {next_state}"
        grid_size = np.array([env.dim_x, env.dim_y])
        if np.any((centre + 1.5 * side < 0) | (centre + 1.5 * side > grid_size)):
            side = -side  # keep the label inside the grid
        label_at, toward = centre + 0.2 * move + 0.3 * side, side
    ha = "left" if toward[0] > 0 else "right" if toward[0] < 0 else "center"
    va = "bottom" if toward[1] > 0 else "top" if toward[1] < 0 else "center"
    ax.text(
        *label_at,
        f"r = {_signed(reward)}",
        ha=ha,
        va=va,
        fontsize=10,
        fontweight="bold",
        color=ARROW_COLOR,
        zorder=6,
        bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor=ARROW_COLOR),
    )
    ax.set_title(f"{state}, {ACTION_NAMES[action]}: {outcome}, reward {_signed(reward)}")
    where = ""
    if next_state is not None and next_state in env.red_states:
        where = f" ({next_state} is a wall{', entered for free through the open shortcut' if reward == 0 else ''})"
    elif next_state is not None and next_state == env.goal_state:
        where = f" ({next_state} is the goal)"
    door = " with the shortcut open" if env.shortcut_open else ""
    describe(
        ax,
        f"Map of Quentin's World{door} showing one move: from state {state}, action "
        f"{ACTION_NAMES[action]}, the agent {outcome}{where}; reward {_signed(reward)}.",
    )
    return ax


def plot_state_action_values(env, value, ax=None):
    """Value of each action (R, U, L, D) against the state number. Returns the axes.

    Each action has its own colour, line style and a triangle marker pointing
    its way (``style.ACTION_STYLES``), so the lines are told apart without
    colour too; the legend sits outside the axes, over no data.
    """
    ax = _new_ax(ax, figsize=(7.5, 4))
    value = np.asarray(value, dtype=float)
    for action, letter in enumerate(ACTION_LETTERS):
        ax.plot(
            range(env.n_states),
            value[:, action],
            markersize=4,
            linewidth=0.9,
            label=letter,
            **style.ACTION_STYLES[action],
        )
    ax.set(xlabel="State", ylabel="Value", title="Value of each action", xlim=(-1, env.n_states))
    ax.legend(title="Action", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, borderaxespad=0)
    best = np.unravel_index(np.argmax(value), value.shape)
    describe(
        ax,
        f"Value of each of the four actions (right, up, left, down) against the state number "
        f"0 to {env.n_states - 1}; values range from {value.min():.2f} to {value.max():.2f}, "
        f"highest for state {best[0]}, action {ACTION_NAMES[best[1]]}.",
    )
    return ax


def plot_quiver_max_action(env, value, ax=None):
    """An arrow in each cell for its greedy action (``argmax``; ties go to R).

    Walls are shaded faintly so the policy can be read against the map.
    Returns the axes.
    """
    from matplotlib.patches import Rectangle

    ax = _new_ax(ax)
    for state in sorted(env.red_states):
        ax.add_patch(
            Rectangle((state % env.dim_x, state // env.dim_x), 1, 1, facecolor=WALL_COLOR, alpha=0.2, linewidth=0)
        )
    centres = np.array([_cell_center(env, s) for s in range(env.n_states)])
    moves = np.array(ACTION_MOVES)[np.argmax(value, axis=1)]
    greedy_arrows(ax, centres, moves, width=0.006)
    _grid_axes(env, ax)
    ax.grid(which="minor", color="0.8", linewidth=0.6)
    ax.set_title("Greedy (maximum value) action")
    greedy = np.argmax(value, axis=1)
    counts = ", ".join(f"{ACTION_NAMES[a]} in {int((greedy == a).sum())}" for a in range(len(ACTION_NAMES)))
    path = _greedy_route(env, greedy)
    route = (
        f" Following the arrows from the start ({env.init_state}) reaches the goal in {len(path) - 1} moves."
        if path[-1] == env.goal_state
        else f" Following the arrows from the start ({env.init_state}) does not reach the goal "
        f"(after {len(path) - 1} move{'s' if len(path) != 2 else ''} the next one leads back to a "
        f"state already visited)."
    )
    describe(ax, f"Map with an arrow in each cell for its greedy action (walls shaded): {counts} states." + route)
    return ax


def _greedy_route(env, greedy) -> list[int]:
    """States visited from the start following the greedy actions, until the goal or a repeat."""
    path, seen = [env.init_state], {env.init_state}
    while path[-1] != env.goal_state:
        nxt, _ = env.get_outcome(path[-1], int(greedy[path[-1]]))
        if nxt is None or nxt in seen:
            break
        path.append(nxt)
        seen.add(nxt)
    return path


def plot_heatmap_max_val(env, value, ax=None):
    """Heat map of the maximum value of each state (``value`` may also be 1-D).

    Row 0 of the image is the bottom row of the world. Returns the image, for
    a colorbar.
    """
    ax = _new_ax(ax)
    value = np.asarray(value)
    best = value if value.ndim == 1 else value.max(axis=1)
    im = ax.imshow(
        best.reshape(env.dim_y, env.dim_x),
        origin="lower",
        extent=(0, env.dim_x, 0, env.dim_y),
        interpolation="none",
        cmap="cividis",
    )
    _grid_axes(env, ax)
    ax.set_title("Maximum value per state")
    describe(
        ax,
        f"Heat map of each state's maximum value (cividis colours: dark blue low, yellow high), "
        f"from {best.min():.2f} in state {int(np.argmin(best))} to {best.max():.2f} in state "
        f"{int(np.argmax(best))}.",
    )
    return im


def plot_rewards(reward_sums, average_range=10, ax=None):
    """Total reward per episode, averaged over the ``average_range`` episodes up to each point.

    A trailing moving average: the point at episode e is the mean of episodes
    e - average_range + 1 .. e, so it starts at episode ``average_range - 1``
    and no point mixes in episodes that did not happen (the tutorial's centred
    average with zero padding made its first point an artefact). Returns the axes.
    """
    ax = _new_ax(ax, figsize=(7, 4))
    rewards = np.asarray(reward_sums, dtype=float)
    if rewards.ndim != 1 or len(rewards) == 0:
        raise ValueError(f"reward_sums must be a 1-D sequence of per-episode totals, got shape {rewards.shape}.")
    width = max(1, min(int(average_range), len(rewards)))
    smoothed = np.convolve(rewards, np.ones(width), mode="valid") / width
    episodes = np.arange(width - 1, len(rewards))
    ax.plot(episodes, smoothed, linewidth=1.5, **style.style("dyna-q"))
    ax.set(xlabel="Episode", ylabel="Total reward", title=f"Total reward per episode (mean of the last {width})")
    describe(
        ax,
        f"Total reward per episode over {len(rewards)} episodes, each point the mean of the {width} "
        f"episodes up to it: {smoothed[0]:.2f} at episode {episodes[0]}, {smoothed[-1]:.2f} at "
        f"episode {episodes[-1]}, lowest {smoothed.min():.2f}, highest {smoothed.max():.2f}.",
    )
    return ax


def plot_performance(env, value, reward_sums):
    """Values, greedy actions, rewards and the max-value heat map in a 2x2 figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    plot_state_action_values(env, value, ax=axes[0, 0])
    plot_quiver_max_action(env, value, ax=axes[0, 1])
    plot_rewards(reward_sums, ax=axes[1, 0])
    im = plot_heatmap_max_val(env, value, ax=axes[1, 1])
    fig.colorbar(im, ax=axes[1, 1], label="maximum value", shrink=0.9)
    describe(
        fig,
        " ".join(
            f"{where}: {describe(ax)}"
            for where, ax in zip(("Top left", "Top right", "Bottom left", "Bottom right"), axes.flat)
        ),
    )
    return fig


_K_IN_LABEL = re.compile(r"\bk\s*=\s*(\d+)")


def _curve_styles(labels, planning_steps, styles) -> list[tuple[str | None, dict]]:
    """(agent key, line kwargs) per curve: from ``styles`` (AGENT_STYLES keys), else ``planning_steps``,
    else a "k = <number>" in the label, else the palette in order (no agent key)."""
    n = len(labels)
    if styles is not None:
        if len(styles) != n:
            raise ValueError(f"Got {len(styles)} styles for {n} curves.")
        return [(key, style.style(key)) for key in styles]
    if planning_steps is not None:
        if len(planning_steps) != n:
            raise ValueError(f"Got {len(planning_steps)} planning_steps for {n} curves.")
        return [(style.agent_key(int(k)), style.agent_style(int(k))) for k in planning_steps]
    found = [_K_IN_LABEL.search(label) for label in labels]
    if all(found):
        return [(style.agent_key(int(m.group(1))), style.agent_style(int(m.group(1)))) for m in found]
    return [(None, dict(color=style.PALETTE[i % len(style.PALETTE)], linestyle="-")) for i in range(n)]


def _own_runs(own_steps, own_k, n_curves_default, default_ks):
    """The learner's runs as [(k, runs of shape (n_runs, n_episodes))]."""
    own = np.asarray(own_steps, dtype=float)
    if own.ndim == 2:
        own = own[None]
    if own.ndim != 3 or own.shape[1] < 1 or own.shape[2] < 1:
        raise ValueError(
            "own_steps must have shape (n_runs, n_episodes) or (n_curves, n_runs, n_episodes), "
            f"got {np.asarray(own_steps).shape}."
        )
    if own_k is None:
        if default_ks is None or len(default_ks) != len(own):
            raise ValueError("Give own_k, the planning steps k of your agent (one per curve of own_steps).")
        ks = list(default_ks)
    else:
        ks = [own_k] if np.ndim(own_k) == 0 else list(own_k)
    if len(ks) != len(own):
        raise ValueError(f"Got {len(ks)} own_k for {len(own)} curves of own_steps.")
    if any(int(k) != k or k < 0 for k in ks):
        raise ValueError(f"own_k must be whole numbers >= 0, got {ks}.")
    return [(int(k), runs) for k, runs in zip(ks, own)]


def _nice_top(value: float) -> float:
    """A round upper y limit a little above ``value`` (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    value *= 1.05
    magnitude = 10.0 ** np.floor(np.log10(value))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * magnitude >= value:
            return float(m * magnitude)
    return float(10 * magnitude)


def fewest_steps(shortcut_open: bool = False) -> int:
    """Fewest steps of an episode of Quentin's World with no wall penalty (the learned route's length).

    Breadth-first search from the start to the goal over moves that cost
    nothing, plus the one step from the goal that ends the episode (steps per
    episode count it, as the engine does).
    """
    from dynaq_course.world import QuentinsWorld

    env = QuentinsWorld(shortcut_open=shortcut_open)
    moves, frontier = {env.init_state: 0}, [env.init_state]
    while frontier:
        nxt_frontier = []
        for state in frontier:
            for action in range(env.n_actions):
                nxt, reward = env.get_outcome(state, action)
                if nxt is not None and reward >= 0 and nxt not in moves:
                    moves[nxt] = moves[state] + 1
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return moves[env.goal_state] + 1


def _range_text(a, b) -> str:
    return f"episode {a}" if b - a <= 1 else f"episodes {a}–{b - 1}"


def mean_and_halfwidth(runs, axis: int = 0):
    """The mean over ``axis`` (the runs) and the half-width of its 95% Student-t interval.

    NaN entries (runs that have no value there) are left out; where fewer than two runs
    have a value the half-width is 0. Every confidence band of the course comes from here.
    """
    from scipy import special  # (not scipy.stats: importing that costs a second)

    runs = np.asarray(runs, dtype=float)
    n = np.isfinite(runs).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(runs, axis=axis) if np.isnan(runs).any() else runs.mean(axis=axis)
        if runs.shape[axis] < 2:
            return mean, np.zeros_like(mean)
        sem = np.nanstd(runs, axis=axis, ddof=1) / np.sqrt(np.maximum(n, 1))
        half = sem * special.stdtrit(np.maximum(n - 1, 1), 0.975)  # Student t 97.5% quantile
    return mean, np.where(n >= 2, half, 0.0)


def _mean_and_half(curve, n_runs):
    if curve.ndim == 1:
        return curve, None
    mean, half = mean_and_halfwidth(curve)
    return mean, (half if n_runs >= 2 else None)


def _draw_steps_panel(ax, curves, own, window, shortcut_episode, guides):
    """Draw the curves (label, kwargs, mean, half), the learner's runs and guide lines on ``ax``
    for the episodes of ``window``; returns the legend entries and the highest value shown."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    a, b = window
    handles, names, top = [], [], 0.0
    for label, kwargs, mean, half in curves:
        x = np.arange(len(mean))
        (line,) = ax.plot(x, mean, linewidth=1.8, label=label, **kwargs)
        handles.append(line)
        names.append(label)
        upper = mean if half is None else mean + half
        if half is not None:
            ax.fill_between(x, mean - half, mean + half, color=kwargs["color"], alpha=0.2, linewidth=0)
        if a < len(upper):
            top = max(top, float(np.nanmax(upper[a:b])))
    for k, runs, kwargs in own:
        mean, low, high = runs.mean(axis=0), runs.min(axis=0), runs.max(axis=0)
        x = np.arange(len(mean))
        shown = x[(x >= a) & (x < b)]
        if not len(shown):
            continue
        every = max(1, int(np.ceil(len(shown) / 25)))
        marked = shown[::every]
        ax.plot(
            shown, mean[shown], linewidth=0.9, color=kwargs["color"], linestyle=kwargs["linestyle"], alpha=0.9, zorder=4
        )
        bars = ax.errorbar(
            marked,
            mean[marked],
            yerr=[mean[marked] - low[marked], high[marked] - mean[marked]],
            fmt=style.OWN_MARKER,
            markersize=5.5,
            markerfacecolor="white",
            markeredgecolor=kwargs["color"],
            markeredgewidth=1.3,
            ecolor=kwargs["color"],
            elinewidth=0.9,
            capsize=2.5,
            zorder=5,
            label=f"your agent (k = {k}, {len(runs)} run{'s' if len(runs) != 1 else ''})",
        )
        # the legend shows the thin line, its open circle and a bar
        handles.append((Line2D([], [], color=kwargs["color"], linestyle=kwargs["linestyle"], linewidth=0.9), bars))
        names.append(bars.get_label())
        top = max(top, float(high[shown].max()))
    if shortcut_episode is not None and a <= shortcut_episode < b:
        door = ax.axvline(shortcut_episode, linestyle="--", color=style.REFERENCE_COLOR, label="shortcut appears")
        handles.append(door)
        names.append("shortcut appears")
    for value, label, linestyle in guides:
        handles.append(
            ax.axhline(value, color=style.REFERENCE_COLOR, linewidth=1, linestyle=linestyle, zorder=1, label=label)
        )
        names.append(label)
    ax.set_xlim(a, max(b - 1, a + 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.set(xlabel="Episode", ylabel="Steps per episode")
    ax.grid(alpha=0.25)
    return handles, names, top


def _describe_steps(curves, own, window, shortcut_episode, n_runs) -> str:
    a, b = window
    runs = (
        f"mean of {n_runs} runs with a shaded 95% confidence band"
        if n_runs > 1
        else "one run"
        if n_runs == 1
        else "averaged"
    )
    parts = [f"Steps per episode, {_range_text(a, b)} ({runs})."]
    last = (max(a, b - 10), b)
    if shortcut_episode is not None and a < shortcut_episode < b:
        before = (max(a, shortcut_episode - 50), shortcut_episode)
        after = (min(b - 1, shortcut_episode + min(50, (b - shortcut_episode) // 2)), b)
        parts.append(f"A grey dashed vertical line marks the shortcut appearing at episode {shortcut_episode}.")
        for label, kwargs, mean, _ in curves:
            parts.append(
                f"{label}, {style.look(kwargs)}: {mean[before[0] : before[1]].mean():.1f} steps on "
                f"average over {_range_text(*before)}, {mean[after[0] : after[1]].mean():.1f} over "
                f"{_range_text(*after)}."
            )
    else:
        for label, kwargs, mean, _ in curves:
            parts.append(
                f"{label}, {style.look(kwargs)}: {mean[a]:.1f} steps at episode {a}, "
                f"{mean[last[0] : last[1]].mean():.1f} on average over {_range_text(*last)}."
            )
    for k, runs, kwargs in own:
        mean = runs.mean(axis=0)
        end = min(b, len(mean))
        if a >= end:
            continue
        who = (
            f"Your agent (k = {k}, {len(runs)} run{'s' if len(runs) != 1 else ''}; {style.look(kwargs)} "
            f"with open circles, bars from the lowest to the highest of your runs): "
        )
        if shortcut_episode is not None and a < shortcut_episode < end:
            before = (max(a, shortcut_episode - 50), shortcut_episode)
            after = (min(end - 1, shortcut_episode + min(50, (end - shortcut_episode) // 2)), end)
            parts.append(
                who + f"{mean[before[0] : before[1]].mean():.1f} steps on average over {_range_text(*before)}, "
                f"{mean[after[0] : after[1]].mean():.1f} over {_range_text(*after)}."
            )
        else:
            tail = (max(a, end - 10), end)
            parts.append(
                who + f"{mean[a]:.1f} steps at episode {a}, {mean[tail[0] : tail[1]].mean():.1f} on "
                f"average over {_range_text(*tail)}."
            )
    return " ".join(parts)


def plot_steps_per_episode(
    steps,
    labels,
    title=None,
    legend_title=None,
    shortcut_episode=None,
    ax=None,
    xlim_start=20,
    ylim=None,
    *,
    planning_steps=None,
    styles=None,
    own_steps=None,
    own_k=None,
    episodes=None,
    zoom=None,
):
    """Steps per episode, one line per curve (e.g. per number of planning steps).

    ``steps`` has shape (n_curves, n_episodes), already averaged, or
    (n_curves, n_experiments, n_episodes): then the line is the mean over the
    experiments and a shaded band its 95% confidence interval (Student t; no
    band with a single experiment). Episodes are numbered from 0, like
    ``shortcut_episode``, which draws a dashed "shortcut appears" line.

    Every curve looks as its agent does everywhere in the course
    (``style.AGENT_STYLES``): by ``styles`` (keys), else ``planning_steps``
    (k per curve), else a "k = <number>" in its label; k = 0 is Q-learning's
    black dashed line.

    * ``own_steps``: the learner's own runs, shape (n_runs, n_episodes) or
      (n_curves, n_runs, n_episodes), any sizes; drawn in the colour of
      Dyna-Q with ``own_k`` (one k per curve; default ``planning_steps`` when
      the counts agree) as a thin line with open circles and bars from the
      lowest to the highest of the runs, labelled "your agent (k = …, n runs)".
    * ``episodes=(first, stop)``: show only these episodes (e.g. ``(0, 21)``);
      otherwise from ``xlim_start`` (when the runs are longer) to the end.
    * ``ylim``: None chooses a round range from 0 to just above the highest
      mean, band or own run shown; a pair fixes it.
    * ``zoom``: a second panel on the episodes around the shortcut, with a y
      range fitted to them and the fewest possible steps with the door closed
      and open as grey lines, so that the drop stays readable. Default: on when
      ``shortcut_episode`` is set, ``ax`` is None and no ``episodes`` window is
      asked; a pair ``(first, stop)`` chooses its episodes.

    The legend sits outside the axes (to the right of the last panel), over no
    data. The figure's description for screen readers is set
    (``style.describe``; ``style.caption(ax)`` shows it). Returns the axes of
    the whole run (the zoom panel is ``ax.figure.axes[1]``).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    steps = np.asarray(steps, dtype=float)
    if steps.ndim not in (2, 3):
        raise ValueError(
            f"steps must have shape (n_curves, n_episodes) or (n_curves, n_experiments, n_episodes), got {steps.shape}."
        )
    labels = [str(label) for label in labels]
    if len(labels) != len(steps):
        raise ValueError(f"Got {len(labels)} labels for {len(steps)} curves.")
    looks = _curve_styles(labels, planning_steps, styles)
    default_ks = list(planning_steps) if planning_steps is not None else None
    if (
        default_ks is None
        and all(key in ("q-learning", "dyna-q-1", "dyna-q", "dyna-q-50", "dyna-q-100") for key, _ in looks)
        and styles is None
        and all(_K_IN_LABEL.search(label) for label in labels)
    ):
        default_ks = [int(_K_IN_LABEL.search(label).group(1)) for label in labels]
    own = (
        []
        if own_steps is None
        else [(k, runs, style.agent_style(k)) for k, runs in _own_runs(own_steps, own_k, len(steps), default_ks)]
    )

    n_episodes = steps.shape[-1]
    longest = max([n_episodes] + [runs.shape[1] for _, runs, _ in own])
    n_runs = steps.shape[1] if steps.ndim == 3 else 1
    curves = [
        (label, kwargs, *_mean_and_half(curve, n_runs)) for label, (_, kwargs), curve in zip(labels, looks, steps)
    ]

    if episodes is not None:
        first, stop = (int(e) for e in episodes)
        if grading_now():
            # nbgrader runs the lesson's experiments shortened (experiments.GRADING_SIZE):
            # show what there is rather than stop the notebook over a figure nothing grades.
            stop = min(stop, longest)
            first = min(first, stop - 1)
        if not 0 <= first < stop <= longest:
            raise ValueError(f"episodes must be (first, stop) with 0 <= first < stop <= {longest}, got {episodes!r}.")
        window = (first, stop)
    else:
        start = xlim_start if xlim_start is not None and xlim_start < n_episodes - 1 else 0
        window = (start, n_episodes)

    if zoom is None:
        zoom = shortcut_episode is not None and ax is None and episodes is None and shortcut_episode < n_episodes
    if zoom is True:
        if shortcut_episode is None:
            raise ValueError("zoom=True needs shortcut_episode (the zoom panel shows the episodes around it).")
        zoom = (max(window[0], shortcut_episode - 50), min(n_episodes, shortcut_episode + 100))
    if zoom is not False and zoom is not None:
        if ax is not None:
            raise ValueError("The zoom panel needs a figure of its own: call with ax=None, or zoom=False.")
        zoom = tuple(int(e) for e in zoom)
        if not (len(zoom) == 2 and 0 <= zoom[0] < zoom[1] <= longest):
            raise ValueError(f"zoom must be (first, stop) with 0 <= first < stop <= {longest}, got {zoom!r}.")
        fig, (ax, zoom_ax) = plt.subplots(
            1, 2, figsize=(12.5, 4.6), layout="constrained", gridspec_kw=dict(width_ratios=(3, 2))
        )
    else:
        zoom, zoom_ax = None, None
        ax = _new_ax(ax, figsize=(9.5, 4.6))

    handles, names, top = _draw_steps_panel(ax, curves, own, window, shortcut_episode, [])
    ax.set_ylim(*(ylim if ylim is not None else (0, _nice_top(top))))
    if n_runs > 1:
        handles.append(Patch(facecolor="0.6", alpha=0.5))
        names.append(f"95% CI ({n_runs} runs)")
    description = _describe_steps(curves, own, window, shortcut_episode, n_runs)
    legend_ax = ax
    if zoom_ax is not None:
        guides = [
            (fewest_steps(False), f"fewest steps without a wall penalty, door closed ({fewest_steps(False)})", ":"),
            (fewest_steps(True), f"fewest steps without a wall penalty, door open ({fewest_steps(True)})", (0, (1, 3))),
        ]
        zoom_handles, zoom_names, zoom_top = _draw_steps_panel(zoom_ax, curves, own, zoom, shortcut_episode, guides)
        zoom_ax.set_ylim(0, _nice_top(max(zoom_top, guides[0][0])))
        zoom_ax.set_title(f"Zoom: {_range_text(*zoom)}", fontsize=10)
        handles += zoom_handles[-2:]
        names += zoom_names[-2:]
        legend_ax = zoom_ax
        description += (
            f" The right panel zooms on {_range_text(*zoom)} with the y axis from 0 to "
            f"{zoom_ax.get_ylim()[1]:g}; dotted grey lines mark the fewest steps of a route with no wall penalty: "
            f"{guides[0][0]} with the door closed and {guides[1][0]} with it open."
        )
    if title is not None:
        ax.set_title(title)
    legend_ax.legend(
        handles,
        names,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        borderaxespad=0,
        fontsize=9,
        title_fontsize=9,
    )
    if zoom_ax is not None:
        describe(ax.figure, description)
    describe(ax, description)
    return ax


def plot_model_coverage(env, model, ax=None):
    """The map with a black dot in every state the model knows, sized by how many of
    its actions have been tried there (1 to 4). Returns the axes."""
    known = ~np.isnan(np.asarray(model)[:, :, 0])
    # The start and goal labels go to the bottom of their cells, clear of the dots at the centres.
    ax = plot_world(env, ax=ax, annotate_states=False, label_height=0.16)
    counts = known.sum(axis=1)
    states = np.flatnonzero(counts)
    centers = np.array([_cell_center(env, s) for s in states]).reshape(-1, 2)
    ax.scatter(centers[:, 0], centers[:, 1], s=30 * counts[states], color="black", zorder=8, gid="model-coverage")
    ax.set_title(
        f"Remembered: {known.sum()} of {known.size} state-action pairs\n(dot size: how many actions were tried there)",
        fontsize=10,
    )
    by_count = ", ".join(
        f"{int((counts == n).sum())} with {n}" for n in range(1, known.shape[1] + 1) if (counts == n).any()
    )
    describe(
        ax,
        f"Map of Quentin's World with a dot in each state the model knows: {known.sum()} of "
        f"{known.size} state-action pairs in {len(states)} states"
        + (f" ({by_count} action{'s' if known.shape[1] > 1 else ''} tried)." if len(states) else "."),
    )
    return ax
