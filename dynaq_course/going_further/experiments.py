"""Section 6's three experiments on the fast engine, with the numbers the notebook quotes.

* ``shortcut_discovery``: Dyna-Q (kappa 0) and Dyna-Q+ on the shortcut
  experiment without demonstration -> ``further_engine.DynaPlusResult``.
* ``blocking_experiment``: the world gets worse (the open door closes):
  Q-learning, Dyna-Q, Dyna-Q+ and the bonus in action selection -> ``ChangeComparison``.
* ``bonus_placement``: the bonus in planning (Dyna-Q+) against the bonus in
  action selection (Exercise 8.4), in the shortcut and the blocking world
  -> ``PlacementComparison``.
* ``updates_to_near_optimal``: uniform Dyna-Q against prioritized sweeping,
  value updates until the greedy policy is first near-optimal -> ``SweepComparison``
  (medians over the runs that got there, and over all runs with those that never
  did counted as slowest: ``censored_quantile``).
* ``slippery_comparison``: the slippery world's three agents (last outcome +
  sample updates, counts + sample updates, counts + expected updates),
  scored against the true optimal values -> ``SlipperyComparison``.
* ``planning_budget_comparison``: the same three agents at one slip over a
  range of planning budgets, counted in planning updates and in max-Q
  evaluations (compute) per real step -> ``PlanningBudgetComparison``.

Every result has ``table()``: a plain-text summary. Under nbgrader
(``NBGRADER_EXECUTION`` set) the experiments run a few short runs on the
plain-Python engine and say so (nothing in them is graded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynaq_course.going_further import engine as fe
from dynaq_course.going_further import slippery as stochastic
from dynaq_course.going_further.greedy_paths import is_near_optimal, optimal_path_length
from dynaq_course.params import grading_now

KAPPAS = (0.0, 1e-3, 1e-2, 1e-1)
PLANNING = (1, 5, 10, 50)
SLIPS = (0.0, 0.1, 0.2, 0.4)
BUDGET_STEPS = (1, 2, 5, 10, 20)
SEED = 2024
GRADING = {"n_experiments": 2, "n_episodes_shortcut": 40, "door_episode": 20, "n_episodes": 10}


def _grading_note(what: str) -> None:
    print(f"nbgrader is running this notebook: {what} is shortened to a few short runs; nothing in it is graded.")


def _graded_size(what: str, n_experiments: int, n_episodes: int, change_episode=None):
    """The experiment's size as asked, or, while nbgrader runs the notebook, a few short runs (and a note saying so).

    Returns (n_experiments, n_episodes, change_episode); an experiment without a change passes None.
    """
    if not grading_now():
        return n_experiments, n_episodes, change_episode
    _grading_note(what)
    if change_episode is None:
        return GRADING["n_experiments"], GRADING["n_episodes"], None
    return GRADING["n_experiments"], GRADING["n_episodes_shortcut"], GRADING["door_episode"]


def _median(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


# ------------------------------------------------------------------ Dyna-Q+


def shortcut_discovery(
    kappas=KAPPAS, n_experiments=100, n_episodes=400, door_episode=200, k=10, seed=SEED, backend=None, progress=True
) -> fe.DynaPlusResult:
    """Dyna-Q / Dyna-Q+ (one run per kappa and seed) on the shortcut experiment, no demonstration.

    Default size (4 kappas x 100 seeds x 400 episodes): about 15 s with numba.
    """
    n_experiments, n_episodes, door_episode = _graded_size(
        "the Dyna-Q+ experiment", n_experiments, n_episodes, door_episode
    )
    return fe.simulate_dyna_plus(
        kappas, n_experiments, n_episodes, door_episode=door_episode, k=k, seed=seed, backend=backend, progress=progress
    )


def discovery_table(result: fe.DynaPlusResult) -> str:
    """One line per kappa: share of seeds that ever took the shortcut, median episodes until the
    first time; share that adopted it (at least 8 of 10 consecutive episodes through the door, at some
    point: a run may use it less later) and the median
    episodes until then; share of the last 100 episodes that took it; mean steps and reward per
    episode before the door opened."""
    first = result.first_use()
    adopt = result.adoption()
    lines = [
        f"Shortcut without demonstration: door opens at episode {result.door_episode}, k = {result.k}, "
        f"{result.steps.shape[1]} seeds",
        f"{'kappa':>7} {'found':>6} {'median wait':>12} {'adopted':>8} {'median adopt':>13} "
        f"{'use (last 100)':>15} {'steps/ep before':>16} {'reward/ep before':>17}",
    ]
    for i, kappa in enumerate(result.kappas):
        found = first[i] >= 0
        wait = _median(first[i][found]) if found.any() else float("nan")
        adopted = adopt[i] >= 0
        when = _median(adopt[i][adopted]) if adopted.any() else float("nan")
        lines.append(
            f"{kappa:7g} {found.mean():6.0%} {wait:12.0f} {adopted.mean():8.0%} {when:13.0f} "
            f"{result.use_rate()[i]:15.0%} "
            f"{result.steps[i, :, : result.door_episode].mean():16.1f} "
            f"{result.reward_sums[i, :, : result.door_episode].mean():17.2f}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ blocking world; where the bonus goes


@dataclass(frozen=True)
class Agent:
    """One agent of a comparison: its look (a ``style.AGENT_STYLES`` key), its label, planning steps
    ``k``, bonus ``kappa`` and where the bonus goes (``"planning"``: Dyna-Q+; ``"action"``: action
    selection, Sutton & Barto's Exercise 8.4). ``kappa = 0``: Dyna-Q (``k = 0``: Q-learning)."""

    key: str
    label: str
    k: int
    kappa: float
    bonus: str = "planning"


BLOCKING_AGENTS = (
    Agent("q-learning", "Q-learning", 0, 0.0),
    Agent("dyna-q", "Dyna-Q", 10, 0.0),
    Agent("dyna-q-plus-0.001", "Dyna-Q+ (κ = 0.001)", 10, 1e-3),
    Agent("dyna-q-action-bonus", "bonus in action (κ = 0.001)", 10, 1e-3, "action"),
)
PLACEMENT_AGENTS = (
    Agent("dyna-q", "Dyna-Q", 10, 0.0),
    Agent("dyna-q-plus-0.001", "Dyna-Q+ (κ = 0.001)", 10, 1e-3),
    Agent("dyna-q-plus-0.01", "Dyna-Q+ (κ = 0.01)", 10, 1e-2),
    Agent("dyna-q-action-bonus", "bonus in action (κ = 0.001)", 10, 1e-3, "action"),
    Agent("dyna-q-action-bonus", "bonus in action (κ = 0.01)", 10, 1e-2, "action"),
)
# Before the door closes the best episode takes 10 steps (9 moves through the door, and the step from the
# goal); no penalty-free episode of at most SHORT_ROUTE_STEPS avoids the door (the next route takes 20).
SHORT_ROUTE_STEPS = 12
ROUTE_STEPS = optimal_path_length(False) + 1  # 20: the best episode once the door is closed
OPEN_ROUTE_STEPS = optimal_path_length(True) + 1  # 10: the best episode through the open door
RECOVERED_STEPS = 30  # "on route": at most 1.5 x ROUTE_STEPS
RECOVERY = {"window": 10, "share": 0.8}
BEFORE_WINDOW = 20  # "before the change": its last 20 episodes


@dataclass
class ChangeComparison:
    """Agents in one world when the door (64, up) changes at ``change_episode`` (no demonstration).

    ``results[i]``: agent ``agents[i]``'s ``DynaPlusResult`` (one kappa; every agent ran the same
    seeds, experiment e with the same random stream). ``result(label)`` finds one by label.
    """

    world: str  # "shortcut" (the door opens) or "blocking" (it closes)
    agents: tuple
    results: tuple
    change_episode: int

    @property
    def labels(self) -> list:
        return [a.label for a in self.agents]

    @property
    def seconds(self) -> float:
        return float(sum(r.seconds for r in self.results))

    def result(self, label: str) -> fe.DynaPlusResult:
        if label not in self.labels:
            raise KeyError(f"no agent {label!r}; the agents are {self.labels}.")
        return self.results[self.labels.index(label)]

    def short_route_before(self, label: str) -> np.ndarray:
        """(n_experiments,) share of the last ``BEFORE_WINDOW`` episodes before the change that reached
        the goal without a penalty in at most ``SHORT_ROUTE_STEPS`` steps (blocking world: through the
        open door, the only such route)."""
        r = self.result(label)
        window = slice(max(0, self.change_episode - BEFORE_WINDOW), self.change_episode)
        return r.clean(SHORT_ROUTE_STEPS)[0, :, window].mean(axis=1)

    def greedy_ok(self, label: str) -> np.ndarray:
        """(n_experiments,) bool: at the end, the greedy policy (first best action of the learned Q)
        follows a penalty-free route of at most the best length + 1 moves in the world after the change
        (``greedy_paths.is_near_optimal``): values that are right, whatever the agent explores."""
        opened = self.world == "shortcut"
        return np.array([is_near_optimal(v, shortcut_open=opened) for v in self.result(label).values[0]])

    def reward_per_1000_steps(self, label: str, after: bool) -> np.ndarray:
        """(n_experiments,) reward per 1000 real steps: over the last ``BEFORE_WINDOW`` episodes before
        the change (``after=False``), or over all episodes from the change on."""
        r = self.result(label)
        c = self.change_episode
        part = slice(c, None) if after else slice(max(0, c - BEFORE_WINDOW), c)
        return 1000 * r.reward_sums[0, :, part].sum(axis=1) / r.steps[0, :, part].sum(axis=1)

    def table(self) -> str:
        return _blocking_table(self) if self.world == "blocking" else _shortcut_table(self)


def _share_median(x) -> tuple:
    ok = x >= 0
    return ok.mean(), (_median(x[ok]) if ok.any() else float("nan"))


def _blocking_table(c: ChangeComparison) -> str:
    e, r0 = c.change_episode, c.results[0]
    n_runs, n_episodes = r0.steps.shape[1:]
    before, after, last = min(BEFORE_WINDOW, e), min(10, n_episodes - e), min(50, n_episodes - e)
    width = max(len(label) for label in c.labels)
    lines = [
        f"Blocking: the door (64, up) is open in episodes 0-{e - 1} (best episode: {OPEN_ROUTE_STEPS} steps) "
        f"and closes at episode {e}, unannounced (best: {ROUTE_STEPS} steps, through the gap at 14); "
        f"{n_runs} runs x {n_episodes} episodes.",
        f"before: the last {before} episodes before the change; short route: the share of them that reach the "
        f"goal without a penalty in <= {SHORT_ROUTE_STEPS} steps (only the open door allows that); bumps: steps "
        f"up from 64 into the closed door, per run; reward per 1000 real steps before, and after the change; "
        f"total: reward of the whole run.",
        f"{'':{width}} {'short':>6} {'steps per episode':^26} {'bumps':>6} {'reward/1000 steps':^18} {'reward':>7}",
        f"{'agent':{width}} {'route':>6} {'before':>8} {f'{e}-{e + after - 1}':>8} {f'last {last}':>8} {'':>6} "
        f"{'before':>8} {'after':>9} {'total':>7}",
    ]
    for a, r in zip(c.agents, c.results):
        lines.append(
            f"{a.label:{width}} {c.short_route_before(a.label).mean():6.0%} "
            f"{r.steps[0, :, e - before : e].mean():8.1f} "
            f"{r.steps[0, :, e : e + after].mean():8.1f} {r.steps[0, :, n_episodes - last :].mean():8.1f} "
            f"{r.bumps()[0].mean():6.2f} "
            f"{c.reward_per_1000_steps(a.label, False).mean():8.1f} "
            f"{c.reward_per_1000_steps(a.label, True).mean():9.1f} "
            f"{r.reward_sums[0].sum(axis=1).mean():7.1f}"
        )
    w, s = RECOVERY["window"], RECOVERY["share"]
    lines += [
        "",
        f"Recovered: the first episode after the change from which {s * w:.0f} of {w} episodes reach the goal "
        f"without a penalty (penalty-free), and also in at most {RECOVERED_STEPS} steps (on route); the share "
        f"of runs that got there, and the median episodes after the change. Greedy ok: the share of runs "
        f"whose final greedy policy follows a penalty-free route of at most {ROUTE_STEPS} moves.",
        f"{'':{width}} {'penalty-free':^17} {'on route':^17} {'greedy':>7}",
        f"{'agent':{width}} {'share':>8} {'median':>8} {'share':>8} {'median':>8} {'ok':>7}",
    ]
    for a, r in zip(c.agents, c.results):
        free = _share_median(r.recovery(**RECOVERY)[0])
        route = _share_median(r.recovery(**RECOVERY, max_steps=RECOVERED_STEPS)[0])
        lines.append(
            f"{a.label:{width}} {free[0]:8.0%} {free[1]:8.0f} {route[0]:8.0%} {route[1]:8.0f} "
            f"{c.greedy_ok(a.label).mean():7.0%}"
        )
    return "\n".join(lines)


def _shortcut_table(c: ChangeComparison) -> str:
    e, r0 = c.change_episode, c.results[0]
    n_runs, n_episodes = r0.steps.shape[1:]
    use, last = min(100, n_episodes - e), min(50, n_episodes - e)
    width = max(len(label) for label in c.labels)
    lines = [
        f"Shortcut: the door (64, up) opens at episode {e}, unannounced; {n_runs} runs x {n_episodes} "
        f"episodes. found / adopted: the share of runs that took the door at least once / in at least 8 of "
        f"10 consecutive episodes at some point (a run may use it less later); median wait: episodes after the "
        f"change until the first time (runs that found it); use: the share of the last {use} episodes through "
        f"the door; steps/ep before: "
        f"episodes 0-{e - 1}; greedy ok: the final greedy policy takes a penalty-free route of at most "
        f"{OPEN_ROUTE_STEPS} moves (through the door).",
        f"{'agent':{width}} {'found':>6} {'median wait':>12} {'adopted':>8} {'use':>5} "
        f"{'steps/ep before':>16} {f'steps/ep last {last}':>17} {'greedy ok':>10}",
    ]
    for a, r in zip(c.agents, c.results):
        found, wait = _share_median(r.first_use()[0])
        lines.append(
            f"{a.label:{width}} {found:6.0%} {wait:12.0f} {(r.adoption()[0] >= 0).mean():8.0%} "
            f"{r.use_rate(n_episodes - use)[0]:5.0%} {r.steps[0, :, :e].mean():16.1f} "
            f"{r.steps[0, :, n_episodes - last :].mean():17.1f} {c.greedy_ok(a.label).mean():10.0%}"
        )
    return "\n".join(lines)


def _compare(world, agents, n_experiments, n_episodes, change_episode, seed, backend, progress) -> ChangeComparison:
    results = tuple(
        fe.simulate_dyna_plus(
            [a.kappa],
            n_experiments,
            n_episodes,
            door_episode=change_episode,
            k=a.k,
            seed=seed,
            backend=backend,
            progress=progress,
            world=world,
            bonus=a.bonus,
        )
        for a in agents
    )
    return ChangeComparison(world, tuple(agents), results, change_episode)


def blocking_experiment(
    agents=BLOCKING_AGENTS,
    n_experiments=100,
    n_episodes=300,
    change_episode=100,
    seed=SEED,
    backend=None,
    progress=True,
) -> ChangeComparison:
    """The blocking world (Sutton & Barto's Example 8.2 in Quentin's World): the door (64, up) is open,
    and closes at ``change_episode`` without anyone telling the agent.

    Default agents: Q-learning, Dyna-Q (k = 10), Dyna-Q+ (kappa 0.001) and Dyna-Q with the bonus in
    action selection (kappa 0.001: the same bonus as Dyna-Q+, only placed elsewhere). 100 runs x 300
    episodes, the change at episode 100 (every agent takes the short route by then): about 2 s with numba.
    """
    n_experiments, n_episodes, change_episode = _graded_size(
        "the blocking experiment", n_experiments, n_episodes, change_episode
    )
    return _compare("blocking", agents, n_experiments, n_episodes, change_episode, seed, backend, progress)


@dataclass
class PlacementComparison:
    """``bonus_placement``'s result: the same agents in the shortcut world and in the blocking world."""

    shortcut: ChangeComparison
    blocking: ChangeComparison

    @property
    def seconds(self) -> float:
        return self.shortcut.seconds + self.blocking.seconds

    def table(self) -> str:
        return self.shortcut.table() + "\n\n" + self.blocking.table()


def bonus_placement(
    agents=PLACEMENT_AGENTS, n_experiments=100, seed=SEED, backend=None, progress=True
) -> PlacementComparison:
    """Where the bonus goes: Dyna-Q, Dyna-Q+ (the bonus in planning) and Dyna-Q with the bonus in action
    selection (Exercise 8.4), each bonus at kappa 0.001 and 0.01, k = 10, in both worlds:

    * shortcut (section 6.1's setting): the door opens at episode 200 of 400;
    * blocking: the open door closes at episode 100 of 300.

    100 runs each: about 5 s with numba.
    """
    sizes = {"shortcut": (400, 200), "blocking": (300, 100)}
    if grading_now():
        _grading_note("the bonus-placement experiment")
        n_experiments = GRADING["n_experiments"]
        sizes = {w: (GRADING["n_episodes_shortcut"], GRADING["door_episode"]) for w in sizes}
    return PlacementComparison(
        *(_compare(w, agents, n_experiments, *sizes[w], seed, backend, progress) for w in ("shortcut", "blocking"))
    )


# ------------------------------------------------------------------ prioritized sweeping


def censored_quantile(values, q: float) -> float:
    """The ``q`` quantile (0-1, linear between order statistics as ``np.quantile``) of ``values``, in which
    ``inf`` stands for a run that never got there: slower than any run that did. ``inf`` when the quantile
    falls on (or between a finite value and) such a run; NaN for no values."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        return float("nan")
    if np.isnan(x).any():
        raise ValueError("values contain NaN: pass inf for the runs that never got there.")
    position = q * (x.size - 1)
    low, high = int(np.floor(position)), int(np.ceil(position))
    if not np.isfinite(x[high]):
        return float("inf")
    return float(x[low] + (position - low) * (x[high] - x[low]))


@dataclass
class SweepComparison:
    """``updates_to_near_optimal``'s result: uniform Dyna-Q and prioritized sweeping over the same budgets.

    The budget per real step is ``k`` planning updates for uniform Dyna-Q (which also updates the real
    step's pair: 1 + k value updates per step) and at most ``n`` planning updates for prioritized sweeping
    (its real steps change no value). A run that never reached a near-optimal greedy policy within its
    episodes is *censored*: ``"all"`` statistics count it as slower than any run that got there."""

    uniform: fe.SweepResult
    prioritized: fe.SweepResult

    def _results(self):
        return (self.uniform, self.prioritized)

    def medians(self, runs: str = "reached") -> dict:
        """{"uniform": (n_settings,), "prioritized": (n_settings,)} median value updates until near-optimal:
        ``runs="reached"`` over the runs that got there (NaN when none did); ``runs="all"`` over all runs,
        a run that never got there counting as slower than any that did (inf when fewer than half got
        there)."""
        if runs == "reached":
            return {r.method: np.array([_median(row) for row in r.updates_to_good()]) for r in self._results()}
        if runs == "all":
            return self.quantile(0.5)
        raise ValueError(f"runs must be 'reached' or 'all', got {runs!r}.")

    def quantile(self, q: float) -> dict:
        """{"uniform": (n_settings,), "prioritized": (n_settings,)} the ``q`` quantile over ALL runs of the
        value updates until near-optimal, runs that never got there counting as slowest
        (``censored_quantile``)."""
        return {
            r.method: np.array([censored_quantile(row, q) for row in r.updates_to_good(fill=np.inf)])
            for r in self._results()
        }

    def reached(self) -> dict:
        """{"uniform": (n_settings,), "prioritized": (n_settings,)} share of runs that got there."""
        return {r.method: r.reached_fraction() for r in self._results()}

    def episodes(self) -> dict:
        """{"uniform": ..., "prioritized": ...} median episode (over all runs, never = slowest, inf when
        fewer than half) in which the greedy policy was first near-optimal."""
        return {
            r.method: np.array(
                [censored_quantile(np.where(row >= 0, row, np.inf), 0.5) for row in r.first_good_episode]
            )
            for r in self._results()
        }

    def table(self) -> str:
        import textwrap

        n_runs, n_episodes = self.uniform.steps.shape[1:]
        everyone, those = self.medians("all"), self.medians("reached")
        reached, episode = self.reached(), self.episodes()

        def number(x, width):
            return f"{x:{width}.0f}" if np.isfinite(x) else f"{'(<50%)' if np.isinf(x) else '-':>{width}}"

        notes = (
            f"Value updates until the greedy path is first near-optimal ({n_runs} runs x {n_episodes} "
            f"episodes). Budget per real step: uniform Dyna-Q makes k planning updates (and 1 for the real "
            f"step), prioritized sweeping at most n planning updates (its real steps update no value). "
            f"reached: share of runs that got there within the {n_episodes} episodes. all runs: median over "
            f"all runs, a run that never got there counted as slower than any that did ((<50%): fewer than "
            f"half got there). reached only: median over the runs that got there. episode: median episode "
            f"of getting there (all runs)."
        )
        block = f"{'reached':>8} {'all runs':>9} {'reached only':>12} {'episode':>7}"
        lines = textwrap.wrap(notes, 110) + [
            f"{'':7} {'uniform Dyna-Q':^{len(block)}}   {'prioritized sweeping':^{len(block)}}".rstrip(),
            f"{'k or n':>7} {block}   {block}",
        ]
        for i, setting in enumerate(self.uniform.settings):
            cells = [
                f"{reached[m][i]:8.0%} {number(everyone[m][i], 9)} {number(those[m][i], 12)} {number(episode[m][i], 7)}"
                for m in ("uniform", "prioritized")
            ]
            lines.append(f"{setting:7d} " + "   ".join(cells))
        return "\n".join(lines)


def updates_to_near_optimal(
    planning=PLANNING, n_experiments=100, n_episodes=50, theta=1e-4, seed=SEED, backend=None, progress=True
) -> SweepComparison:
    """Uniform Dyna-Q with k = each value of ``planning`` against prioritized sweeping with n = the same
    values, in the closed world. Default size: about 10 s with numba."""
    n_experiments, n_episodes, _ = _graded_size("the prioritized-sweeping experiment", n_experiments, n_episodes)
    uniform = fe.simulate_uniform(planning, n_experiments, n_episodes, seed=seed, backend=backend, progress=progress)
    prioritized = fe.simulate_prioritized(
        planning, n_experiments, n_episodes, theta=theta, seed=seed, backend=backend, progress=progress
    )
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
        unit = "planning updates" if r.budget == "updates" else "max-Q evaluations"
        lines = [
            f"Slippery world, Dyna-Q with k = {r.k} {unit} per real step, "
            f"{r.steps.shape[2]} seeds x {r.steps.shape[3]} episodes",
            f"{'slip':>5}  {'agent (model, planning updates)':<31} {'upd/step':>8} {'evals/step':>10} "
            f"{'|Q - Q*|':>8} {'start err':>9} {'policy loss':>11} {'reward/ep (2nd half)':>20}",
        ]
        half = r.steps.shape[3] // 2
        upd, ev = r.updates_per_step(), r.evaluations_per_step()
        for i, slip in enumerate(r.slips):
            for m, model in enumerate(r.models):
                lines.append(
                    f"{slip:5.2f}  {fe.MODEL_NAMES[model]:<31} {upd[i, m].mean():8.2f} "
                    f"{ev[i, m].mean():10.2f} "
                    f"{np.nanmean(self.value_error[i, m]):8.3f} {self.start_error[i, m].mean():9.3f} "
                    f"{self.policy_loss[i, m].mean():11.3f} {r.reward_sums[i, m, :, half:].mean():20.2f}"
                )
        return "\n".join(lines)


def score_slippery(result: fe.SlipperyResult, min_tries: int = 10) -> SlipperyComparison:
    """Score every run of ``result`` against the slippery world's true optimal values."""
    from dynaq_course.world import START_STATE

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


def slippery_comparison(
    slips=SLIPS, k=10, n_experiments=50, n_episodes=200, seed=SEED, backend=None, progress=True
) -> SlipperyComparison:
    """The three agents (``further_engine.MODELS``) at each slip probability, ``k`` planning updates
    per real step. Default size: about 3 s with numba."""
    n_experiments, n_episodes, _ = _graded_size("the slippery-world experiment", n_experiments, n_episodes)
    return _scored_runs(slips, fe.MODELS, k, n_experiments, n_episodes, seed, backend, progress)


def _scored_runs(slips, models, k, n_experiments, n_episodes, seed, backend, progress, budget="updates"):
    """``further_engine.simulate_slippery``'s runs for these arguments, scored (``score_slippery``)."""
    return score_slippery(
        fe.simulate_slippery(
            slips,
            models,
            k=k,
            n_experiments=n_experiments,
            n_episodes=n_episodes,
            budget=budget,
            seed=seed,
            backend=backend,
            progress=progress,
        )
    )


@dataclass
class PlanningBudgetComparison:
    """``planning_budget_comparison``'s result: the three agents at one slip probability over
    planning budgets ``k`` per real step, the budget counted in each of ``units``
    (``"updates"``: planning updates; ``"evaluations"``: evaluations of max_a' Q(s', a'), the compute).
    Arrays are indexed [unit, budget, model, experiment]; the scores are ``SlipperyComparison``'s,
    ``updates_per_step`` / ``evaluations_per_step`` what each run actually spent in planning."""

    slip: float
    budgets: tuple
    units: tuple
    models: tuple
    value_error: np.ndarray
    start_error: np.ndarray
    policy_loss: np.ndarray
    updates_per_step: np.ndarray
    evaluations_per_step: np.ndarray
    reward_per_episode: np.ndarray  # mean reward per episode over the second half of the episodes
    n_episodes: int
    min_tries: int
    backend: str
    seconds: float

    def score(self, name: str, unit: str) -> np.ndarray:
        """(n_budget, n_model, n_experiments) of ``name`` ("value_error", "start_error", "policy_loss")
        with the budget counted in ``unit``."""
        if name not in ("value_error", "start_error", "policy_loss"):
            raise ValueError(f"score must be 'value_error', 'start_error' or 'policy_loss', got {name!r}.")
        if unit not in self.units:
            raise ValueError(f"unit must be one of {self.units}, got {unit!r}.")
        return getattr(self, name)[self.units.index(unit)]

    def table(self) -> str:
        n_exp = self.value_error.shape[-1]
        lines = [f"Planning budget, slip {self.slip:g}: {n_exp} seeds x {self.n_episodes} episodes (means over seeds)"]
        for u, unit in enumerate(self.units):
            what = (
                "planning updates per real step" if unit == "updates" else "max-Q evaluations per real step (compute)"
            )
            lines += [
                "",
                f"k = {what}",
                f"{'k':>4}  {'agent (model, planning updates)':<31} {'upd/step':>8} {'evals/step':>10} "
                f"{'evals/upd':>9} {'|Q - Q*|':>8} {'policy loss':>11}",
            ]
            for b, k in enumerate(self.budgets):
                for m, model in enumerate(self.models):
                    upd, ev = self.updates_per_step[u, b, m].mean(), self.evaluations_per_step[u, b, m].mean()
                    lines.append(
                        f"{k:4d}  {fe.MODEL_NAMES[model]:<31} {upd:8.2f} {ev:10.2f} {ev / upd:9.2f} "
                        f"{np.nanmean(self.value_error[u, b, m]):8.3f} "
                        f"{self.policy_loss[u, b, m].mean():11.3f}"
                    )
        return "\n".join(lines)


def planning_budget_comparison(
    slip=0.2, budgets=BUDGET_STEPS, n_experiments=50, n_episodes=200, seed=SEED, backend=None, progress=True
) -> PlanningBudgetComparison:
    """The three agents at slip probability ``slip`` for each planning budget k in ``budgets``,
    counted once in planning updates and once in max-Q evaluations per real step (an expected update
    over b next states costs b evaluations, a sample update 1). Every setting uses the same seeds
    (common random numbers). As a sample update costs one evaluation, the two sample-update agents
    make the same runs under both budgets (``tests/test_further_engine.py`` checks it), so they are
    run once and reported under both. Default size: about 4 s with numba."""
    import time

    n_experiments, n_episodes, _ = _graded_size("the planning-budget experiment", n_experiments, n_episodes)
    budgets = tuple(budgets)
    if not budgets:
        raise ValueError("budgets is empty: give at least one planning budget k per real step.")
    start = time.perf_counter()
    expected = fe.MODELS.index("counting")
    half = n_episodes // 2
    shape = (len(fe.BUDGETS), len(budgets), len(fe.MODELS), n_experiments)
    fields = {
        name: np.zeros(shape)
        for name in (
            "value_error",
            "start_error",
            "policy_loss",
            "updates_per_step",
            "evaluations_per_step",
            "reward_per_episode",
        )
    }
    for b, k in enumerate(budgets):
        for u, unit in enumerate(fe.BUDGETS):
            models = fe.MODELS if unit == "updates" else ("counting",)
            scored = _scored_runs([slip], models, k, n_experiments, n_episodes, seed, backend, progress, budget=unit)
            r = scored.result
            values = {
                "value_error": scored.value_error[0],
                "start_error": scored.start_error[0],
                "policy_loss": scored.policy_loss[0],
                "updates_per_step": r.updates_per_step()[0],
                "evaluations_per_step": r.evaluations_per_step()[0],
                "reward_per_episode": r.reward_sums[0, :, :, half:].mean(axis=-1),
            }
            for name, value in values.items():
                if unit == "updates":
                    fields[name][:, b] = value  # the sample agents: the same runs under both budgets
                else:
                    fields[name][u, b, expected] = value[0]
    return PlanningBudgetComparison(
        float(slip),
        budgets,
        fe.BUDGETS,
        fe.MODELS,
        **fields,
        n_episodes=n_episodes,
        min_tries=scored.min_tries,
        backend=r.backend,
        seconds=time.perf_counter() - start,
    )


# ------------------------------------------------------------------ a student's function against the engine


@dataclass
class ExactComparison:
    """``compare_push_predecessors``' result: the plain loop with the given function against the engine."""

    match: bool
    steps: np.ndarray  # the plain loop's steps per episode
    engine_steps: np.ndarray
    updates: np.ndarray  # value updates up to the end of each episode
    engine_updates: np.ndarray
    max_value_difference: float

    def __str__(self) -> str:
        if self.match:
            return (
                f"Same run as the fast engine: {len(self.steps)} episodes, steps {self.steps.astype(int).tolist()}, "
                f"{int(self.updates[-1])} value updates, identical values."
            )
        return (
            f"Not the engine's run. Steps per episode: yours {self.steps.astype(int).tolist()}, engine "
            f"{self.engine_steps.astype(int).tolist()}; updates: yours {self.updates.tolist()}, engine "
            f"{self.engine_updates.tolist()}; largest value difference {self.max_value_difference:.3g}."
        )


def compare_push_predecessors(push_predecessors, n_episodes=6, n=5, theta=1e-4) -> ExactComparison:
    """Run ``prioritized.prioritized_sweeping`` with ``push_predecessors`` and epsilon = 0 (no random
    numbers at all: the run is determined by the algorithm) and compare it with the fast engine's run of
    the same settings, which must be identical step for step (about a second)."""
    from dynaq_course.going_further.prioritized import PARAMS, prioritized_sweeping
    from dynaq_course.world import QuentinsWorld

    params = dict(PARAMS, epsilon=0.0, n=int(n), theta=float(theta))
    value, _, steps, updates = prioritized_sweeping(QuentinsWorld(), params, n_episodes, 1000, push_predecessors)
    ref = fe.simulate_prioritized([int(n)], 1, n_episodes, theta=theta, epsilon=0.0, seed=0, progress=False)
    diff = float(np.max(np.abs(ref.values[0, 0] - value)))
    match = np.array_equal(ref.steps[0, 0], steps) and np.array_equal(ref.updates[0, 0], updates) and diff == 0.0
    return ExactComparison(match, steps, ref.steps[0, 0], updates, ref.updates[0, 0], diff)
