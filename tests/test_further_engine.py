"""Section 6's fast engine (further_engine) runs the same algorithms as the plain loops.

* Exactly, where no random number is involved: with epsilon = 0 prioritized
  sweeping is deterministic, and so is Dyna-Q(+) with k = 0: engine (both
  backends) and plain loop (with tests/further_reference.py's functions) must
  agree step for step and value for value.
* In distribution otherwise (Dyna-Q+ planning with the bonus, the slippery
  world): per-run statistics compared with a two-sample z test, |z| <= 4
  (a correct engine fails one comparison by chance with probability ~1e-4;
  seeds are fixed, so every run gives the same verdict). Negative controls:
  the engine with a wrong kappa or slip must be rejected by the same test.
* Dyna-Q+ with kappa = 0 is Dyna-Q: compared with the course's validated
  engine (engine.simulate) in distribution.
"""
import math

import numpy as np
import pytest

from dynaq_course import QuentinsWorld, engine
from dynaq_course import further_engine as fe
from dynaq_course.dyna_plus import learn_dyna_q_plus
from dynaq_course.prioritized import PARAMS, prioritized_sweeping
from dynaq_course.stochastic import SlipperyWorld, learn_slippery
from further_reference import bonus_reward, push_predecessors

Z_MAX = 4.0
BACKENDS = ["numba", "python"]
ENGINE_RUNS = {"numba": 300, "python": 60}


def _backend(name):
    if name == "numba" and not engine.numba_available():
        pytest.skip("numba is not installed")
    return name


def z_score(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    diff = a.mean() - b.mean()
    return 0.0 if se == 0 and diff == 0 else (math.inf if se == 0 else diff / se)


# ------------------------------------------------------------------ exact agreement

@pytest.mark.parametrize("backend", BACKENDS)
def test_prioritized_sweeping_matches_the_plain_loop_exactly_without_exploration(backend):
    backend = _backend(backend)
    params = dict(PARAMS, epsilon=0.0, n=5)
    value, rewards, steps, updates = prioritized_sweeping(QuentinsWorld(), params, 6, 1000, push_predecessors)
    result = fe.simulate_prioritized([5], 1, 6, epsilon=0.0, seed=0, backend=backend, progress=False)
    np.testing.assert_array_equal(result.steps[0, 0], steps)
    np.testing.assert_array_equal(result.reward_sums[0, 0], rewards)
    np.testing.assert_array_equal(result.updates[0, 0], updates)
    np.testing.assert_array_equal(result.values[0, 0], value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dyna_without_planning_matches_the_plain_loop_exactly_door_included(backend):
    backend = _backend(backend)
    params = dict(epsilon=0.0, alpha=0.5, gamma=0.8, k=0, kappa=0.0)
    value, rewards, steps, used = learn_dyna_q_plus(QuentinsWorld(), params, 6, 1000, bonus_reward,
                                                    shortcut_episode=3)
    assert used.any()          # the greedy agent walks through the door here: the flag is exercised
    result = fe.simulate_dyna_plus([0.0], 1, 6, door_episode=3, k=0, epsilon=0.0, seed=0, backend=backend,
                                   progress=False)
    np.testing.assert_array_equal(result.steps[0, 0], steps)
    np.testing.assert_array_equal(result.reward_sums[0, 0], rewards)
    np.testing.assert_array_equal(result.door_used[0, 0], used)
    np.testing.assert_array_equal(result.values[0, 0], value)


# ------------------------------------------------------------------ agreement in distribution

DYNA_PLUS = dict(k=5, kappa=0.01, n_episodes=12, door=4)


@pytest.fixture(scope="module")
def plain_dyna_plus():
    runs = []
    for i in range(20):
        np.random.seed(100 + i)
        params = dict(epsilon=0.05, alpha=0.5, gamma=0.8, k=DYNA_PLUS["k"], kappa=DYNA_PLUS["kappa"])
        value, _, steps, _ = learn_dyna_q_plus(QuentinsWorld(), params, DYNA_PLUS["n_episodes"], 1000,
                                               bonus_reward, shortcut_episode=DYNA_PLUS["door"])
        runs.append((steps.sum(), value.mean(), value[54].max()))
    return np.array(runs)


def _dyna_plus_stats(backend, kappa, seed=1):
    r = fe.simulate_dyna_plus([kappa], ENGINE_RUNS[backend], DYNA_PLUS["n_episodes"], door_episode=DYNA_PLUS["door"],
                              k=DYNA_PLUS["k"], seed=seed, backend=backend, progress=False)
    return np.stack([r.steps[0].sum(axis=1), r.values[0].mean(axis=(1, 2)), r.values[0, :, 54].max(axis=1)], 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dyna_plus_engine_matches_the_plain_loop_in_distribution(backend, plain_dyna_plus):
    ours = _dyna_plus_stats(_backend(backend), DYNA_PLUS["kappa"])
    z = [z_score(ours[:, j], plain_dyna_plus[:, j]) for j in range(3)]
    assert max(abs(v) for v in z) <= Z_MAX, f"z scores (total steps, mean value, start value): {z}"


def test_dyna_plus_negative_control_wrong_kappa_is_rejected(plain_dyna_plus):
    ours = _dyna_plus_stats(_backend("numba") if engine.numba_available() else "python", 2 * DYNA_PLUS["kappa"])
    z = [z_score(ours[:, j], plain_dyna_plus[:, j]) for j in range(3)]
    assert max(abs(v) for v in z) > Z_MAX, z


SLIPPERY = dict(slip=0.2, k=3, n_episodes=8)


@pytest.fixture(scope="module")
def plain_slippery():
    out = {}
    for model in fe.MODELS:
        runs = []
        for i in range(16):
            np.random.seed(300 + i)
            params = dict(epsilon=0.05, alpha=0.5, gamma=0.8, k=SLIPPERY["k"])
            value, rewards, steps = learn_slippery(SlipperyWorld(SLIPPERY["slip"]), params, SLIPPERY["n_episodes"],
                                                   1000, model)
            runs.append((steps.sum(), rewards.sum(), value.mean(), value[54].max()))
        out[model] = np.array(runs)
    return out


def _slippery_stats(backend, slip, seed=1):
    r = fe.simulate_slippery([slip], fe.MODELS, k=SLIPPERY["k"], n_experiments=ENGINE_RUNS[backend],
                             n_episodes=SLIPPERY["n_episodes"], seed=seed, backend=backend, progress=False)
    return {model: np.stack([r.steps[0, m].sum(axis=1), r.reward_sums[0, m].sum(axis=1),
                             r.values[0, m].mean(axis=(1, 2)), r.values[0, m, :, 54].max(axis=1)], 1)
            for m, model in enumerate(r.models)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_slippery_engine_matches_the_plain_loop_in_distribution(backend, plain_slippery):
    ours = _slippery_stats(_backend(backend), SLIPPERY["slip"])
    for model in fe.MODELS:
        z = [z_score(ours[model][:, j], plain_slippery[model][:, j]) for j in range(4)]
        assert max(abs(v) for v in z) <= Z_MAX, f"{model}: z (steps, reward, mean value, start value) {z}"


def test_slippery_negative_control_wrong_slip_is_rejected(plain_slippery):
    ours = _slippery_stats("numba" if engine.numba_available() else "python", 0.3)
    for model in fe.MODELS:
        z = [z_score(ours[model][:, j], plain_slippery[model][:, j]) for j in range(4)]
        assert max(abs(v) for v in z) > Z_MAX, (model, z)


def test_kappa_zero_is_the_course_engines_dyna_q():
    backend = "numba" if engine.numba_available() else "python"
    n = 300 if backend == "numba" else 40
    ours = fe.simulate_dyna_plus([0.0], n, 60, door_episode=59, k=10, seed=5, backend=backend, progress=False)
    course = engine.simulate([10], n, 60, seed=6, backend=backend, progress=False)
    for a, b in ((0, 1), (1, 5), (5, 20), (20, 59)):
        z = z_score(ours.steps[0, :, a:b].mean(axis=1), course.steps[0, :, a:b].mean(axis=1))
        assert abs(z) <= Z_MAX, (a, b, z)
    z = z_score(ours.values[0].mean(axis=(1, 2)), course.values[0].mean(axis=(1, 2)))
    assert abs(z) <= Z_MAX, z


# ------------------------------------------------------------------ repeatability and validation

def test_same_seed_same_numbers_and_common_random_numbers_across_settings():
    a = fe.simulate_slippery([0.1, 0.1], ["cached"], k=3, n_experiments=3, n_episodes=4, seed=9, backend="python",
                             progress=False)
    b = fe.simulate_slippery([0.1], ["cached"], k=3, n_experiments=3, n_episodes=4, seed=9, backend="python",
                             progress=False)
    np.testing.assert_array_equal(a.steps[0], b.steps[0])
    np.testing.assert_array_equal(a.steps[0], a.steps[1])          # same seed per experiment for each setting
    assert not np.array_equal(a.steps[0, 0, 0], a.steps[0, 0, 1])  # experiments differ


@pytest.mark.parametrize("call, match", [
    (lambda: fe.simulate_dyna_plus([-0.1], 1, 5, door_episode=2), "kappa"),
    (lambda: fe.simulate_dyna_plus([0.1], 1, 5, door_episode=5), "door_episode"),
    (lambda: fe.simulate_dyna_plus([], 1, 5, door_episode=2), "empty"),
    (lambda: fe.simulate_uniform([1.5], 1, 5), "whole number"),
    (lambda: fe.simulate_prioritized([1], 0, 5), "n_experiments"),
    (lambda: fe.simulate_prioritized([1], 1, 5, theta=-1), "theta"),
    (lambda: fe.simulate_slippery([1.5]), "slip"),
    (lambda: fe.simulate_slippery([0.1], ["last"]), "models"),
    (lambda: fe.simulate_slippery([0.1], epsilon=2), "epsilon"),
    (lambda: fe.simulate_slippery([0.1], backend="fortran"), "backend"),
])
def test_bad_settings_get_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
