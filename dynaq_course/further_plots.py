"""Section 6's figures, drawn from ``further_experiments``' results.

Like ``plots``: every function takes ``ax=None`` (then makes its own figure),
returns the axes, and never calls ``plt.show()``. Every agent looks as
``style.py`` says (Dyna-Q blue, Dyna-Q+ vermillion, darker for a larger bonus
kappa, prioritized sweeping bluish green, the counting model reddish purple),
with its own line style and marker, so the curves are told apart without
colour too; legends sit under the axes, over no data; each panel gets a
text description for screen readers (``style.describe``; ``style.caption(ax)``).

* ``plot_shortcut_use``: share of runs taking the shortcut, episode by episode, per kappa.
* ``plot_discovery_times``: share of runs that have found the shortcut, against episodes since it opened.
* ``plot_dyna_plus_steps``: mean steps per episode per kappa (log scale).
* ``plot_updates_to_near_optimal``: value updates until near-optimal, uniform against prioritized.
* ``plot_slippery_scores``: value error (or start error, policy loss) against the slip probability.
* ``plot_value_scatter``: one run's learned Q against the true Q*, cached against counting model.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import special

from . import style
from .plots import fewest_steps
from .style import describe

MODEL_KEYS = {"cached": "cached-model", "counting": "counting-model"}
CACHED_COLOR, COUNTING_COLOR = (style.AGENT_STYLES[MODEL_KEYS[m]]["color"] for m in ("cached", "counting"))
UNIFORM_COLOR = style.AGENT_STYLES["uniform-dyna-q"]["color"]
PRIORITIZED_COLOR = style.AGENT_STYLES["prioritized-sweeping"]["color"]
SCORES = {"value_error": "mean |Q − Q*| (pairs tried ≥ 10 times)",
          "start_error": "|max Q(start) − V*(start)|",
          "policy_loss": "V*(start) − V(start) of the greedy policy"}
N_MARKS = 12      # markers along a line of many episodes (they tell the lines apart in grey scale)


def _new_ax(ax, figsize=(8, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _outside_legend(ax, *args, **kwargs):
    """The legend under the axes (below the x label), over no data; two columns keep it short
    and leave the axes their width when a notebook puts two panels side by side."""
    return ax.legend(*args, loc="upper center", bbox_to_anchor=(0.5, -0.16), borderaxespad=0, fontsize=9,
                     ncol=2, frameon=False, **kwargs)


def _kappa_label(kappa) -> str:
    return "Dyna-Q (κ = 0)" if kappa == 0 else f"Dyna-Q+ (κ = {kappa:g})"


def _kappa_key(kappa, k) -> str:
    return style.dyna_plus_key(kappa, k=k)


def model_key(model: str) -> str:
    """The AGENT_STYLES key of Dyna-Q with the ``"cached"`` or ``"counting"`` model."""
    if model not in MODEL_KEYS:
        raise ValueError(f"model must be one of {tuple(MODEL_KEYS)}, got {model!r}.")
    return MODEL_KEYS[model]


def _line(ax, x, y, key, label, n=None, **extra):
    """A line in the agent's style with N_MARKS of its markers spread along it."""
    every = max(1, len(x) // N_MARKS) if n is None else n
    return ax.plot(x, y, label=label, markevery=(every // 2, every), markersize=5, linewidth=1.6,
                   **style.style(key, marker=True), **extra)[0]


def _moving_average(x, window):
    window = max(1, int(window))
    kernel = np.ones(window) / window
    return np.convolve(x, kernel, mode="valid"), window


def _door_line(ax, episode, label):
    ax.axvline(episode, linestyle="--", color=style.REFERENCE_COLOR, label=label)


def plot_shortcut_use(result, ax=None, window=10):
    """Share of runs whose episode took the shortcut (64 up to 74), averaged over ``window`` episodes."""
    ax = _new_ax(ax)
    n_runs, n_episodes = result.steps.shape[1], result.steps.shape[2]
    parts = []
    tail = max(result.door_episode, n_episodes - 50)
    for i, kappa in enumerate(result.kappas):
        share, w = _moving_average(result.door_used[i].mean(axis=0), window)
        key = _kappa_key(kappa, result.k)
        _line(ax, np.arange(w - 1, w - 1 + len(share)), share, key, _kappa_label(kappa))
        parts.append(f"{_kappa_label(kappa)}, {style.look(style.style(key))}: "
                     f"{result.door_used[i][:, tail:].mean():.0%}")
    _door_line(ax, result.door_episode, "door opens (not shown to the agent)")
    ax.set(xlabel="Episode", ylabel=f"share of runs taking the shortcut\n(mean over {window} episodes)",
           ylim=(-0.02, 1.02), xlim=(max(0, result.door_episode - 20), n_episodes - 1),
           title=f"Who finds the shortcut on their own? ({n_runs} runs each, k = {result.k})")
    _outside_legend(ax)
    describe(ax, f"Share of {n_runs} runs taking the shortcut in each episode (mean over {window} episodes), "
                 f"episodes {max(0, result.door_episode - 20)}–{n_episodes - 1}; a grey dashed line marks the "
                 f"door opening at episode {result.door_episode}. Share of episodes {tail}–{n_episodes - 1} "
                 f"that took the shortcut: " + "; ".join(parts) + ".")
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
        ax.step(episodes, share, where="post", label=_kappa_label(kappa), linewidth=1.6,
                **style.style(key))
        ax.plot(episodes[::max(1, after // N_MARKS)], share[::max(1, after // N_MARKS)], linestyle="none",
                marker=style.AGENT_MARKERS[key], color=style.AGENT_STYLES[key]["color"], markersize=5)
        parts.append(f"{_kappa_label(kappa)}, {style.look(style.style(key))}: {share[-1]:.0%}"
                     + (f" (half of all runs by episode {int(np.argmax(share >= 0.5))})" if share[-1] >= 0.5 else ""))
    handles = [plt.Line2D([], [], marker=style.AGENT_MARKERS[_kappa_key(kappa, result.k)], markersize=5,
                          **style.style(_kappa_key(kappa, result.k))) for kappa in result.kappas]
    ax.set(xlabel="Episodes since the door opened", ylabel="share of runs that found the shortcut",
           ylim=(-0.02, 1.02), title="How soon the shortcut is found")
    _outside_legend(ax, handles, [_kappa_label(kappa) for kappa in result.kappas])
    describe(ax, f"Share of the {first.shape[1]} runs that have taken the shortcut at least once, against "
                 f"episodes since the door opened (0–{after - 1}). Share by the last episode: "
                 + "; ".join(parts) + ".")
    return ax


def plot_dyna_plus_steps(result, ax=None, window=10):
    """Mean steps per episode per kappa (log scale), averaged over ``window`` episodes."""
    ax = _new_ax(ax)
    n_episodes = result.steps.shape[2]
    parts = []
    for i, kappa in enumerate(result.kappas):
        mean, w = _moving_average(result.steps[i].mean(axis=0), window)
        key = _kappa_key(kappa, result.k)
        _line(ax, np.arange(w - 1, w - 1 + len(mean)), mean, key, _kappa_label(kappa))
        parts.append(f"{_kappa_label(kappa)}: {result.steps[i][:, :result.door_episode].mean():.1f} before, "
                     f"{result.steps[i][:, result.door_episode:].mean():.1f} after")
    _door_line(ax, result.door_episode, "door opens")
    closed, opened = fewest_steps(False), fewest_steps(True)
    ax.axhline(closed, color="0.6", linewidth=0.8, linestyle=":", label=f"best without door ({closed} steps)")
    ax.axhline(opened, color="0.3", linewidth=0.8, linestyle=":", label=f"best with door ({opened} steps)")
    ax.set_yscale("log")
    ax.set(xlabel="Episode", ylabel="steps per episode (log scale)", title="The price of exploring")
    _outside_legend(ax)
    describe(ax, f"Mean steps per episode (log scale, mean over {window} episodes), episodes 0–{n_episodes - 1}; "
                 f"the door opens at episode {result.door_episode}; dotted lines at the best routes' {closed} and "
                 f"{opened} steps. Mean steps "
                 f"per episode before and after the door opened: " + "; ".join(parts) + ".")
    return ax


def plot_updates_to_near_optimal(comparison, ax=None):
    """Median value updates (bars: quartiles) until the greedy path is first near-optimal."""
    ax = _new_ax(ax)
    parts = []
    for result, key, name in ((comparison.uniform, "uniform-dyna-q", "uniform Dyna-Q (k)"),
                              (comparison.prioritized, "prioritized-sweeping", "prioritized sweeping (n)")):
        x = np.array(result.settings, dtype=float)
        data = result.updates_to_good()
        med = np.array([np.nanmedian(r) if np.isfinite(r).any() else np.nan for r in data])
        low = np.array([np.nanpercentile(r, 25) if np.isfinite(r).any() else np.nan for r in data])
        high = np.array([np.nanpercentile(r, 75) if np.isfinite(r).any() else np.nan for r in data])
        ax.errorbar(x, med, yerr=[med - low, high - med], capsize=3, markersize=6, linewidth=1.6, label=name,
                    **style.style(key, marker=True))
        parts.append(f"{name}, {style.look(style.style(key))}: "
                     + ", ".join(f"{int(s)}: {m:,.0f}" if np.isfinite(m) else f"{int(s)}: never"
                                 for s, m in zip(result.settings, med)))
    ax.set_xscale("log")
    ax.set(xlabel="planning updates per real step (k, or at most n)",
           ylabel="value updates until near-optimal\n(median, bars: quartiles)",
           title="Prioritized sweeping needs fewer updates")
    _outside_legend(ax)
    describe(ax, "Median number of value updates until the greedy path is first near-optimal (bars: quartiles), "
                 "against the planning updates per real step (log scale). Medians by setting: "
                 + "; ".join(parts) + ".")
    return ax


def plot_slippery_scores(comparison, score="value_error", ax=None):
    """Mean (band: 95% CI over runs) of ``score`` against the slip probability, per model."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {tuple(SCORES)}, got {score!r}.")
    ax = _new_ax(ax)
    data = getattr(comparison, score)
    slips = np.array(comparison.result.slips)
    parts = []
    for m, model in enumerate(comparison.result.models):
        runs = data[:, m]
        mean = np.nanmean(runs, axis=1)
        n = np.isfinite(runs).sum(axis=1)
        sem = np.nanstd(runs, axis=1, ddof=1) / np.sqrt(np.maximum(n, 1))
        half = sem * special.stdtrit(np.maximum(n - 1, 1), 0.975)
        key = model_key(model)
        label = "cached model (last sample)" if model == "cached" else "counting model (expected updates)"
        ax.plot(slips, mean, markersize=6, linewidth=1.6, label=label, **style.style(key, marker=True))
        ax.fill_between(slips, mean - half, mean + half, color=style.AGENT_STYLES[key]["color"], alpha=0.2,
                        linewidth=0)
        parts.append(f"{label}, {style.look(style.style(key))}: "
                     + ", ".join(f"{s:g}: {v:.3f}" for s, v in zip(slips, mean)))
    ax.set(xlabel="slip probability", ylabel=SCORES[score],
           title=f"Slippery world, k = {comparison.result.k}")
    _outside_legend(ax)
    describe(ax, f"{SCORES[score]} (mean over runs, band: 95% confidence interval) against the slip probability, "
                 f"Dyna-Q with k = {comparison.result.k}. Means by slip: " + "; ".join(parts) + ".")
    return ax


def plot_value_scatter(comparison, slip=0.2, run=0, ax=None):
    """One run's learned Q against the true Q* (pairs tried at least ``min_tries`` times), both models."""
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
        ax.scatter(q_star[mask], learned, s=16, alpha=0.75, color=look["color"], marker=look["marker"],
                   linewidths=0, label=f"{model} model")
        error = f"mean |Q − Q*| {np.abs(learned - q_star[mask]).mean():.3f}" if mask.any() else "no pair"
        parts.append(f"{model} model ({style.COLOR_NAMES[look['color']]} "
                     f"{'circles' if look['marker'] == 'o' else 'diamonds' if look['marker'] == 'D' else 'marks'}): "
                     f"{int(mask.sum())} pairs, {error}")
    lo = min(q_star.min(), -1.0)
    ax.plot([lo, 1], [lo, 1], color="0.4", linewidth=0.8, label="learned = true")
    ax.set(xlabel="true optimal Q*(s, a)", ylabel="learned Q(s, a)",
           title=f"slip {slip:g}: learned against true values (one run)")
    _outside_legend(ax)
    describe(ax, f"Learned Q(s, a) against the true Q*(s, a) of one run with slip {slip:g}, for the pairs tried at "
                 f"least {comparison.min_tries} times; a grey diagonal marks learned = true. "
                 + "; ".join(parts) + ".")
    return ax
