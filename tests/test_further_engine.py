"""Section 6's fast engine (further_engine) runs the same algorithms as the plain loops.

* Exactly, where no random number is involved: with epsilon = 0 prioritized
  sweeping is deterministic, and so is Dyna-Q(+) with k = 0: engine (both
  backends) and plain loop (with the reference answers of source/, read by tests/references.py) must
  agree step for step and value for value.
* In distribution otherwise (Dyna-Q+ planning with the bonus, the slippery
  world): per-run statistics compared with a two-sample z test, |z| <= 4
  (a correct engine fails one comparison by chance with probability ~1e-4;
  seeds are fixed, so every run gives the same verdict). Negative controls:
  the engine with a wrong kappa or slip must be rejected by the same test.
* The slippery world's counts + sample updates agent and the budget in max-Q
  evaluations: engine (both backends) against the plain loop in
  distribution, with the neighbouring agents (last outcome; expected
  updates) and the budget in updates as negative controls; the budget's
  bookkeeping exactly (k per real step, plus a debt under one update's cost).
* Dyna-Q+ with kappa = 0 is Dyna-Q: compared with the course's validated
  engine (engine.simulate) in distribution.
* The blocking world (the open door closes) and the bonus in action selection
  (Exercise 8.4): exactly with epsilon = 0 and k = 0 (the action bonus still
  acts), in distribution otherwise; negative controls: the wrong world, the
  bonus in the wrong place, the wrong kappa.
"""

import math

import numpy as np
import pytest
import references
from references import dyna_q_plus_reward as bonus_reward
from references import push_predecessors

from dynaq_course import QuentinsWorld, engine
from dynaq_course.going_further import engine as fe
from dynaq_course.going_further.dyna_plus import learn_dyna_q_action_bonus, learn_dyna_q_plus
from dynaq_course.going_further.prioritized import PARAMS, prioritized_sweeping
from dynaq_course.going_further.slippery import SlipperyWorld, learn_slippery, optimal_q

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
    value, rewards, steps, used = learn_dyna_q_plus(QuentinsWorld(), params, 6, 1000, bonus_reward, shortcut_episode=3)
    assert used.any()  # the greedy agent walks through the door here: the flag is exercised
    result = fe.simulate_dyna_plus(
        [0.0], 1, 6, door_episode=3, k=0, epsilon=0.0, seed=0, backend=backend, progress=False
    )
    np.testing.assert_array_equal(result.steps[0, 0], steps)
    np.testing.assert_array_equal(result.reward_sums[0, 0], rewards)
    np.testing.assert_array_equal(result.door_taken[0, 0], used)  # counts of (64, up) after the change
    np.testing.assert_array_equal(result.values[0, 0], value)


# ------------------------------------------------------------------ agreement in distribution

DYNA_PLUS = dict(k=5, kappa=0.01, n_episodes=12, door=4)


@pytest.fixture(scope="module")
def plain_dyna_plus():
    runs = []
    for i in range(20):
        np.random.seed(100 + i)
        params = dict(epsilon=0.05, alpha=0.5, gamma=0.8, k=DYNA_PLUS["k"], kappa=DYNA_PLUS["kappa"])
        value, _, steps, _ = learn_dyna_q_plus(
            QuentinsWorld(), params, DYNA_PLUS["n_episodes"], 1000, bonus_reward, shortcut_episode=DYNA_PLUS["door"]
        )
        runs.append((steps.sum(), value.mean(), value[54].max()))
    return np.array(runs)


def _dyna_plus_stats(backend, kappa, seed=1):
    r = fe.simulate_dyna_plus(
        [kappa],
        ENGINE_RUNS[backend],
        DYNA_PLUS["n_episodes"],
        door_episode=DYNA_PLUS["door"],
        k=DYNA_PLUS["k"],
        seed=seed,
        backend=backend,
        progress=False,
    )
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


# ------------------------------------------------------------------ blocking world, bonus in action selection

# Exercise 8.4's greedy choice from source/: the first action with the largest Q + kappa * sqrt(tau),
# which is the engine's tie rule (the exact-match tests below rely on it).
reference_bonus_greedy_action = references.bonus_greedy_action


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("world", ["blocking", "shortcut"])
def test_action_bonus_matches_the_plain_loop_exactly_without_random_numbers(backend, world):
    """epsilon = 0, k = 0: no random number at all, and the bonus alone drives the exploring."""
    backend = _backend(backend)
    params = dict(epsilon=0.0, alpha=0.5, gamma=0.8, k=0, kappa=0.05)
    value, rewards, steps, taken = learn_dyna_q_action_bonus(
        QuentinsWorld(world == "blocking"), params, 8, 1000, reference_bonus_greedy_action, shortcut_episode=4
    )
    result = fe.simulate_dyna_plus(
        [0.05],
        1,
        8,
        door_episode=4,
        k=0,
        epsilon=0.0,
        seed=0,
        backend=backend,
        progress=False,
        world=world,
        bonus="action",
    )
    assert taken[4:].sum() > 0  # the door (or the closed door) is taken: counts exercised
    np.testing.assert_array_equal(result.steps[0, 0], steps)
    np.testing.assert_array_equal(result.reward_sums[0, 0], rewards)
    np.testing.assert_array_equal(result.door_taken[0, 0], taken)
    np.testing.assert_array_equal(result.door_used[0, 0], taken > 0)
    np.testing.assert_array_equal(result.values[0, 0], value)
    plain = fe.simulate_dyna_plus(
        [0.0],
        1,
        8,
        door_episode=4,
        k=0,
        epsilon=0.0,
        seed=0,
        backend=backend,
        progress=False,
        world=world,
        bonus="action",
    )
    assert not np.array_equal(plain.steps[0, 0], steps)  # the bonus changed the run


@pytest.mark.parametrize("backend", BACKENDS)
def test_blocking_without_planning_matches_the_plain_loop_exactly_bumps_included(backend):
    backend = _backend(backend)
    params = dict(epsilon=0.0, alpha=0.5, gamma=0.8, k=0, kappa=0.0)
    env = QuentinsWorld(shortcut_open=True)
    value, rewards, steps, bumps = learn_dyna_q_plus(env, params, 8, 1000, bonus_reward, shortcut_episode=4)
    assert not env.shortcut_open and bumps[4] >= 1 and bumps[:4].sum() == 0
    result = fe.simulate_dyna_plus(
        [0.0], 1, 8, door_episode=4, k=0, epsilon=0.0, seed=0, backend=backend, progress=False, world="blocking"
    )
    assert result.world == "blocking" and result.bonus == "planning"
    np.testing.assert_array_equal(result.steps[0, 0], steps)
    np.testing.assert_array_equal(result.reward_sums[0, 0], rewards)
    np.testing.assert_array_equal(result.door_taken[0, 0], bumps)
    np.testing.assert_array_equal(result.values[0, 0], value)


CHANGE = dict(k=5, n_episodes=16, door=8, runs=24)
# per run: total steps, total reward, mean value, max Q(start), Q(64, up), times (64, up) was taken after the change
CHANGE_STATS = ("steps", "reward", "mean value", "start value", "Q(64, up)", "door taken")


def _plain_change_runs(learn, function, kappa, seed0):
    runs = []
    for i in range(CHANGE["runs"]):
        np.random.seed(seed0 + i)
        params = dict(epsilon=0.05, alpha=0.5, gamma=0.8, k=CHANGE["k"], kappa=kappa)
        value, rewards, steps, taken = learn(
            QuentinsWorld(shortcut_open=True),
            params,
            CHANGE["n_episodes"],
            1000,
            function,
            shortcut_episode=CHANGE["door"],
        )
        runs.append((steps.sum(), rewards.sum(), value.mean(), value[54].max(), value[64, 1], taken.sum()))
    return np.array(runs)


@pytest.fixture(scope="module")
def plain_blocking():
    """The plain loops in the blocking world: Dyna-Q+ (kappa 0.01), Dyna-Q (kappa 0), bonus in action (0.05)."""
    return {
        "dyna-q-plus": _plain_change_runs(learn_dyna_q_plus, bonus_reward, 0.01, 500),
        "dyna-q": _plain_change_runs(learn_dyna_q_plus, bonus_reward, 0.0, 600),
        "action": _plain_change_runs(learn_dyna_q_action_bonus, reference_bonus_greedy_action, 0.05, 700),
    }


def _change_stats(backend, kappa, world, bonus, seed=3):
    r = fe.simulate_dyna_plus(
        [kappa],
        ENGINE_RUNS[backend],
        CHANGE["n_episodes"],
        door_episode=CHANGE["door"],
        k=CHANGE["k"],
        seed=seed,
        backend=backend,
        progress=False,
        world=world,
        bonus=bonus,
    )
    return np.stack(
        [
            r.steps[0].sum(axis=1),
            r.reward_sums[0].sum(axis=1),
            r.values[0].mean(axis=(1, 2)),
            r.values[0, :, 54].max(axis=1),
            r.values[0, :, 64, 1],
            r.door_taken[0].sum(axis=1),
        ],
        1,
    )


def _z(ours, plain):
    return dict(zip(CHANGE_STATS, (round(z_score(ours[:, j], plain[:, j]), 2) for j in range(len(CHANGE_STATS)))))


AGREE = [("dyna-q-plus", 0.01, "planning"), ("dyna-q", 0.0, "planning"), ("action", 0.05, "action")]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("agent, kappa, bonus", AGREE)
def test_blocking_engine_matches_the_plain_loop_in_distribution(backend, agent, kappa, bonus, plain_blocking):
    z = _z(_change_stats(_backend(backend), kappa, "blocking", bonus), plain_blocking[agent])
    assert max(abs(v) for v in z.values()) <= Z_MAX, z


@pytest.mark.parametrize(
    "agent, kappa, world, bonus",
    [
        ("dyna-q-plus", 0.01, "shortcut", "planning"),  # the wrong world
        ("dyna-q-plus", 0.02, "blocking", "planning"),  # the wrong kappa
        ("dyna-q", 0.0, "shortcut", "planning"),  # the wrong world, no bonus at all
        ("action", 0.05, "blocking", "planning"),  # the bonus in the wrong place
        ("action", 0.025, "blocking", "action"),  # the wrong kappa
        ("action", 0.05, "shortcut", "action"),  # the wrong world
    ],
)
def test_blocking_negative_controls_are_rejected(agent, kappa, world, bonus, plain_blocking):
    backend = "numba" if engine.numba_available() else "python"
    z = _z(_change_stats(backend, kappa, world, bonus), plain_blocking[agent])
    assert max(abs(v) for v in z.values()) > Z_MAX, z


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fe.simulate_dyna_plus([0.1], 1, 5, door_episode=2, world="maze"), "world"),
        (lambda: fe.simulate_dyna_plus([0.1], 1, 5, door_episode=2, world=None), "world"),
        (lambda: fe.simulate_dyna_plus([0.1], 1, 5, door_episode=2, bonus="reward"), "bonus"),
        (lambda: fe.simulate_dyna_plus([0.1], 1, 5, door_episode=2, bonus=True), "bonus"),
    ],
)
def test_world_and_bonus_placement_are_checked(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_result_records_world_bonus_and_counts():
    r = fe.simulate_dyna_plus(
        [0.0, 0.01],
        3,
        6,
        door_episode=2,
        k=2,
        seed=1,
        backend="python",
        progress=False,
        world="blocking",
        bonus="action",
    )
    assert (r.world, r.bonus) == ("blocking", "action")
    assert r.door_taken.dtype.kind == "i" and r.door_taken.shape == r.steps.shape
    assert (r.door_taken[:, :, :2] == 0).all()  # counted only from the change on
    np.testing.assert_array_equal(r.door_used, r.door_taken > 0)
    np.testing.assert_array_equal(r.bumps(), r.door_taken.sum(axis=2))


SLIPPERY = dict(slip=0.2, k=3, n_episodes=8)


@pytest.fixture(scope="module")
def plain_slippery():
    out = {}
    for model in fe.MODELS:
        runs = []
        for i in range(16):
            np.random.seed(300 + i)
            params = dict(epsilon=0.05, alpha=0.5, gamma=0.8, k=SLIPPERY["k"])
            value, rewards, steps = learn_slippery(
                SlipperyWorld(SLIPPERY["slip"]), params, SLIPPERY["n_episodes"], 1000, model
            )
            runs.append((steps.sum(), rewards.sum(), value.mean(), value[54].max()))
        out[model] = np.array(runs)
    return out


def _slippery_stats(backend, slip, seed=1):
    r = fe.simulate_slippery(
        [slip],
        fe.MODELS,
        k=SLIPPERY["k"],
        n_experiments=ENGINE_RUNS[backend],
        n_episodes=SLIPPERY["n_episodes"],
        seed=seed,
        backend=backend,
        progress=False,
    )
    return {
        model: np.stack(
            [
                r.steps[0, m].sum(axis=1),
                r.reward_sums[0, m].sum(axis=1),
                r.values[0, m].mean(axis=(1, 2)),
                r.values[0, m, :, 54].max(axis=1),
            ],
            1,
        )
        for m, model in enumerate(r.models)
    }


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


# The counting model's sample updates, and the budget in max-Q evaluations. The statistics above
# (steps, reward, mean value) do not tell the three agents apart in 8 episodes; these do: per run, the
# mean |Q - Q*| over the pairs whose value moved, |Q - Q*| at the start, and planning updates per real step.
SAMPLING = dict(slip=0.3, k=5, n_episodes=20, runs=16)


def _sampling_stats(values, updates_per_step):
    q_star = optimal_q(SAMPLING["slip"])
    values = np.asarray(values)
    moved = np.array([np.abs(v - q_star)[v != 1.0].mean() for v in values])
    start = np.abs(values[:, 54] - q_star[54]).mean(axis=1)
    return np.stack([moved, start, np.asarray(updates_per_step, float)], 1)


@pytest.fixture(scope="module")
def plain_sampling():
    """The plain loop: counts + sample updates (budget in updates), counts + expected updates (in evaluations)."""
    out = {}
    for model, budget in (("counting-sample", "updates"), ("counting", "evaluations")):
        values, per_step = [], []
        for i in range(SAMPLING["runs"]):
            np.random.seed(500 + i)
            params = dict(epsilon=0.05, alpha=0.5, gamma=0.8, k=SAMPLING["k"])
            value, _, _, work = learn_slippery(
                SlipperyWorld(SAMPLING["slip"]), params, SAMPLING["n_episodes"], 1000, model, budget, return_work=True
            )
            values.append(value)
            per_step.append(work["planning_updates"] / work["real_steps"])
        out[model, budget] = _sampling_stats(values, per_step)
    return out


@pytest.fixture(scope="module")
def engine_sampling():
    """{(backend, budget): SlipperyResult} of the three agents, cached per module (the python backend is slow)."""
    cache = {}

    def get(backend, budget):
        if (backend, budget) not in cache:
            cache[backend, budget] = fe.simulate_slippery(
                [SAMPLING["slip"]],
                fe.MODELS,
                k=SAMPLING["k"],
                n_experiments=ENGINE_RUNS[backend],
                n_episodes=SAMPLING["n_episodes"],
                budget=budget,
                seed=1,
                backend=backend,
                progress=False,
            )
        return cache[backend, budget]

    return get


def _engine_sampling_stats(result, model):
    m = result.models.index(model)
    return _sampling_stats(result.values[0, m], result.updates_per_step()[0, m])


def _max_z(a, b):
    return max(abs(z_score(a[:, j], b[:, j])) for j in range(a.shape[1]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_counting_sample_engine_matches_the_plain_loop_and_not_its_neighbours(backend, plain_sampling, engine_sampling):
    result = engine_sampling(_backend(backend), "updates")
    plain = plain_sampling["counting-sample", "updates"]
    z = _max_z(_engine_sampling_stats(result, "counting-sample"), plain)
    assert z <= Z_MAX, f"counts + sample updates: largest |z| {z:.1f}"
    # negative controls: a kernel replaying the last outcome, or making expected updates, is told apart
    for other in ("cached", "counting"):
        z = _max_z(_engine_sampling_stats(result, other), plain)
        assert z > Z_MAX, f"{other} passed as counts + sample updates: largest |z| {z:.1f}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_budget_in_evaluations_engine_matches_the_plain_loop(backend, plain_sampling, engine_sampling):
    plain = plain_sampling["counting", "evaluations"]
    by_evaluations = engine_sampling(_backend(backend), "evaluations")
    z = _max_z(_engine_sampling_stats(by_evaluations, "counting"), plain)
    assert z <= Z_MAX, f"expected updates, budget in evaluations: largest |z| {z:.1f}"
    # negative control: the same agent with the budget counted in updates spends more updates per step
    z = _max_z(_engine_sampling_stats(engine_sampling(backend, "updates"), "counting"), plain)
    assert z > Z_MAX, f"a budget in updates passed as one in evaluations: largest |z| {z:.1f}"


def test_budget_in_evaluations_agrees_across_backends(engine_sampling):
    if not engine.numba_available():
        pytest.skip("numba is not installed")
    fast, slow = engine_sampling("numba", "evaluations"), engine_sampling("python", "evaluations")
    for model in fe.MODELS:
        z = _max_z(_engine_sampling_stats(fast, model), _engine_sampling_stats(slow, model))
        assert z <= Z_MAX, f"{model}: numba against python, largest |z| {z:.1f}"
    z = z_score(fast.evaluations_per_step()[0, 2], slow.evaluations_per_step()[0, 2])
    assert abs(z) <= Z_MAX, z


@pytest.mark.parametrize("backend", BACKENDS)
def test_budget_bookkeeping_is_exact(backend, engine_sampling):
    backend, k = _backend(backend), SAMPLING["k"]
    by_updates, by_evaluations = engine_sampling(backend, "updates"), engine_sampling(backend, "evaluations")
    for r in (by_updates, by_evaluations):
        real = r.real_steps()
        spent = r.planning_updates if r.budget == "updates" else r.evaluations
        # k per real step, plus (budget in evaluations) a debt smaller than the costliest update (4 next states)
        assert (spent >= k * real).all() and (spent <= k * real + 3).all(), r.budget
        np.testing.assert_array_equal(r.evaluations[0, :2], r.planning_updates[0, :2])  # sample updates cost 1
        assert (r.evaluations[0, 2] > r.planning_updates[0, 2]).all()  # expected ones more
    np.testing.assert_array_equal(by_updates.planning_updates, k * by_updates.real_steps())
    # a sample update costs one evaluation: for the two sample agents the budgets are the same runs
    for field in ("steps", "values", "planning_updates", "evaluations"):
        np.testing.assert_array_equal(getattr(by_updates, field)[0, :2], getattr(by_evaluations, field)[0, :2])


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
    a = fe.simulate_slippery(
        [0.1, 0.1], ["cached"], k=3, n_experiments=3, n_episodes=4, seed=9, backend="python", progress=False
    )
    b = fe.simulate_slippery(
        [0.1], ["cached"], k=3, n_experiments=3, n_episodes=4, seed=9, backend="python", progress=False
    )
    np.testing.assert_array_equal(a.steps[0], b.steps[0])
    np.testing.assert_array_equal(a.steps[0], a.steps[1])  # same seed per experiment for each setting
    assert not np.array_equal(a.steps[0, 0, 0], a.steps[0, 0, 1])  # experiments differ


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fe.simulate_dyna_plus([-0.1], 1, 5, door_episode=2), "kappa"),
        (lambda: fe.simulate_dyna_plus([0.1], 1, 5, door_episode=5), "door_episode"),
        (lambda: fe.simulate_dyna_plus([], 1, 5, door_episode=2), "empty"),
        (lambda: fe.simulate_uniform([1.5], 1, 5), "whole number"),
        (lambda: fe.simulate_prioritized([1], 0, 5), "n_experiments"),
        (lambda: fe.simulate_prioritized([1], 1, 5, theta=-1), "theta"),
        (lambda: fe.simulate_slippery([1.5]), "slip"),
        (lambda: fe.simulate_slippery([0.1], ["last"]), "models"),
        (lambda: fe.simulate_slippery([0.1], ["counting-expected"]), "models"),
        (lambda: fe.simulate_slippery([0.1], budget="seconds"), "budget"),
        (lambda: fe.simulate_slippery([0.1], epsilon=2), "epsilon"),
        (lambda: fe.simulate_slippery([0.1], backend="fortran"), "backend"),
    ],
)
def test_bad_settings_get_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
