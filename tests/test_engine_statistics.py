"""The fast engine is the same algorithm as the reference loop: a statistical test.

The reference: ``tests/data/reference_runs.npz``, many runs of the package's
``agent.learn_environment`` (the tutorial's loop; test_agent.py checks it step
for step) with the instructor's solutions, one ``np.random.seed`` per run,
recorded by ``tests/data/make_reference_runs.py``: the k sweep (k = 0, 1, 10,
100; 100 episodes; 300, 300, 200 and 50 runs) and the shortcut experiment
(k = 0 and 10; 400 episodes, the door opens at episode 200; 200 and 60 runs).

The engine, both backends, runs the same settings over many seeds of its own.
For every setting the test compares, run by run:

* the **curve**: mean steps per episode in consecutive windows of episodes (the
  first episode, 1-4, 5-9, ..., the last stretch; around the door for the
  shortcut experiment);
* the **final values**: the mean of the final value table, the value of the
  start state (max over actions) and the share of entries equal to 1, their
  starting value (at the float32 precision the reference is stored in, for both);

with a two-sample z test on the means, |z| <= 4 (about 54 comparisons per
backend: a correct engine fails one by chance with probability about 0.3%),
and a two-sample Kolmogorov-Smirnov test (p > 0.001) on the whole distribution
of two per-run numbers: total steps and the last window's mean.

Negative controls show the test can fail: engines that ignore k, explore at
epsilon 0.1 instead of 0.05, or discount with gamma 0.9 instead of 0.8 must
each be rejected. Seeds are fixed, so the outcome is the same on every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from dynaq_course import engine
from dynaq_course.world import START_STATE

DATA = Path(__file__).resolve().parent / "data" / "reference_runs.npz"
Z_MAX = 4.0
KS_P_MIN = 1e-3

SWEEP_WINDOWS = ((0, 1), (1, 5), (5, 10), (10, 20), (20, 40), (40, 100))
SHORTCUT_WINDOWS = ((0, 20), (20, 100), (100, 200), (200, 210), (210, 250), (250, 400))
SETTINGS = ("sweep_k0", "sweep_k1", "sweep_k10", "sweep_k100", "shortcut_k0", "shortcut_k10")
# engine runs per setting: numba, python (the plain-Python engine is ~30x slower)
RUNS = {
    "sweep_k0": (1000, 150),
    "sweep_k1": (1000, 150),
    "sweep_k10": (1000, 150),
    "sweep_k100": (400, 40),
    "shortcut_k0": (1000, 150),
    "shortcut_k10": (400, 60),
}


@dataclass(frozen=True)
class Setting:
    name: str
    k: int
    n_episodes: int
    shortcut_episode: int | None

    @property
    def windows(self):
        return SHORTCUT_WINDOWS if self.shortcut_episode is not None else SWEEP_WINDOWS


def _reference():
    data = np.load(DATA)
    out = {}
    for name in SETTINGS:
        k, n_episodes, shortcut, _, _ = (int(v) for v in data[f"{name}_settings"])
        setting = Setting(name, k, n_episodes, None if shortcut < 0 else shortcut)
        out[name] = (setting, data[f"{name}_steps"].astype(float), data[f"{name}_values"].astype(float))
    return out


REFERENCE = _reference()


def statistics(setting: Setting, steps: np.ndarray, values: np.ndarray) -> dict:
    """{statistic name: one number per run}."""
    out = {f"steps {a}-{b - 1}": steps[:, a:b].mean(axis=1) for a, b in setting.windows}
    out["final mean value"] = values.mean(axis=(1, 2))
    out["final value of the start"] = values[:, START_STATE].max(axis=1)
    out["final share equal to 1"] = (values == 1.0).mean(axis=(1, 2))
    return out


def z_score(ours: np.ndarray, reference: np.ndarray) -> float:
    se = math.sqrt(ours.var(ddof=1) / len(ours) + reference.var(ddof=1) / len(reference))
    difference = ours.mean() - reference.mean()
    if se == 0:
        return 0.0 if difference == 0 else math.inf
    return difference / se


def run_engine(setting: Setting, backend: str, n_runs: int, seed: int, **changes) -> dict:
    k = changes.pop("k", setting.k)
    params = dict(engine.TUTORIAL_PARAMS, **changes)
    result = engine.simulate(
        [k],
        n_runs,
        setting.n_episodes,
        shortcut_episode=setting.shortcut_episode,
        seed=seed,
        backend=backend,
        progress=False,
        **params,
    )
    # the reference values are stored as float32: round ours the same way (values near 1,
    # such as Q(98, right) converging to 1 from above, would otherwise differ only by rounding)
    return statistics(setting, result.steps[0], result.values[0].astype(np.float32).astype(float))


BACKENDS = ["numba", "python"]


@pytest.fixture(scope="module", params=BACKENDS)
def engine_results(request):
    backend = request.param
    if backend == "numba" and not engine.numba_available():
        pytest.skip("numba is not installed")
    column = BACKENDS.index(backend)
    results = {
        name: run_engine(REFERENCE[name][0], backend, RUNS[name][column], seed=7_000 + i)
        for i, name in enumerate(SETTINGS)
    }
    return backend, results


def _comparisons(ours: dict, setting_name: str):
    setting, steps, values = REFERENCE[setting_name]
    reference = statistics(setting, steps, values)
    return {
        stat: (z_score(ours[stat], reference[stat]), ours[stat].mean(), reference[stat].mean()) for stat in reference
    }


def _table(backend, results) -> str:
    lines = [f"fast engine ({backend}) against the reference loop: mean (z)"]
    for name in SETTINGS:
        for stat, (z, ours, ref) in _comparisons(results[name], name).items():
            flag = "" if abs(z) <= Z_MAX else "   <-- rejected"
            lines.append(f"  {name:13s} {stat:27s} engine {ours:9.4f}  reference {ref:9.4f}  z {z:+6.2f}{flag}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", SETTINGS)
def test_curves_and_final_values_match_the_reference(engine_results, name):
    backend, results = engine_results
    comparisons = _comparisons(results[name], name)
    bad = {stat: round(z, 2) for stat, (z, _, _) in comparisons.items() if not abs(z) <= Z_MAX}
    assert not bad, f"{backend} engine, {name}: |z| > {Z_MAX} for {bad}\n" + _table(backend, results)


@pytest.mark.parametrize("name", SETTINGS)
def test_distributions_match_the_reference(engine_results, name):
    """Kolmogorov-Smirnov on per-run total steps and on the last window's mean."""
    backend, results = engine_results
    setting, steps, values = REFERENCE[name]
    reference = statistics(setting, steps, values)
    last = f"steps {setting.windows[-1][0]}-{setting.windows[-1][1] - 1}"
    ours_total = sum(results[name][f"steps {a}-{b - 1}"] * (b - a) for a, b in setting.windows)
    ref_total = steps.sum(axis=1)
    for label, ours, ref in (("total steps", ours_total, ref_total), (last, results[name][last], reference[last])):
        p = stats.ks_2samp(ours, ref).pvalue
        assert p > KS_P_MIN, f"{backend} engine, {name}, {label}: KS p = {p:.2g}"


# ---------------------------------------------------------------- negative controls

CONTROLS = [
    # (what is wrong, setting run, changed settings, reference setting it claims to be, statistics that must fail)
    ("planning ignores k", "sweep_k10", {"k": 0}, "sweep_k10", ("steps 20-39", "steps 40-99")),
    ("planning ignores k", "sweep_k100", {"k": 1}, "sweep_k100", ("steps 5-9", "steps 10-19")),
    ("explores with epsilon 0.1", "sweep_k10", {"epsilon": 0.1}, "sweep_k10", ("steps 40-99",)),
    ("discounts with gamma 0.9", "sweep_k10", {"gamma": 0.9}, "sweep_k10", ("final mean value",)),
    ("planning ignores k", "shortcut_k10", {"k": 0}, "shortcut_k10", ("steps 250-399",)),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "wrong, run_name, changes, claimed, must_fail", CONTROLS, ids=[f"{c[0]} ({c[1]})" for c in CONTROLS]
)
def test_negative_control_is_rejected(backend, wrong, run_name, changes, claimed, must_fail):
    if backend == "numba" and not engine.numba_available():
        pytest.skip("numba is not installed")
    setting = REFERENCE[run_name][0]
    n_runs = {"numba": 400, "python": 60}[backend]
    ours = run_engine(setting, backend, n_runs, seed=9_000, **dict(changes))
    comparisons = _comparisons(ours, claimed)
    for stat in must_fail:
        z = comparisons[stat][0]
        assert abs(z) > Z_MAX, f"an engine that {wrong} passed as {claimed} on {stat!r} (z = {z:+.2f})"
    # and the distribution test rejects it too, on the same statistics
    reference = statistics(*REFERENCE[claimed])
    for stat in must_fail:
        p = stats.ks_2samp(ours[stat], reference[stat]).pvalue
        assert p <= KS_P_MIN, f"an engine that {wrong} passed as {claimed} in distribution on {stat!r} (KS p = {p:.2g})"
