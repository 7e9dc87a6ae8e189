"""The slippery world, its exact model, the counting model and the plain loop (dynaq_course.going_further.slippery)."""

import numpy as np
import pytest
from scipy import stats

from dynaq_course import QuentinsWorld
from dynaq_course.going_further.greedy_paths import optimal_values
from dynaq_course.going_further.slippery import (
    BUDGETS,
    MODELS,
    PARAMS,
    CountingModel,
    PlanningBudget,
    SlipperyWorld,
    learn_slippery,
    optimal_q,
    policy_value,
    transition_model,
)
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


# ------------------------------------------------------------------ the counting model's sample updates


def follows(draws, probabilities) -> float:
    """Chi-square goodness-of-fit p-value of ``draws`` (a list of outcomes) against {outcome: probability}."""
    outcomes = list(probabilities)
    observed = np.array([sum(d == o for d in draws) for o in outcomes])
    assert observed.sum() == len(draws), "a draw outside the outcomes"
    expected = np.array([probabilities[o] for o in outcomes]) * len(draws)
    return stats.chisquare(observed, expected).pvalue


def _model_5_3_2():
    model = CountingModel()
    for nxt, r, times in [(5, 0.0, 5), (6, -1.0, 3), (None, 1.0, 2)]:
        for _ in range(times):
            model.update(4, 0, r, nxt)
    model.update(4, 0, 1.0, 5)  # one more 5 with another reward: mean 1/6
    return model  # 5: 6 of 11, 6: 3 of 11, end: 2 of 11


def test_counting_model_samples_next_states_with_their_frequencies():
    model = _model_5_3_2()
    np.random.seed(0)
    draws = [model.sample(4, 0) for _ in range(11_000)]
    rewards = {nxt: r for r, nxt in draws}
    assert rewards == {5: pytest.approx(1 / 6), 6: -1.0, None: 1.0}  # each outcome's mean reward
    nexts = [nxt for _, nxt in draws]
    assert follows(nexts, {5: 6 / 11, 6: 3 / 11, None: 2 / 11}) > 1e-3
    # negative controls: the same draws against the wrong frequencies, and a sampler ignoring the counts
    assert follows(nexts, {5: 1 / 3, 6: 1 / 3, None: 1 / 3}) < 1e-3
    uniform = [[5, 6, None][np.random.randint(3)] for _ in range(11_000)]
    assert follows(uniform, {5: 6 / 11, 6: 3 / 11, None: 2 / 11}) < 1e-3
    with pytest.raises(ValueError, match="not been tried"):
        model.sample(1, 1)


# ------------------------------------------------------------------ the planning budget


def test_budget_in_updates_makes_exactly_k_updates_per_step():
    plan = PlanningBudget(3, "updates")
    for step in range(50):
        plan.add_step()
        made = 0
        while plan.has_credit():
            plan.spend(4)  # an expected update over 4 next states
            made += 1
        assert made == 3
    assert plan.work() == {"real_steps": 50, "planning_updates": 150, "evaluations": 600}


def test_budget_in_evaluations_averages_k_per_step_with_the_debt_carried_over():
    plan = PlanningBudget(2, "evaluations")
    costs = [3, 1, 4, 4, 2, 1]  # the updates' evaluations, in turn
    i = 0
    for step in range(1, 301):
        plan.add_step()
        while plan.has_credit():
            plan.spend(costs[i % len(costs)])
            i += 1
        # after every step: evaluations = 2 * steps plus a debt smaller than the largest cost
        assert 2 * step <= plan.evaluations < 2 * step + max(costs)
    assert plan.updates == i and plan.evaluations == sum(costs[j % len(costs)] for j in range(i))
    assert plan.evaluations / plan.steps == pytest.approx(2.0, abs=4 / 300)


@pytest.mark.parametrize(
    "k, unit, match",
    [
        (-1, "updates", "whole number"),
        (1.5, "updates", "whole number"),
        (True, "updates", "whole number"),
        (2, "compute", "budget"),
        (2, None, "budget"),
    ],
)
def test_bad_budget_is_refused(k, unit, match):
    with pytest.raises(ValueError, match=match):
        PlanningBudget(k, unit)


def test_plain_loop_runs_the_three_agents_and_is_repeatable():
    params = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "k": 3}
    assert MODELS == ("cached", "counting-sample", "counting")
    for model in MODELS:
        runs = []
        for _ in range(2):
            np.random.seed(4)
            runs.append(learn_slippery(SlipperyWorld(0.1), params, 3, 500, model))
        np.testing.assert_array_equal(runs[0][0], runs[1][0])
    with pytest.raises(ValueError, match="model"):
        learn_slippery(SlipperyWorld(0.1), params, 1, 10, "last")
    with pytest.raises(ValueError, match="budget"):
        learn_slippery(SlipperyWorld(0.1), params, 1, 10, "counting", budget="seconds")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("budget", BUDGETS)
def test_plain_loop_spends_exactly_its_budget(model, budget):
    k = 3
    np.random.seed(8)
    _, _, steps, work = learn_slippery(SlipperyWorld(0.3), dict(PARAMS, k=k), 6, 1000, model, budget, return_work=True)
    real = work["real_steps"]
    assert real == steps.sum()
    spent = work["planning_updates"] if budget == "updates" else work["evaluations"]
    assert k * real <= spent <= k * real + 3  # a debt of at most 3: an expected update costs at most 4
    if budget == "updates":
        assert work["planning_updates"] == k * real
    if model == "counting":
        # expected updates evaluate every next state seen: more evaluations than updates once slips happened
        assert work["evaluations"] > work["planning_updates"]
    else:
        assert work["evaluations"] == work["planning_updates"]


@pytest.mark.parametrize("slip", [-0.1, 1.5, "0.2", None, True])
def test_bad_slip_is_refused(slip):
    with pytest.raises(ValueError, match="slip"):
        SlipperyWorld(slip)


def test_the_discounted_optimal_policy_is_not_the_fastest_in_a_slippery_world():
    """Why steps and reward per episode are not the scores of section 6.3: with gamma = 0.8 the goal's +1
    is worth little from afar (0.8 ** 18 ~ 0.02 from the start), and the policy that maximizes the
    discounted return has long episodes once the floor slips. Expected steps from the start under the
    greedy policy of Q* (exact, absorbing Markov chain; measured 654 at slip 0.1, 213 at slip 0.2)."""

    def expected_steps(slip):
        P, _ = transition_model(slip)
        policy = optimal_q(slip).argmax(axis=1)
        P_pi = P[np.arange(100), policy, :100]
        return np.linalg.solve(np.eye(100) - P_pi, np.ones(100))[START_STATE]

    assert expected_steps(0.0) == pytest.approx(20.0)  # the tutorial's world: the shortest episode
    assert expected_steps(0.1) > 100 and expected_steps(0.2) > 100
