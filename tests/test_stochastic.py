"""The slippery world, its exact model, the counting model and the plain loop (dynaq_course.stochastic)."""
import numpy as np
import pytest

from dynaq_course import QuentinsWorld
from dynaq_course.greedy_paths import optimal_values
from dynaq_course.stochastic import (CountingModel, SlipperyWorld, learn_slippery, optimal_q, policy_value,
                                     transition_model)
from dynaq_course.world import START_STATE


def test_transition_model_is_a_probability_table_and_slip_zero_is_the_tutorial_world():
    for slip in (0.0, 0.2, 1.0):
        P, R = transition_model(slip)
        assert P.shape == (100, 4, 101) and R.shape == (100, 4)
        np.testing.assert_allclose(P.sum(axis=2), 1.0)
        assert (P >= 0).all()
    P, R = transition_model(0.0)
    world = QuentinsWorld()
    for s in range(100):
        for a in range(4):
            nxt, r = world.get_outcome(s, a)
            assert P[s, a, 100 if nxt is None else nxt] == 1.0 and R[s, a] == r


def test_slip_replaces_the_action_by_a_uniform_one():
    P, R = transition_model(0.4)
    # from 44 (open floor, nothing red around): chosen move 1 - 0.4 + 0.1, each other 0.1
    assert P[44, 0, 45] == pytest.approx(0.7) and P[44, 0, 54] == pytest.approx(0.1)
    assert P[44, 0, 43] == pytest.approx(0.1) and P[44, 0, 34] == pytest.approx(0.1)
    # from 98 moving right pays 1 unless it slips elsewhere
    assert R[98, 0] == pytest.approx(0.7)


def test_sampled_outcomes_match_the_probabilities():
    np.random.seed(0)
    world = SlipperyWorld(0.3)
    n = 20_000
    counts = {}
    for _ in range(n):
        nxt, _ = world.get_outcome(44, 1)
        counts[nxt] = counts.get(nxt, 0) + 1
    P, _ = transition_model(0.3)
    for nxt, c in counts.items():
        p = P[44, 1, nxt]
        assert abs(c / n - p) < 5 * np.sqrt(p * (1 - p) / n), (nxt, c / n, p)
    outcomes = world.get_all_outcomes()[44, 1]
    assert sum(p for p, _, _ in outcomes) == pytest.approx(1.0)


def test_optimal_q_satisfies_bellman_and_matches_the_deterministic_world_at_slip_zero():
    np.testing.assert_allclose(optimal_q(0.0), optimal_values(), atol=1e-10)
    q = optimal_q(0.2)
    P, R = transition_model(0.2)
    np.testing.assert_allclose(q, R + 0.8 * P @ np.append(q.max(axis=1), 0.0), atol=1e-9)
    v = policy_value(q, 0.2)
    np.testing.assert_allclose(v, q.max(axis=1), atol=1e-9)
    # a worse policy is worth less at the start
    assert policy_value(np.ones((100, 4)), 0.2)[START_STATE] < v[START_STATE]


def test_counting_model_counts_and_averages():
    model = CountingModel()
    for nxt, r in [(5, 0.0), (5, 0.0), (6, -1.0), (None, 1.0)]:
        model.update(4, 0, r, nxt)
    assert model.count(4, 0) == 4 and model.tried() == [(4, 0)]
    outcomes = {nxt: (p, r) for p, nxt, r in model.outcomes(4, 0)}
    assert outcomes == {5: (0.5, 0.0), 6: (0.25, -1.0), None: (0.25, 1.0)}
    value = np.zeros((100, 4))
    value[5] = 2.0
    value[6, 3] = 4.0
    assert model.expected_target(4, 0, value, 0.5) == pytest.approx(0.5 * 1.0 + 0.25 * (-1 + 2.0) + 0.25 * 1.0)
    with pytest.raises(ValueError, match="not been tried"):
        model.outcomes(1, 1)


def test_plain_loop_runs_both_models_and_is_repeatable():
    params = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "k": 3}
    for model in ("cached", "counting"):
        runs = []
        for _ in range(2):
            np.random.seed(4)
            runs.append(learn_slippery(SlipperyWorld(0.1), params, 3, 500, model))
        np.testing.assert_array_equal(runs[0][0], runs[1][0])
    with pytest.raises(ValueError, match="model"):
        learn_slippery(SlipperyWorld(0.1), params, 1, 10, "last")


@pytest.mark.parametrize("slip", [-0.1, 1.5, "0.2", None, True])
def test_bad_slip_is_refused(slip):
    with pytest.raises(ValueError, match="slip"):
        SlipperyWorld(slip)
