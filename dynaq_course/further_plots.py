"""Section 6's figures, drawn from ``further_experiments``' results.

Like ``plots``: every function takes ``ax=None`` (then makes its own figure),
returns the axes, and never calls ``plt.show()``.

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

CACHED_COLOR, COUNTING_COLOR = "#d62728", "#1f77b4"
UNIFORM_COLOR, PRIORITIZED_COLOR = "#7f7f7f", "#ff7f0e"
SCORES = {"value_error": "mean |Q − Q*| (pairs tried ≥ 10 times)",
          "start_error": "|max Q(start) − V*(start)|",
          "policy_loss": "V*(start) − V(start) of the greedy policy"}


def _new_ax(ax, figsize=(7, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _kappa_label(kappa) -> str:
    return "Dyna-Q (κ = 0)" if kappa == 0 else f"Dyna-Q+ (κ = {kappa:g})"


def _moving_average(x, window):
    window = max(1, int(window))
    kernel = np.ones(window) / window
    return np.convolve(x, kernel, mode="valid"), window


def plot_shortcut_use(result, ax=None, window=10):
    """Share of runs whose episode took the shortcut (64 up to 74), averaged over ``window`` episodes."""
    ax = _new_ax(ax)
    for i, kappa in enumerate(result.kappas):
        share, w = _moving_average(result.door_used[i].mean(axis=0), window)
        ax.plot(np.arange(w - 1, w - 1 + len(share)), share, label=_kappa_label(kappa))
    ax.axvline(result.door_episode, linestyle="--", color="gray", label="door opens (not shown to the agent)")
    ax.set(xlabel="Episode", ylabel=f"share of runs taking the shortcut\n(mean over {window} episodes)",
           ylim=(-0.02, 1.02), xlim=(max(0, result.door_episode - 20), result.steps.shape[2] - 1),
           title=f"Who finds the shortcut on their own? ({result.steps.shape[1]} runs each, k = {result.k})")
    ax.legend(fontsize=9, loc="upper left")
    return ax


def plot_discovery_times(result, ax=None):
    """Share of runs that have taken the shortcut at least once, against episodes since the door opened."""
    ax = _new_ax(ax)
    first = result.first_use()
    after = result.steps.shape[2] - result.door_episode
    episodes = np.arange(after)
    for i, kappa in enumerate(result.kappas):
        found = first[i][first[i] >= 0]
        share = np.array([(found <= e).sum() for e in episodes]) / first.shape[1]
        ax.step(episodes, share, where="post", label=_kappa_label(kappa))
    ax.set(xlabel="Episodes since the door opened", ylabel="share of runs that found the shortcut",
           ylim=(-0.02, 1.02), title="How soon the shortcut is found")
    ax.legend(fontsize=9, loc="lower right")
    return ax


def plot_dyna_plus_steps(result, ax=None, window=10):
    """Mean steps per episode per kappa (log scale), averaged over ``window`` episodes."""
    ax = _new_ax(ax)
    for i, kappa in enumerate(result.kappas):
        mean, w = _moving_average(result.steps[i].mean(axis=0), window)
        ax.plot(np.arange(w - 1, w - 1 + len(mean)), mean, label=_kappa_label(kappa))
    ax.axvline(result.door_episode, linestyle="--", color="gray", label="door opens")
    ax.axhline(20, color="0.6", linewidth=0.8, linestyle=":", label="best without door (20 steps)")
    ax.axhline(10, color="0.3", linewidth=0.8, linestyle=":", label="best with door (10 steps)")
    ax.set_yscale("log")
    ax.set(xlabel="Episode", ylabel="steps per episode (log scale)", title="The price of exploring")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_updates_to_near_optimal(comparison, ax=None):
    """Median value updates (bars: quartiles) until the greedy path is first near-optimal."""
    ax = _new_ax(ax)
    for result, color, name in ((comparison.uniform, UNIFORM_COLOR, "uniform Dyna-Q (k)"),
                                (comparison.prioritized, PRIORITIZED_COLOR, "prioritized sweeping (n)")):
        x = np.array(result.settings, dtype=float)
        data = result.updates_to_good()
        med = np.array([np.nanmedian(r) if np.isfinite(r).any() else np.nan for r in data])
        low = np.array([np.nanpercentile(r, 25) if np.isfinite(r).any() else np.nan for r in data])
        high = np.array([np.nanpercentile(r, 75) if np.isfinite(r).any() else np.nan for r in data])
        ax.errorbar(x, med, yerr=[med - low, high - med], marker="o", capsize=3, color=color, label=name)
    ax.set_xscale("log")
    ax.set(xlabel="planning updates per real step (k, or at most n)",
           ylabel="value updates until near-optimal\n(median, bars: quartiles)",
           title="Prioritized sweeping needs fewer updates")
    ax.legend(fontsize=9)
    return ax


def plot_slippery_scores(comparison, score="value_error", ax=None):
    """Mean (band: 95% CI over runs) of ``score`` against the slip probability, per model."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {tuple(SCORES)}, got {score!r}.")
    ax = _new_ax(ax)
    data = getattr(comparison, score)
    slips = np.array(comparison.result.slips)
    for m, model in enumerate(comparison.result.models):
        runs = data[:, m]
        mean = np.nanmean(runs, axis=1)
        n = np.isfinite(runs).sum(axis=1)
        sem = np.nanstd(runs, axis=1, ddof=1) / np.sqrt(np.maximum(n, 1))
        half = sem * special.stdtrit(np.maximum(n - 1, 1), 0.975)
        color = CACHED_COLOR if model == "cached" else COUNTING_COLOR
        label = "cached model (last sample)" if model == "cached" else "counting model (expected updates)"
        ax.plot(slips, mean, marker="o", color=color, label=label)
        ax.fill_between(slips, mean - half, mean + half, color=color, alpha=0.2, linewidth=0)
    ax.set(xlabel="slip probability", ylabel=SCORES[score],
           title=f"Slippery world, k = {comparison.result.k}")
    ax.legend(fontsize=9)
    return ax


def plot_value_scatter(comparison, slip=0.2, run=0, ax=None):
    """One run's learned Q against the true Q* (pairs tried at least ``min_tries`` times), both models."""
    slips = list(comparison.result.slips)
    if slip not in slips:
        raise ValueError(f"slip must be one of the comparison's slips {slips}, got {slip!r}.")
    i = slips.index(slip)
    ax = _new_ax(ax, figsize=(5.5, 5.5))
    q_star = comparison.q_star[i]
    for m, model in enumerate(comparison.result.models):
        mask = comparison.result.tried[i, m, run] >= comparison.min_tries
        color = CACHED_COLOR if model == "cached" else COUNTING_COLOR
        ax.scatter(q_star[mask], comparison.result.values[i, m, run][mask], s=12, alpha=0.7, color=color,
                   label=f"{model} model")
    lo = min(q_star.min(), -1.0)
    ax.plot([lo, 1], [lo, 1], color="0.4", linewidth=0.8, label="learned = true")
    ax.set(xlabel="true optimal Q*(s, a)", ylabel="learned Q(s, a)",
           title=f"slip {slip:g}: learned against true values (one run)")
    ax.legend(fontsize=9)
    return ax
