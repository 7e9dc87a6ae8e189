"""Section 6's three experiments on the fast engine, with the numbers the notebook quotes.

* ``shortcut_discovery``: Dyna-Q (kappa 0) and Dyna-Q+ on the shortcut
  experiment without demonstration -> ``further_engine.DynaPlusResult``.
* ``updates_to_near_optimal``: uniform Dyna-Q against prioritized sweeping,
  value updates until the greedy policy is first near-optimal -> ``SweepComparison``.
* ``slippery_comparison``: cached against counting model in the slippery world,
  scored against the true optimal values -> ``SlipperyComparison``.

Every result has ``table()``: a plain-text summary. Under nbgrader
(``NBGRADER_EXECUTION`` set) the experiments run a few short runs on the
plain-Python engine and say so (nothing in them is graded).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import further_engine as fe
from . import stochastic
from .experiments import grading_now

KAPPAS = (0.0, 1e-3, 1e-2, 1e-1)
PLANNING = (1, 5, 10, 50)
SLIPS = (0.0, 0.1, 0.2, 0.4)
SEED = 2024
GRADING = {"n_experiments": 2, "n_episodes_shortcut": 40, "door_episode": 20, "n_episodes": 10}


def _grading_note(what: str) -> None:
    print(f"nbgrader is running this notebook: {what} is shortened to a few short runs; nothing in it is graded.")


def _median(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


# ------------------------------------------------------------------ Dyna-Q+

def shortcut_discovery(kappas=KAPPAS, n_experiments=100, n_episodes=400, door_episode=200, k=10,
                       seed=SEED, backend=None, progress=True) -> fe.DynaPlusResult:
    """Dyna-Q / Dyna-Q+ (one run per kappa and seed) on the shortcut experiment, no demonstration.

    Default size (4 kappas x 100 seeds x 400 episodes): about 15 s with numba.
    """
    if grading_now():
        _grading_note("the Dyna-Q+ experiment")
        n_experiments, n_episodes, door_episode = (GRADING["n_experiments"], GRADING["n_episodes_shortcut"],
                                                   GRADING["door_episode"])
    return fe.simulate_dyna_plus(kappas, n_experiments, n_episodes, door_episode=door_episode, k=k,
                                 seed=seed, backend=backend, progress=progress)


def discovery_table(result: fe.DynaPlusResult) -> str:
    """One line per kappa: share of seeds that ever took the shortcut, median episodes until the
    first time; share that adopted it (8 of 10 consecutive episodes through the door) and the median
    episodes until then; share of the last 100 episodes that took it; mean steps and reward per
    episode before the door opened."""
    first = result.first_use()
    adopt = result.adoption()
    lines = [f"Shortcut without demonstration: door opens at episode {result.door_episode}, k = {result.k}, "
             f"{result.steps.shape[1]} seeds",
             f"{'kappa':>7} {'found':>6} {'median wait':>12} {'adopted':>8} {'median adopt':>13} "
             f"{'use (last 100)':>15} {'steps/ep before':>16} {'reward/ep before':>17}"]
    for i, kappa in enumerate(result.kappas):
        found = first[i] >= 0
        wait = _median(first[i][found]) if found.any() else float("nan")
        adopted = adopt[i] >= 0
        when = _median(adopt[i][adopted]) if adopted.any() else float("nan")
        lines.append(f"{kappa:7g} {found.mean():6.0%} {wait:12.0f} {adopted.mean():8.0%} {when:13.0f} "
                     f"{result.use_rate()[i]:15.0%} "
                     f"{result.steps[i, :, :result.door_episode].mean():16.1f} "
                     f"{result.reward_sums[i, :, :result.door_episode].mean():17.2f}")
    return "\n".join(lines)


# ------------------------------------------------------------------ prioritized sweeping

@dataclass
class SweepComparison:
    uniform: fe.SweepResult
    prioritized: fe.SweepResult

    def medians(self) -> dict:
        """{"uniform": (n_settings,), "prioritized": (n_settings,)} median updates to near-optimal
        (over the seeds that got there)."""
        return {r.method: np.array([_median(row) for row in r.updates_to_good()])
                for r in (self.uniform, self.prioritized)}

    def table(self) -> str:
        med = self.medians()
        lines = [f"Value updates (real + planning) until the greedy path is near-optimal "
                 f"({self.uniform.steps.shape[1]} seeds, {self.uniform.steps.shape[2]} episodes)",
                 f"{'k or n':>7} {'uniform Dyna-Q':>15} {'(reached)':>10} {'prioritized':>12} {'(reached)':>10}"]
        for i, setting in enumerate(self.uniform.settings):
            lines.append(f"{setting:7d} {med['uniform'][i]:15.0f} {self.uniform.reached_fraction()[i]:10.0%} "
                         f"{med['prioritized'][i]:12.0f} {self.prioritized.reached_fraction()[i]:10.0%}")
        return "\n".join(lines)


def updates_to_near_optimal(planning=PLANNING, n_experiments=100, n_episodes=50, theta=1e-4, seed=SEED,
                            backend=None, progress=True) -> SweepComparison:
    """Uniform Dyna-Q with k = each value of ``planning`` against prioritized sweeping with n = the same
    values, in the closed world. Default size: about 10 s with numba."""
    if grading_now():
        _grading_note("the prioritized-sweeping experiment")
        n_experiments, n_episodes = GRADING["n_experiments"], GRADING["n_episodes"]
    uniform = fe.simulate_uniform(planning, n_experiments, n_episodes, seed=seed, backend=backend,
                                  progress=progress)
    prioritized = fe.simulate_prioritized(planning, n_experiments, n_episodes, theta=theta, seed=seed,
                                          backend=backend, progress=progress)
    return SweepComparison(uniform, prioritized)


# ------------------------------------------------------------------ slippery world

@dataclass
class SlipperyComparison:
    """``result``: the runs; per [slip, model, experiment]: ``value_error`` mean |Q - Q*| over the
    pairs tried at least 10 times, ``start_error`` |max Q(start) - V*(start)|, ``policy_loss``
    V*(start) - V^greedy(start) (exact, so no noise from the episodes); ``q_star[slip index]``."""
    result: fe.SlipperyResult
    q_star: np.ndarray
    value_error: np.ndarray
    start_error: np.ndarray
    policy_loss: np.ndarray
    min_tries: int

    def table(self) -> str:
        r = self.result
        lines = [f"Slippery world, Dyna-Q with k = {r.k}, {r.steps.shape[2]} seeds x {r.steps.shape[3]} episodes",
                 f"{'slip':>5} {'model':>9} {'|Q - Q*|':>9} {'start error':>12} {'policy loss':>12} "
                 f"{'reward/ep (last half)':>22}"]
        half = r.steps.shape[3] // 2
        for i, slip in enumerate(r.slips):
            for m, model in enumerate(r.models):
                lines.append(f"{slip:5.2f} {model:>9} {self.value_error[i, m].mean():9.3f} "
                             f"{self.start_error[i, m].mean():12.3f} {self.policy_loss[i, m].mean():12.3f} "
                             f"{r.reward_sums[i, m, :, half:].mean():22.2f}")
        return "\n".join(lines)


def score_slippery(result: fe.SlipperyResult, min_tries: int = 10) -> SlipperyComparison:
    """Score every run of ``result`` against the slippery world's true optimal values."""
    from .world import START_STATE
    n_slip, n_model, n_exp = result.values.shape[:3]
    q_star = np.stack([stochastic.optimal_q(s, result.gamma) for s in result.slips])
    value_error = np.full((n_slip, n_model, n_exp), np.nan)
    start_error = np.zeros((n_slip, n_model, n_exp))
    policy_loss = np.zeros((n_slip, n_model, n_exp))
    for i, slip in enumerate(result.slips):
        v_star = q_star[i, START_STATE].max()
        for m in range(n_model):
            for e in range(n_exp):
                q = result.values[i, m, e]
                mask = result.tried[i, m, e] >= min_tries
                if mask.any():
                    value_error[i, m, e] = np.abs(q - q_star[i])[mask].mean()
                start_error[i, m, e] = abs(q[START_STATE].max() - v_star)
                policy_loss[i, m, e] = v_star - stochastic.policy_value(q, slip, result.gamma)[START_STATE]
    return SlipperyComparison(result, q_star, value_error, start_error, policy_loss, min_tries)


def slippery_comparison(slips=SLIPS, k=10, n_experiments=50, n_episodes=200, seed=SEED, backend=None,
                        progress=True) -> SlipperyComparison:
    """Cached against counting model at each slip probability. Default size: about 5 s with numba."""
    if grading_now():
        _grading_note("the slippery-world experiment")
        n_experiments, n_episodes = GRADING["n_experiments"], GRADING["n_episodes"]
    result = fe.simulate_slippery(slips, fe.MODELS, k=k, n_experiments=n_experiments, n_episodes=n_episodes,
                                  seed=seed, backend=backend, progress=progress)
    return score_slippery(result)


# ------------------------------------------------------------------ a student's function against the engine

@dataclass
class ExactComparison:
    """``compare_push_predecessors``' result: the plain loop with the given function against the engine."""
    match: bool
    steps: np.ndarray            # the plain loop's steps per episode
    engine_steps: np.ndarray
    updates: np.ndarray          # value updates up to the end of each episode
    engine_updates: np.ndarray
    max_value_difference: float

    def __str__(self) -> str:
        if self.match:
            return (f"Same run as the fast engine: {len(self.steps)} episodes, steps {self.steps.astype(int).tolist()}, "
                    f"{int(self.updates[-1])} value updates, identical values.")
        return (f"Not the engine's run. Steps per episode: yours {self.steps.astype(int).tolist()}, engine "
                f"{self.engine_steps.astype(int).tolist()}; updates: yours {self.updates.tolist()}, engine "
                f"{self.engine_updates.tolist()}; largest value difference {self.max_value_difference:.3g}.")


def compare_push_predecessors(push_predecessors, n_episodes=6, n=5, theta=1e-4) -> ExactComparison:
    """Run ``prioritized.prioritized_sweeping`` with ``push_predecessors`` and epsilon = 0 (no random
    numbers at all: the run is determined by the algorithm) and compare it with the fast engine's run of
    the same settings, which must be identical step for step (about a second)."""
    from .prioritized import PARAMS, prioritized_sweeping
    from .world import QuentinsWorld
    params = dict(PARAMS, epsilon=0.0, n=int(n), theta=float(theta))
    value, _, steps, updates = prioritized_sweeping(QuentinsWorld(), params, n_episodes, 1000, push_predecessors)
    ref = fe.simulate_prioritized([int(n)], 1, n_episodes, theta=theta, epsilon=0.0, seed=0, progress=False)
    diff = float(np.max(np.abs(ref.values[0, 0] - value)))
    match = (np.array_equal(ref.steps[0, 0], steps) and np.array_equal(ref.updates[0, 0], updates) and diff == 0.0)
    return ExactComparison(match, steps, ref.steps[0, 0], updates, ref.updates[0, 0], diff)
