"""Statistical agreement with the tutorial's published behaviour.

The package's ``learn_environment`` with the reference exercise solutions is run
over many seeds and its mean steps per episode compared with targets measured
by a faithful re-run of the tutorial's own loop (50 experiments each, mean and
95% CI half-width):

* k sweep, 100 episodes, mean over episode indices 20..99:
  48.6 +- 0.5 (k=0), 34.2 +- 0.3 (k=1), 22.1 +- 0.1 (k=10), 21.2 +- 0.1 (k=100)
* shortcut experiment, 400 episodes, shortcut at episode 200:
  indices 150..199: 22.4 +- 0.2 (k=0), 21.2 +- 0.1 (k=10)
  indices 250..399: 14.0 +- 1.1 (k=0, bimodal), 10.53 +- 0.02 (k=10)

Agreement: |ours - target| <= 3 * sqrt(se_ours^2 + se_target^2), with
se_target = halfwidth / 1.96. Negative controls (a planner that ignores k, a
planner that does one update whatever k is) must be rejected by the same test.

Runs are spread over two processes; each run seeds NumPy's global generator
itself (``np.random.seed(seed)``), with a distinct seed per run, so the results
are the same whatever the scheduling.
"""

import math
import multiprocessing
import time
from dataclasses import dataclass

import numpy as np
import pytest

from dynaq_course.agent import learn_environment, q_learning
from dynaq_course.world import QuentinsWorld

PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
MAX_STEPS = 1000
Z = 3.0


# ---------------------------------------------------------------------------
# Wrong planners for the negative controls
# ---------------------------------------------------------------------------
def planning_ignoring_k(model, value, params):
    """Never plans: Dyna-Q collapses to Q-learning whatever k is."""
    return value


def planning_one_update(model, value, params):
    """One planning update per step whatever k is (a forgotten loop)."""
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    state, action = candidates[np.random.randint(len(candidates))]
    reward, next_state = model[state, action]
    return q_learning(state, action, reward, next_state, value, params)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    name: str
    k: int
    n_episodes: int
    shortcut_episode: "int | None"
    windows: tuple  # ((label, start, stop), ...) episode index slices
    n_experiments: int
    seed_base: int
    planner: str = "reference"  # "reference", "ignores_k" or "one_update"

    @property
    def cost(self):
        """Rough CPU seconds per run (measured), to schedule the long runs first."""
        effective_k = {"reference": self.k, "ignores_k": 0, "one_update": 1}[self.planner]
        per_100_episodes = {0: 0.25, 1: 0.25, 10: 0.75, 100: 3.9}[effective_k]
        # after ~20 episodes an episode is short, so 400 episodes cost ~2x 100 episodes
        return per_100_episodes * (2 if self.n_episodes > 100 else 1)


SWEEP = (("20-100", 20, 100),)
SHORTCUT = (("150-200", 150, 200), ("250-400", 250, 400))

SETTINGS = [
    Setting("k=0", 0, 100, None, SWEEP, 20, 1_000),
    Setting("k=1", 1, 100, None, SWEEP, 20, 2_000),
    Setting("k=10", 10, 100, None, SWEEP, 16, 3_000),
    Setting("k=100", 100, 100, None, SWEEP, 6, 4_000),
    Setting("shortcut k=0", 0, 400, 200, SHORTCUT, 30, 5_000),
    Setting("shortcut k=10", 10, 400, 200, SHORTCUT, 8, 6_000),
]
CONTROLS = [
    Setting("k=10, planner ignores k", 10, 100, None, SWEEP, 8, 7_000, "ignores_k"),
    Setting("k=100, planner does 1 update", 100, 100, None, SWEEP, 8, 8_000, "one_update"),
]

# (setting name, window label) -> (target mean, 95% CI half-width)
TARGETS = {
    ("k=0", "20-100"): (48.6, 0.5),
    ("k=1", "20-100"): (34.2, 0.3),
    ("k=10", "20-100"): (22.1, 0.1),
    ("k=100", "20-100"): (21.2, 0.1),
    ("shortcut k=0", "150-200"): (22.4, 0.2),
    ("shortcut k=10", "150-200"): (21.2, 0.1),
    ("shortcut k=0", "250-400"): (14.0, 1.1),
    ("shortcut k=10", "250-400"): (10.53, 0.02),
}
# negative control -> the targets it must fail
CONTROL_CHECKS = [
    ("k=10, planner ignores k", ("k=10", "20-100")),
    ("k=10, planner ignores k", ("k=100", "20-100")),
    ("k=100, planner does 1 update", ("k=100", "20-100")),
    ("k=100, planner does 1 update", ("k=10", "20-100")),
]


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
# The exercise functions of the current run. Filled in by the parent before the
# pool forks, so the workers inherit them: the reference solutions are defined by
# exec'ing notebook cells and cannot be pickled.
_FUNCTIONS = {}


def _run_one(job):
    """One experiment in a worker process: returns the steps per episode."""
    index, seed, setting = job
    model_update, planner = _FUNCTIONS["model_update"], _FUNCTIONS[setting.planner]
    cpu = time.process_time()
    np.random.seed(seed)
    params = dict(PARAMS, k=setting.k)
    _, _, steps = learn_environment(
        QuentinsWorld(),
        model_update,
        planner,
        params,
        MAX_STEPS,
        setting.n_episodes,
        shortcut_episode=setting.shortcut_episode,
    )
    return index, steps, time.process_time() - cpu


def consistent(ours: np.ndarray, target: float, halfwidth: float, z: float = Z):
    """(ok, mean, se, z-score): is the mean of the per-run statistics ``ours``
    consistent with a target mean +- 95% half-width?"""
    ours = np.asarray(ours, dtype=float)
    mean = ours.mean()
    se = ours.std(ddof=1) / math.sqrt(len(ours))
    combined = math.sqrt(se**2 + (halfwidth / 1.96) ** 2)
    score = (mean - target) / combined
    return abs(score) <= z, mean, se, score


@pytest.fixture(scope="module")
def results(reference_functions):
    """{setting name: {window label: per-run mean steps (n_experiments,)}}."""
    model_update, reference_planning = reference_functions
    _FUNCTIONS.update(
        model_update=model_update,
        reference=reference_planning,
        ignores_k=planning_ignoring_k,
        one_update=planning_one_update,
    )
    settings = SETTINGS + CONTROLS
    jobs = []
    for setting in settings:
        for i in range(setting.n_experiments):
            jobs.append((len(jobs), setting.seed_base + i, setting))
    seeds = [job[1] for job in jobs]
    assert len(set(seeds)) == len(seeds)
    jobs.sort(key=lambda job: -job[2].cost)  # longest first

    start = time.perf_counter()
    steps = [None] * len(jobs)
    cpu = 0.0
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for index, episode_steps, run_cpu in pool.imap_unordered(_run_one, jobs, chunksize=1):
            steps[index] = episode_steps
            cpu += run_cpu
    elapsed = time.perf_counter() - start

    out, position = {}, 0
    for setting in settings:
        runs = np.array(steps[position : position + setting.n_experiments])
        position += setting.n_experiments
        assert runs.shape == (setting.n_experiments, setting.n_episodes)
        out[setting.name] = {label: runs[:, a:b].mean(axis=1) for label, a, b in setting.windows}
    _print_table(out, elapsed, cpu, len(jobs))
    return out


def _print_table(out, elapsed, cpu, n_runs):
    print(
        f"\n\nDyna-Q on Quentin's World: mean steps per episode ({n_runs} runs, "
        f"{elapsed:.1f} s wall, {cpu:.1f} CPU-s in 2 workers)"
    )
    header = f"{'setting':<30}{'episodes':>9}{'n':>4}  {'ours (95% CI)':>17}  {'target (95% CI)':>17}{'z':>7}  verdict"
    print(header)
    print("-" * len(header))
    rows = [(name, label, target) for (name, label), target in TARGETS.items()]
    rows.sort(key=lambda r: [s.name for s in SETTINGS].index(r[0]))
    rows += [(control, target_key[1], TARGETS[target_key], target_key[0]) for control, target_key in CONTROL_CHECKS]
    for row in rows:
        name, label, (target, halfwidth) = row[:3]
        ok, mean, se, score = consistent(out[name][label], target, halfwidth)
        if len(row) == 4:
            verdict = f"vs {row[3]}: {'ACCEPTED (bad)' if ok else 'rejected (good)'}"
        else:
            verdict = "consistent" if ok else "INCONSISTENT"
        n = len(out[name][label])
        print(
            f"{name:<30}{label:>9}{n:>4}  {mean:8.2f} +- {1.96 * se:5.2f}  "
            f"{target:8.2f} +- {halfwidth:5.2f}{score:7.1f}  {verdict}"
        )
    runs = out["shortcut k=0"]["250-400"]
    print(
        f"shortcut k=0, episodes 250-400: {np.mean(runs < 12):.0%} of runs use the shortcut "
        f"(mean < 12 steps); per-run means {np.round(np.sort(runs), 1).tolist()}"
    )


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,label", list(TARGETS), ids=[f"{n} {w}" for n, w in TARGETS])
def test_agrees_with_tutorial(results, name, label):
    target, halfwidth = TARGETS[name, label]
    ok, mean, se, score = consistent(results[name][label], target, halfwidth)
    assert ok, (
        f"{name}, episodes {label}: mean {mean:.2f} (se {se:.2f}) vs tutorial "
        f"{target} +- {halfwidth}: {score:+.1f} combined standard errors"
    )


@pytest.mark.parametrize("control,target_key", CONTROL_CHECKS, ids=[f"{c} vs {t[0]}" for c, t in CONTROL_CHECKS])
def test_negative_control_is_rejected(results, control, target_key):
    target, halfwidth = TARGETS[target_key]
    ok, mean, se, score = consistent(results[control][target_key[1]], target, halfwidth)
    assert not ok, f"{control} (mean {mean:.2f}) passed as {target_key[0]} ({target})"


def test_runs_are_independent(results):
    """Every run was seeded differently: no two runs of a setting are identical."""
    for setting in SETTINGS:
        for label, runs in results[setting.name].items():
            assert len(np.unique(runs)) > len(runs) // 2, (setting.name, label)


def test_planning_helps_and_shortcut_is_used(results):
    """The tutorial's qualitative story, on our own numbers."""
    sweep = [results[f"k={k}"]["20-100"].mean() for k in (0, 1, 10, 100)]
    assert sweep[0] > sweep[1] > sweep[2] > sweep[3]
    dyna = results["shortcut k=10"]
    assert dyna["250-400"].mean() < dyna["150-200"].mean() - 8  # Dyna-Q takes the shortcut
    assert np.all(dyna["250-400"] < 12)
