"""Section 6's figures, drawn from ``further_experiments``' results.

Like ``plots``: every function takes ``ax=None`` (then makes its own figure),
returns the axes, and never calls ``plt.show()``. Every agent looks as
``style.py`` says (Dyna-Q blue, Dyna-Q+ vermillion, darker for a larger bonus
kappa, prioritized sweeping bluish green; in the slippery world the last-outcome model blue,
the counting model with sample updates orange, with expected updates reddish purple),
with its own line style and marker, so the curves are told apart without
colour too; legends sit under the axes, over no data; each panel gets a
text description for screen readers (``style.describe``; ``style.caption(ax)``).

* ``plot_shortcut_use``: share of runs taking the shortcut, episode by episode, per kappa.
* ``plot_discovery_times``: share of runs that have found the shortcut, against episodes since it opened.
* ``plot_dyna_plus_steps``: mean steps per episode per kappa (log scale).
* ``plot_blocking``: the blocking world, mean cumulative reward against real steps (Sutton & Barto's Figure 8.4).
* ``plot_blocking_steps``: the blocking world, mean steps per episode around the change (log scale).
* ``plot_bonus_placement``: share of runs taking the shortcut, the bonus in planning or in action selection.
* ``plot_updates_to_near_optimal``: value updates until near-optimal, uniform against prioritized.
* ``plot_slippery_scores``: value error (or start error, policy loss) against the slip probability,
  per slippery-world agent (``MODEL_LABELS``).
* ``plot_value_scatter``: one run's learned Q against the true Q*, per slippery-world agent.
* ``plot_planning_budget``: a score against the planning budget per real step, counted in planning
  updates or in max-Q evaluations (compute), per slippery-world agent.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import special

from dynaq_course.lesson import style
from dynaq_course.lesson.plots import fewest_steps
from dynaq_course.lesson.style import describe

# The slippery world's agents (further_engine.MODELS): their style keys and their names in figures.
MODEL_KEYS = {"cached": "cached-model", "counting-sample": "counting-sample", "counting": "counting-model"}
MODEL_LABELS = {
    "cached": "last outcome, sample updates",
    "counting-sample": "counts, sample updates",
    "counting": "counts, expected updates",
}
CACHED_COLOR, COUNTING_SAMPLE_COLOR, COUNTING_COLOR = (
    style.AGENT_STYLES[MODEL_KEYS[m]]["color"] for m in ("cached", "counting-sample", "counting")
)
MARKER_NAMES = {"o": "circles", "P": "filled plus signs", "D": "diamonds"}
BUDGET_AXES = {"updates": "planning updates per real step", "evaluations": "max-Q evaluations per real step (compute)"}
UNIFORM_COLOR = style.AGENT_STYLES["uniform-dyna-q"]["color"]
PRIORITIZED_COLOR = style.AGENT_STYLES["prioritized-sweeping"]["color"]
SCORES = {
    "value_error": "mean |Q − Q*| (pairs tried ≥ 10 times)",
    "start_error": "|max Q(start) − V*(start)|",
    "policy_loss": "V*(start) − V(start) of the greedy policy",
}
N_MARKS = 12  # markers along a line of many episodes (they tell the lines apart in grey scale)


def _new_ax(ax, figsize=(8, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _outside_legend(ax, *args, **kwargs):
    """The legend under the axes (below the x label), over no data; two columns keep it short
    and leave the axes their width when a notebook puts two panels side by side."""
    return ax.legend(
        *args,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        borderaxespad=0,
        fontsize=9,
        ncol=2,
        frameon=False,
        **kwargs,
    )


def _kappa_label(kappa) -> str:
    return "Dyna-Q (κ = 0)" if kappa == 0 else f"Dyna-Q+ (κ = {kappa:g})"


def _kappa_key(kappa, k) -> str:
    return style.dyna_plus_key(kappa, k=k)


def model_key(model: str) -> str:
    """The AGENT_STYLES key of the slippery-world agent ``model`` (``"cached"``, ``"counting-sample"``
    or ``"counting"``)."""
    if model not in MODEL_KEYS:
        raise ValueError(f"model must be one of {tuple(MODEL_KEYS)}, got {model!r}.")
    return MODEL_KEYS[model]


def _line(ax, x, y, key, label, n=None, **extra):
    """A line in the agent's style with N_MARKS of its markers spread along it."""
    every = max(1, len(x) // N_MARKS) if n is None else n
    return ax.plot(
        x,
        y,
        label=label,
        markevery=(every // 2, every),
        markersize=5,
        linewidth=1.6,
        **style.style(key, marker=True),
        **extra,
    )[0]


def _moving_average(x, window):
    window = max(1, int(window))
    kernel = np.ones(window) / window
    return np.convolve(x, kernel, mode="valid"), window


def _kappa_lines(ax, result, per_run, window):
    """One line per kappa of ``result`` (a ``DynaPlusResult``) in its agent's style: ``per_run[i]``
    (runs x episodes) averaged over the runs, then over ``window`` episodes, each point drawn at the
    last episode of its window."""
    for i, kappa in enumerate(result.kappas):
        mean, w = _moving_average(per_run[i].mean(axis=0), window)
        _line(ax, np.arange(w - 1, w - 1 + len(mean)), mean, _kappa_key(kappa, result.k), _kappa_label(kappa))


def _door_line(ax, episode, label):
    ax.axvline(episode, linestyle="--", color=style.REFERENCE_COLOR, label=label)


def _steps_axes(ax, episode, door_label, best_lines, ylabel, title):
    """Finish a steps-per-episode panel: the door line at ``episode``, a dotted line at each best
    route's length (``best_lines``: (door open?, label with ``{steps}``) in legend order; light grey
    without the door, dark grey with it), a log y-axis and the legend. Returns the best routes'
    lengths (door closed, door open)."""
    _door_line(ax, episode, door_label)
    closed, opened = fewest_steps(False), fewest_steps(True)
    for door_open, label in best_lines:
        steps = opened if door_open else closed
        ax.axhline(
            steps, color="0.3" if door_open else "0.6", linewidth=0.8, linestyle=":", label=label.format(steps=steps)
        )
    ax.set_yscale("log")
    ax.set(xlabel="Episode", ylabel=ylabel, title=title)
    _outside_legend(ax)
    return closed, opened


def plot_shortcut_use(result, ax=None, window=10):
    """Share of runs whose episode took the shortcut (64 up to 74), averaged over ``window`` episodes."""
    ax = _new_ax(ax)
    n_runs, n_episodes = result.steps.shape[1], result.steps.shape[2]
    parts = []
    tail = max(result.door_episode, n_episodes - 50)
    _kappa_lines(ax, result, result.door_used, window)
    for i, kappa in enumerate(result.kappas):
        key = _kappa_key(kappa, result.k)
        parts.append(
            f"{_kappa_label(kappa)}, {style.look(style.style(key))}: {result.door_used[i][:, tail:].mean():.0%}"
        )
    _door_line(ax, result.door_episode, "door opens (not shown to the agent)")
    ax.set(
        xlabel="Episode",
        ylabel=f"share of runs taking the shortcut\n(mean over {window} episodes)",
        ylim=(-0.02, 1.02),
        xlim=(max(0, result.door_episode - 20), n_episodes - 1),
        title=f"Who uses the shortcut, episode by episode ({n_runs} runs each, k = {result.k})",
    )
    _outside_legend(ax)
    describe(
        ax,
        f"Share of {n_runs} runs taking the shortcut in each episode (mean over {window} episodes), "
        f"episodes {max(0, result.door_episode - 20)}–{n_episodes - 1}; a grey dashed line marks the "
        f"door opening at episode {result.door_episode}. Share of episodes {tail}–{n_episodes - 1} "
        f"that took the shortcut: " + "; ".join(parts) + ".",
    )
    return ax


def plot_discovery_times(result, ax=None):
    """Share of runs that have taken the shortcut at least once, against episodes since the door opened."""
    ax = _new_ax(ax)
    first = result.first_use()
    after = result.steps.shape[2] - result.door_episode
    episodes = np.arange(after)
    parts = []
    for i, kappa in enumerate(result.kappas):
        found = first[i][first[i] >= 0]
        share = np.array([(found <= e).sum() for e in episodes]) / first.shape[1]
        key = _kappa_key(kappa, result.k)
        ax.step(episodes, share, where="post", label=_kappa_label(kappa), linewidth=1.6, **style.style(key))
        ax.plot(
            episodes[:: max(1, after // N_MARKS)],
            share[:: max(1, after // N_MARKS)],
            linestyle="none",
            marker=style.AGENT_MARKERS[key],
            color=style.AGENT_STYLES[key]["color"],
            markersize=5,
        )
        parts.append(
            f"{_kappa_label(kappa)}, {style.look(style.style(key))}: {share[-1]:.0%}"
            + (f" (half of all runs by episode {int(np.argmax(share >= 0.5))})" if share[-1] >= 0.5 else "")
        )
    handles = [
        plt.Line2D(
            [],
            [],
            marker=style.AGENT_MARKERS[_kappa_key(kappa, result.k)],
            markersize=5,
            **style.style(_kappa_key(kappa, result.k)),
        )
        for kappa in result.kappas
    ]
    ax.set(
        xlabel="Episodes since the door opened",
        ylabel="share of runs that found the shortcut",
        ylim=(-0.02, 1.02),
        title="How soon the shortcut is found",
    )
    _outside_legend(ax, handles, [_kappa_label(kappa) for kappa in result.kappas])
    describe(
        ax,
        f"Share of the {first.shape[1]} runs that have taken the shortcut at least once, against "
        f"episodes since the door opened (0–{after - 1}). Share by the last episode: " + "; ".join(parts) + ".",
    )
    return ax


def plot_dyna_plus_steps(result, ax=None, window=10):
    """Mean steps per episode per kappa (log scale), averaged over ``window`` episodes."""
    ax = _new_ax(ax)
    n_episodes = result.steps.shape[2]
    _kappa_lines(ax, result, result.steps, window)
    parts = [
        f"{_kappa_label(kappa)}: {result.steps[i][:, : result.door_episode].mean():.1f} before, "
        f"{result.steps[i][:, result.door_episode :].mean():.1f} after"
        for i, kappa in enumerate(result.kappas)
    ]
    closed, opened = _steps_axes(
        ax,
        result.door_episode,
        "door opens",
        ((False, "best without door ({steps} steps)"), (True, "best with door ({steps} steps)")),
        ylabel="steps per episode (log scale)",
        title="The price of exploring",
    )
    describe(
        ax,
        f"Mean steps per episode (log scale, mean over {window} episodes), episodes 0–{n_episodes - 1}; "
        f"the door opens at episode {result.door_episode}; dotted lines at the best routes' {closed} and "
        f"{opened} steps. Mean steps "
        f"per episode before and after the door opened: " + "; ".join(parts) + ".",
    )
    return ax


def _since_change(result, change):
    """Per run: (real steps, cumulative reward) at the start and at every episode end, both counted
    from the start of episode ``change``; and the real steps each run had before it."""
    steps, rewards = result.steps[0], result.reward_sums[0]
    zero = np.zeros((steps.shape[0], 1))
    cs = np.concatenate([zero, np.cumsum(steps, axis=1)], axis=1)
    cr = np.concatenate([zero, np.cumsum(rewards, axis=1)], axis=1)
    return cs - cs[:, change : change + 1], cr - cr[:, change : change + 1], cs[:, change]


def plot_blocking(comparison, ax=None, before=1000):
    """Sutton & Barto's Figure 8.4 in Quentin's World: mean cumulative reward against real steps.

    Both are counted from the step at which the door closed in each run (runs reach the change after
    different numbers of steps; aligning them keeps the bend of each run at 0). A run's cumulative
    reward is known at its episode ends and joined by straight lines between them. The x-axis runs
    from ``before`` steps before the change (at most as many as every run had) to as many steps after
    it as every run made.
    """
    ax = _new_ax(ax)
    change = comparison.change_episode
    curves = [_since_change(r, change) for r in comparison.results]
    low = -min([float(before)] + [float(c[2].min()) for c in curves])
    high = min(float(c[0][:, -1].min()) for c in curves)
    grid = np.union1d(np.linspace(low, high, 600), [0.0])  # 0 itself: every curve passes through (0, 0)
    parts, mean_before = [], []
    for agent, (x, y, start) in zip(comparison.agents, curves):
        mean = np.mean([np.interp(grid, xr, yr) for xr, yr in zip(x, y)], axis=0)
        _line(ax, grid, mean, agent.key, agent.label)
        parts.append(
            f"{agent.label}, {style.look(style.style(agent.key))}: {mean[0]:.1f} at {low:.0f} steps, "
            f"{mean[-1]:.1f} at {high:.0f} steps"
        )
        mean_before.append(f"{agent.label} {start.mean():.0f}")
    ax.axvline(0, linestyle="--", color=style.REFERENCE_COLOR, label="the door closes (unannounced)")
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.set(
        xlabel="real steps since the door closed (each run's own step)",
        ylabel="cumulative reward since the door closed\n(mean over runs)",
        title=f"The world gets worse: the door closes ({comparison.results[0].steps.shape[1]} runs each)",
    )
    _outside_legend(ax)
    describe(
        ax,
        f"Mean cumulative reward against real steps, both counted from the step at which the door closed "
        f"in each run (a grey dashed line at 0), from {-low:.0f} steps before to {high:.0f} steps after. "
        f"The door closed at episode {change}, after a mean of "
        + ", ".join(mean_before)
        + " real steps. Mean cumulative reward: "
        + "; ".join(parts)
        + ".",
    )
    return ax


def plot_blocking_steps(comparison, ax=None, before=10, after=60):
    """Mean steps per episode (log scale) from ``before`` episodes before the change to ``after`` after it."""
    ax = _new_ax(ax)
    change = comparison.change_episode
    n_episodes = comparison.results[0].steps.shape[2]
    first, last = max(0, change - before), min(n_episodes, change + after)
    episodes = np.arange(first, last)
    parts = []
    for agent, r in zip(comparison.agents, comparison.results):
        mean = r.steps[0, :, first:last].mean(axis=0)
        _line(ax, episodes, mean, agent.key, agent.label)
        peak = int(np.argmax(mean[change - first :]))
        parts.append(
            f"{agent.label}: {r.steps[0, :, first:change].mean():.1f} before, "
            f"highest {mean[change - first + peak]:.0f} (episode {change + peak}), "
            f"{mean[-10:].mean():.1f} in episodes {last - 10}–{last - 1}"
        )
    closed, opened = _steps_axes(
        ax,
        change,
        "the door closes",
        ((True, "best with the door ({steps} steps)"), (False, "best without it ({steps} steps)")),
        ylabel="steps per episode (log scale, mean over runs)",
        title="Around the change",
    )
    describe(
        ax,
        f"Mean steps per episode (log scale) in episodes {first}–{last - 1}; the door closes at episode "
        f"{change} (grey dashed line); dotted lines at the best episodes' {opened} steps (door open) and "
        f"{closed} steps (closed). Mean steps per episode: " + "; ".join(parts) + ".",
    )
    return ax


def plot_bonus_placement(placement, kappa=0.01, ax=None, window=10):
    """Shortcut world: share of runs taking the door, episode by episode (mean over ``window`` episodes),
    for Dyna-Q and for the bonus ``kappa`` in planning (Dyna-Q+) and in action selection."""
    comparison = placement.shortcut
    chosen = [i for i, a in enumerate(comparison.agents) if a.kappa in (0.0, kappa)]
    if not any(comparison.agents[i].kappa == kappa for i in chosen):
        kappas = sorted({a.kappa for a in comparison.agents if a.kappa > 0})
        raise ValueError(f"kappa must be one of the experiment's bonuses {kappas}, got {kappa!r}.")
    ax = _new_ax(ax)
    change = comparison.change_episode
    n_runs, n_episodes = comparison.results[0].steps.shape[1:]
    tail = max(change, n_episodes - 100)
    parts = []
    for i in chosen:
        agent, r = comparison.agents[i], comparison.results[i]
        share, w = _moving_average(r.door_used[0].mean(axis=0), window)
        _line(ax, np.arange(w - 1, w - 1 + len(share)), share, agent.key, agent.label)
        parts.append(f"{agent.label}, {style.look(style.style(agent.key))}: {r.door_used[0][:, tail:].mean():.0%}")
    _door_line(ax, change, "door opens (not shown to the agent)")
    ax.set(
        xlabel="Episode",
        ylabel=f"share of runs taking the shortcut\n(mean over {window} episodes)",
        ylim=(-0.02, 1.02),
        xlim=(max(0, change - 20), n_episodes - 1),
        title=f"Bonus κ = {kappa:g} in planning or in action selection ({n_runs} runs each)",
    )
    _outside_legend(ax)
    describe(
        ax,
        f"Share of {n_runs} runs taking the shortcut in each episode (mean over {window} episodes), episodes "
        f"{max(0, change - 20)}–{n_episodes - 1}; a grey dashed line marks the door opening at episode "
        f"{change}. Share of episodes {tail}–{n_episodes - 1} that took the shortcut: " + "; ".join(parts) + ".",
    )
    return ax


def plot_updates_to_near_optimal(comparison, ax=None):
    """Value updates until the greedy path is first near-optimal, against the budget per real step:
    the median over ALL runs (bars: quartiles), a run that never got there counting as slower than any
    that did (``SweepComparison.quantile``); each point not reached by every run is labelled with the
    share that got there. A median or quartile that falls on runs that never got there is drawn at the
    top edge with an upward triangle (it is larger than anything measured)."""
    ax = _new_ax(ax)
    n_runs, n_episodes = comparison.uniform.steps.shape[1:]
    quart = {q: comparison.quantile(q) for q in (0.25, 0.5, 0.75)}
    reached = comparison.reached()
    finite = np.concatenate([v[np.isfinite(v)] for by_method in quart.values() for v in by_method.values()])
    top = 1.15 * finite.max() if finite.size else 1.0
    parts, handles, labels = [], [], []
    for (method, key, name), dodge in zip(
        (
            ("uniform", "uniform-dyna-q", "uniform Dyna-Q (k)"),
            ("prioritized", "prioritized-sweeping", "prioritized sweeping (n)"),
        ),
        (0.94, 1.06),
    ):
        settings = np.array(comparison.uniform.settings if method == "uniform" else comparison.prioritized.settings)
        x = settings * dodge
        med, low, high = quart[0.5][method], quart[0.25][method], quart[0.75][method]
        shown = np.where(np.isfinite(med), med, np.nan)  # a median beyond every run: a triangle only
        shown_low = np.where(np.isfinite(low), low, top)
        shown_high = np.where(np.isfinite(high), high, top)
        look = style.style(key, marker=True)
        bars = ax.errorbar(
            x,
            shown,
            yerr=[shown - shown_low, shown_high - shown],
            capsize=3,
            markersize=6,
            linewidth=1.6,
            label=name,
            **look,
        )
        handles.append(bars)
        labels.append(name)
        beyond = ~np.isfinite(high)
        if beyond.any():
            ax.plot(
                x[beyond],
                np.full(beyond.sum(), top),
                linestyle="none",
                marker="^",
                markersize=7,
                color=look["color"],
                clip_on=False,
            )
        shown = np.where(np.isfinite(med), med, top)
        words = []
        for i, setting in enumerate(settings):
            share = reached[method][i]
            if share < 1:
                ax.annotate(
                    f"{share:.0%} reached",
                    (x[i], shown[i]),
                    xytext=(6 if dodge > 1 else -6, 6 if np.isfinite(med[i]) else -14),
                    textcoords="offset points",
                    ha="left" if dodge > 1 else "right",
                    fontsize=8,
                    color=look["color"],
                )
            what = f"{med[i]:,.0f}" if np.isfinite(med[i]) else "not reached by half the runs"
            extra = [] if share == 1 else [f"{share:.0%} got there"]
            if np.isinf(high[i]) and np.isfinite(med[i]):
                extra.append("upper quartile beyond the runs that got there")
            words.append(f"{int(setting)}: {what}" + (f" ({'; '.join(extra)})" if extra else ""))
        parts.append(f"{name}, {style.look(style.style(key))}: " + ", ".join(words))
    ax.set_xscale("log")
    ticks = sorted(set(comparison.uniform.settings) | set(comparison.prioritized.settings))
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_ylim(0, top * 1.02)
    ax.set_xlim(min(ticks) * 0.6, max(ticks) * 1.6)
    ax.set(
        xlabel="budget: planning updates per real step (k, or at most n); log scale",
        ylabel="value updates until near-optimal\n(median of all runs, bars: quartiles)",
        title="Uniform Dyna-Q against prioritized sweeping",
    )
    handles.append(plt.Line2D([], [], linestyle="none"))
    labels.append("NN% reached: share of runs that got there")
    _outside_legend(ax, handles, labels)
    describe(
        ax,
        f"Value updates until the greedy path is first near-optimal: the median over all {n_runs} runs "
        f"(bars: quartiles; a run that never got there within {n_episodes} episodes counts as slower than "
        f"any that did, and a quartile that falls on such runs is drawn as an upward triangle at the top), "
        f"against the budget per real step (log scale); points are labelled with the share of runs that "
        f"got there when not all did. Medians by budget: " + "; ".join(parts) + ".",
    )
    return ax


def _mean_ci(runs):
    """Per row of ``runs`` (rows x runs, NaN ignored): the mean and the half-width of its 95% t interval."""
    mean = np.nanmean(runs, axis=1)
    n = np.isfinite(runs).sum(axis=1)
    sem = np.nanstd(runs, axis=1, ddof=1) / np.sqrt(np.maximum(n, 1))
    return mean, sem * special.stdtrit(np.maximum(n - 1, 1), 0.975)


def plot_slippery_scores(comparison, score="value_error", ax=None):
    """Mean (band: 95% CI over runs) of ``score`` against the slip probability, per agent."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {tuple(SCORES)}, got {score!r}.")
    ax = _new_ax(ax)
    data = getattr(comparison, score)
    r = comparison.result
    slips = np.array(r.slips)
    unit = "planning updates" if r.budget == "updates" else "max-Q evaluations"
    parts = []
    for m, model in enumerate(r.models):
        mean, half = _mean_ci(data[:, m])
        key = model_key(model)
        label = MODEL_LABELS[model]
        ax.plot(slips, mean, markersize=6, linewidth=1.6, label=label, **style.style(key, marker=True))
        ax.fill_between(slips, mean - half, mean + half, color=style.AGENT_STYLES[key]["color"], alpha=0.2, linewidth=0)
        parts.append(
            f"{label}, {style.look(style.style(key))}: " + ", ".join(f"{s:g}: {v:.3f}" for s, v in zip(slips, mean))
        )
    ax.set(xlabel="slip probability", ylabel=SCORES[score], title=f"Slippery world, k = {r.k} {unit} per real step")
    _outside_legend(ax)
    describe(
        ax,
        f"{SCORES[score]} (mean over runs, band: 95% confidence interval) against the slip probability, "
        f"Dyna-Q with k = {r.k} {unit} per real step, one line per agent (model, planning updates). "
        f"Means by slip: " + "; ".join(parts) + ".",
    )
    return ax


def plot_value_scatter(comparison, slip=0.2, run=0, ax=None):
    """One run's learned Q against the true Q* (pairs tried at least ``min_tries`` times), per agent."""
    slips = list(comparison.result.slips)
    if slip not in slips:
        raise ValueError(f"slip must be one of the comparison's slips {slips}, got {slip!r}.")
    i = slips.index(slip)
    ax = _new_ax(ax, figsize=(7.5, 5.2))
    q_star = comparison.q_star[i]
    parts = []
    for m, model in enumerate(comparison.result.models):
        mask = comparison.result.tried[i, m, run] >= comparison.min_tries
        key = model_key(model)
        look = style.style(key, marker=True)
        learned = comparison.result.values[i, m, run][mask]
        ax.scatter(
            q_star[mask],
            learned,
            s=16,
            alpha=0.75,
            color=look["color"],
            marker=look["marker"],
            linewidths=0,
            label=MODEL_LABELS[model],
        )
        error = f"mean |Q − Q*| {np.abs(learned - q_star[mask]).mean():.3f}" if mask.any() else "no pair"
        parts.append(
            f"{MODEL_LABELS[model]} ({style.COLOR_NAMES[look['color']]} "
            f"{MARKER_NAMES.get(look['marker'], 'marks')}): {int(mask.sum())} pairs, {error}"
        )
    lo = min(q_star.min(), -1.0)
    ax.plot([lo, 1], [lo, 1], color="0.4", linewidth=0.8, label="learned = true")
    ax.set(
        xlabel="true optimal Q*(s, a)",
        ylabel="learned Q(s, a)",
        title=f"slip {slip:g}: learned against true values (one run)",
    )
    _outside_legend(ax)
    describe(
        ax,
        f"Learned Q(s, a) against the true Q*(s, a) of one run with slip {slip:g}, for the pairs tried at "
        f"least {comparison.min_tries} times; a grey diagonal marks learned = true. One kind of mark per "
        f"agent (model, planning updates): " + "; ".join(parts) + ".",
    )
    return ax


def plot_planning_budget(result, unit="updates", score="value_error", ax=None):
    """Mean ``score`` (band: 95% CI over runs) of each agent of a ``PlanningBudgetComparison`` against the
    planning budget k per real step, counted in ``unit``: ``"updates"`` (planning updates) or
    ``"evaluations"`` (evaluations of max_a' Q(s', a'): the compute). The x-axis says which."""
    if unit not in BUDGET_AXES:
        raise ValueError(
            f"unit must be one of {tuple(BUDGET_AXES)} (planning updates, or max-Q evaluations "
            f"per real step), got {unit!r}."
        )
    if score not in SCORES:
        raise ValueError(f"score must be one of {tuple(SCORES)}, got {score!r}.")
    if unit not in result.units:
        raise ValueError(f"this comparison has no runs with the budget in {unit!r}; it has {result.units}.")
    ax = _new_ax(ax)
    u = result.units.index(unit)
    x = np.array(result.budgets, dtype=float)
    other = "evaluations" if unit == "updates" else "updates"
    spent = result.evaluations_per_step if unit == "updates" else result.updates_per_step
    parts = []
    for m, model in enumerate(result.models):
        mean, half = _mean_ci(result.score(score, unit)[:, m])
        key = model_key(model)
        label = MODEL_LABELS[model]
        ax.plot(x, mean, markersize=6, linewidth=1.6, label=label, **style.style(key, marker=True))
        ax.fill_between(x, mean - half, mean + half, color=style.AGENT_STYLES[key]["color"], alpha=0.2, linewidth=0)
        made = spent[u, :, m].mean(axis=1)
        parts.append(
            f"{label}, {style.look(style.style(key))}: "
            + ", ".join(
                f"{int(k)}: {v:.3f}" + ("" if abs(made[b] - k) < 1e-9 else f" ({made[b]:.2f} {other})")
                for b, (k, v) in enumerate(zip(result.budgets, mean))
            )
        )
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{int(k)}" for k in result.budgets])
    ax.minorticks_off()
    ax.set(
        xlabel=BUDGET_AXES[unit],
        ylabel=SCORES[score],
        title=f"slip {result.slip:g}, equal {'numbers of updates' if unit == 'updates' else 'compute'}",
    )
    _outside_legend(ax)
    describe(
        ax,
        f"{SCORES[score]} (mean over {result.value_error.shape[-1]} runs, band: 95% confidence interval) "
        f"against the budget k = {BUDGET_AXES[unit]} (log scale), slip {result.slip:g}. "
        f"Means by k, with the {other} per real step actually made in brackets where they differ "
        f"from k: " + "; ".join(parts) + ".",
    )
    return ax
