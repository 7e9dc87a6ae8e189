"""The course's figures: the map of Quentin's World and the tutorial's plots.

Grid plots share one layout: cell ``(x, y)`` covers ``[x, x+1] x [y, y+1]``, so
state 0 is bottom left and 99 top right; the x ticks read 0..9 and the y ticks
0, 10, ..., 90 from bottom to top, so a cell's state is its row label plus its
column label. Every function takes ``ax=None`` and makes its own figure when
it is None; none calls ``plt.show()``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.path import Path
from scipy import special  # (not scipy.stats: importing that costs a notebook a second)

from .world import ACTION_LETTERS, ACTION_MOVES, ACTION_NAMES, check_action, check_state

FREE_COLOR = "white"
WALL_COLOR = "#d62728"
START_COLOR = "#2ca02c"
GOAL_COLOR = "gold"
DOOR_CLOSED_COLOR = "#4a2c0f"
DOOR_OPEN_COLOR = "#00b4d8"
ARROW_COLOR = "#1f3b73"


def _new_ax(ax, figsize=(6, 6)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _cell_center(env, state) -> tuple[float, float]:
    return state % env.dim_x + 0.5, state // env.dim_x + 0.5


def _grid_axes(env, ax) -> None:
    """Square cells, labelled ticks at the cell centres, minor ticks on the cell edges."""
    ax.set_xlim(0, env.dim_x)
    ax.set_ylim(0, env.dim_y)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(env.dim_x) + 0.5, [str(x) for x in range(env.dim_x)])
    ax.set_yticks(np.arange(env.dim_y) + 0.5,
                  [str(y * env.dim_x) for y in range(env.dim_y)])
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


def plot_world(env, ax=None, annotate_states=True, show_shortcut=True, label_height=0.35):
    """Draw the map: red walls, green start, gold goal and the shortcut door.

    The "start" and "goal" labels sit ``label_height`` up their cells (0 is the
    bottom edge, 1 the top). The door is a thick solid brown line while closed and a dashed light-blue line once
    ``env.shortcut_open``. Each cell is a ``Rectangle`` with gid ``"cell-<state>"``;
    the door is a line with gid ``"shortcut"``. Returns the axes.
    """
    ax = _new_ax(ax)
    for state in range(env.n_states):
        x, y = state % env.dim_x, state // env.dim_x
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=_cell_color(env, state),
                               edgecolor="0.75", linewidth=0.6, gid=f"cell-{state}"))
        if annotate_states:
            plain = _cell_color(env, state) == FREE_COLOR
            ax.text(x + 0.06, y + 0.94, str(state), ha="left", va="top", fontsize=6,
                    color="0.35" if plain else "black" if state == env.goal_state else "white")
    for state, name in ((env.init_state, "start"), (env.goal_state, "goal")):
        cx, cy = _cell_center(env, state)
        ax.text(cx, cy - 0.5 + label_height, name, ha="center", va="center", fontsize=7.5,
                fontweight="bold")

    handles = [Patch(facecolor=WALL_COLOR, label="wall: entering costs -1"),
               Patch(facecolor=START_COLOR, label="start"),
               Patch(facecolor=GOAL_COLOR, label="goal: entering gives +1")]
    if show_shortcut:
        xs, ys = _door_segment(env)
        if env.shortcut_open:
            style = dict(color=DOOR_OPEN_COLOR, linestyle=(0, (1.5, 1)), linewidth=5,
                         label=f"shortcut (open): up from {env.shortcut_from} is free")
        else:
            style = dict(color=DOOR_CLOSED_COLOR, linestyle="-", linewidth=5,
                         label="shortcut (closed)")
        handles.append(ax.add_line(Line2D(xs, ys, gid="shortcut", zorder=7,
                                          solid_capstyle="butt", **style)))
    _grid_axes(env, ax)
    ax.set_title("Quentin's World" + (" (shortcut open)" if env.shortcut_open else ""))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=2, fontsize=8, frameon=False)
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
    state, action = check_state(state), check_action(action)
    ax = plot_world(env, ax=ax)
    next_state, reward = env.get_outcome(state, action)
    centre = np.array(_cell_center(env, state))
    move = np.array(ACTION_MOVES[action], dtype=float)
    side = np.array([-move[1], move[0]])
    arrow = dict(arrowstyle="-|>", color=ARROW_COLOR, linewidth=3, mutation_scale=22)
    if next_state is None:
        ax.plot(*centre, marker="o", markersize=26, markerfacecolor="none",
                markeredgecolor=ARROW_COLOR, markeredgewidth=2.5, gid="transition-end")
        outcome = "the episode ends"
        label_at, toward = centre - [0, 0.6], np.array([0.0, -1.0])
    elif next_state == state:
        # Leave towards the border on one side, turn, and come back on the other.
        loop = [centre - 0.1 * move + 0.2 * side, centre + 0.55 * move + 0.35 * side,
                centre + 0.55 * move - 0.35 * side, centre - 0.1 * move - 0.2 * side]
        path = Path(loop, [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
        ax.add_patch(FancyArrowPatch(path=path, gid="transition-stay", zorder=5, **arrow))
        outcome = f"stays in {state}"
        label_at, toward = centre - 0.55 * move, -move
    else:
        target = np.array(_cell_center(env, next_state))
        ax.annotate("", xy=target, xytext=centre, gid="transition", zorder=5,
                    arrowprops=dict(shrinkA=0, shrinkB=4, **arrow))
        outcome = f"moves to {next_state}"
        grid_size = np.array([env.dim_x, env.dim_y])
        if np.any((centre + 1.5 * side < 0) | (centre + 1.5 * side > grid_size)):
            side = -side  # keep the label inside the grid
        label_at, toward = centre + 0.2 * move + 0.3 * side, side
    ha = "left" if toward[0] > 0 else "right" if toward[0] < 0 else "center"
    va = "bottom" if toward[1] > 0 else "top" if toward[1] < 0 else "center"
    ax.text(*label_at, f"r = {_signed(reward)}", ha=ha, va=va, fontsize=10,
            fontweight="bold", color=ARROW_COLOR, zorder=6,
            bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor=ARROW_COLOR))
    ax.set_title(f"{state}, {ACTION_NAMES[action]}: {outcome}, reward {_signed(reward)}")
    return ax


def plot_state_action_values(env, value, ax=None):
    """Value of each action (R, U, L, D) against the state number. Returns the axes."""
    ax = _new_ax(ax, figsize=(7, 4))
    for action, letter in enumerate(ACTION_LETTERS):
        ax.plot(range(env.n_states), value[:, action], marker="o", markersize=3,
                linestyle="--", linewidth=0.8, label=letter)
    ax.set(xlabel="State", ylabel="Value", title="Value of each action",
           xlim=(-1, env.n_states))
    ax.legend(title="Action", loc="best", fontsize=8, ncol=2)
    return ax


def plot_quiver_max_action(env, value, ax=None):
    """An arrow in each cell for its greedy action (``argmax``; ties go to R).

    Walls are shaded faintly so the policy can be read against the map.
    Returns the axes.
    """
    ax = _new_ax(ax)
    for state in sorted(env.red_states):
        ax.add_patch(Rectangle((state % env.dim_x, state // env.dim_x), 1, 1,
                               facecolor=WALL_COLOR, alpha=0.2, linewidth=0))
    centres = np.array([_cell_center(env, s) for s in range(env.n_states)])
    moves = np.array(ACTION_MOVES)[np.argmax(value, axis=1)]
    ax.quiver(centres[:, 0], centres[:, 1], moves[:, 0], moves[:, 1], pivot="middle",
              angles="xy", scale_units="xy", scale=1 / 0.6, width=0.006)
    _grid_axes(env, ax)
    ax.grid(which="minor", color="0.8", linewidth=0.6)
    ax.set_title("Greedy (maximum value) action")
    return ax


def plot_heatmap_max_val(env, value, ax=None):
    """Heat map of the maximum value of each state (``value`` may also be 1-D).

    Row 0 of the image is the bottom row of the world. Returns the image, for
    a colorbar.
    """
    ax = _new_ax(ax)
    value = np.asarray(value)
    best = value if value.ndim == 1 else value.max(axis=1)
    im = ax.imshow(best.reshape(env.dim_y, env.dim_x), origin="lower",
                   extent=(0, env.dim_x, 0, env.dim_y), interpolation="none", cmap="afmhot")
    _grid_axes(env, ax)
    ax.set_title("Maximum value per state")
    return im


def plot_rewards(reward_sums, average_range=10, ax=None):
    """Total reward per episode, as a moving average over ``average_range`` episodes.

    As in the tutorial: convolve in 'same' mode, then keep one point every
    ``average_range`` episodes. Returns the axes.
    """
    ax = _new_ax(ax, figsize=(7, 4))
    rewards = np.asarray(reward_sums, dtype=float)
    width = max(1, min(int(average_range), len(rewards)))
    smoothed = np.convolve(rewards, np.ones(width), mode="same") / width
    episodes = np.arange(0, len(rewards), width)
    ax.plot(episodes, smoothed[episodes], marker="o", linestyle="--")
    ax.set(xlabel="Episodes", ylabel="Total reward",
           title=f"Total reward per episode (moving average over {width})")
    return ax


def plot_performance(env, value, reward_sums):
    """Values, greedy actions, rewards and the max-value heat map in a 2x2 figure."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    plot_state_action_values(env, value, ax=axes[0, 0])
    plot_quiver_max_action(env, value, ax=axes[0, 1])
    plot_rewards(reward_sums, ax=axes[1, 0])
    im = plot_heatmap_max_val(env, value, ax=axes[1, 1])
    fig.colorbar(im, ax=axes[1, 1], label="maximum value", shrink=0.9)
    return fig


def plot_steps_per_episode(steps, labels, title=None, legend_title=None,
                           shortcut_episode=None, ax=None, xlim_start=20, ylim=(0, 160)):
    """Steps per episode, one line per curve (e.g. per number of planning steps).

    ``steps`` has shape (n_curves, n_episodes), already averaged, or
    (n_curves, n_experiments, n_episodes): then the line is the mean over the
    experiments and a shaded band its 95% confidence interval (Student t; no
    band with a single experiment). Episodes are numbered from 0, like
    ``shortcut_episode``, which draws a dashed "shortcut appears" line.
    Returns the axes.
    """
    steps = np.asarray(steps, dtype=float)
    if steps.ndim not in (2, 3):
        raise ValueError("steps must have shape (n_curves, n_episodes) or "
                         f"(n_curves, n_experiments, n_episodes), got {steps.shape}.")
    labels = [str(label) for label in labels]
    if len(labels) != len(steps):
        raise ValueError(f"Got {len(labels)} labels for {len(steps)} curves.")
    ax = _new_ax(ax, figsize=(7, 4.5))
    n_episodes = steps.shape[-1]
    episodes = np.arange(n_episodes)
    n_runs = steps.shape[1] if steps.ndim == 3 else 1
    for curve, label in zip(steps, labels):
        mean = curve.mean(axis=0) if steps.ndim == 3 else curve
        line, = ax.plot(episodes, mean, linewidth=1.5, label=label)
        if n_runs > 1:
            sem = curve.std(axis=0, ddof=1) / np.sqrt(n_runs)
            half = sem * special.stdtrit(n_runs - 1, 0.975)  # Student t 97.5% quantile
            ax.fill_between(episodes, mean - half, mean + half, color=line.get_color(),
                            alpha=0.25, linewidth=0)
    handles, names = ax.get_legend_handles_labels()
    if n_runs > 1:
        handles.append(Patch(facecolor="0.6", alpha=0.5))
        names.append(f"95% CI ({n_runs} runs)")
    if shortcut_episode is not None:
        handles.append(ax.axvline(shortcut_episode, linestyle="--", color="gray",
                                  label="shortcut appears"))
        names.append("shortcut appears")
    start = xlim_start if xlim_start is not None and xlim_start < n_episodes - 1 else 0
    ax.set_xlim(start, max(n_episodes - 1, start + 1))
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set(xlabel="Episode", ylabel="Steps per episode")
    if title is not None:
        ax.set_title(title)
    ax.legend(handles, names, title=legend_title, loc="upper right", fontsize=9)
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
    ax.scatter(centers[:, 0], centers[:, 1], s=30 * counts[states], color="black", zorder=8,
               gid="model-coverage")
    ax.set_title(f"Remembered: {known.sum()} of {known.size} state-action pairs\n"
                 "(dot size: how many actions were tried there)", fontsize=10)
    return ax
