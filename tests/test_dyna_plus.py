"""The plain loops of dynaq_course.going_further.dyna_plus (Dyna-Q+, and the bonus in action selection of Sutton &
Barto's Exercise 8.4) in the shortcut and the blocking world, and the near-optimal definition (greedy_paths)."""

import numpy as np
import pytest
from references import bonus_greedy_action as reference_bonus_greedy_action
from references import dyna_q_plus_reward as bonus_reward

from dynaq_course import QuentinsWorld
from dynaq_course.going_further.dyna_plus import PARAMS, learn_dyna_q_action_bonus, learn_dyna_q_plus
from dynaq_course.going_further.greedy_paths import greedy_path, is_near_optimal, optimal_path_length, optimal_values


def test_tau_counts_real_steps_since_the_pair_was_last_tried():
    calls = []

    def recording(reward, tau, kappa):
        calls.append((reward, tau, kappa))
        return reward + kappa * np.sqrt(tau)

    np.random.seed(1)
    params = dict(PARAMS, k=3, kappa=0.5)
    _, _, steps, _ = learn_dyna_q_plus(QuentinsWorld(), params, 2, 200, recording)
    taus = np.array([t for _, t, _ in calls])
    assert len(calls) == 3 * steps.sum()
    assert (taus >= 0).all() and np.all(taus == np.round(taus))
    assert taus[:3].tolist() == [0.0, 0.0, 0.0]  # one pair tried so far, just now
    assert taus.max() <= steps.sum() - 1
    assert {k for _, _, k in calls} == {0.5}


def test_the_bonus_is_what_planning_learns_from():
    """With a huge bonus planned pairs look wonderful: values rise far above what rewards allow."""
    np.random.seed(2)
    bonus, *_ = learn_dyna_q_plus(QuentinsWorld(), dict(PARAMS, k=5, kappa=1.0), 2, 300, bonus_reward)
    np.random.seed(2)
    plain, *_ = learn_dyna_q_plus(QuentinsWorld(), dict(PARAMS, k=5, kappa=0.0), 2, 300, bonus_reward)
    assert plain.max() < 2 < bonus.max()


def test_the_door_opens_unannounced_and_its_use_is_recorded():
    np.random.seed(0)
    env = QuentinsWorld()
    params = dict(PARAMS, epsilon=0.0, k=0, kappa=0.0)
    value, _, steps, used = learn_dyna_q_plus(env, params, 6, 1000, bonus_reward, shortcut_episode=3)
    assert env.shortcut_open
    assert not used[:3].any() and used[3:].any()


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (lambda r, t, k: None, TypeError, "must return a number"),
        (lambda r, t, k: "1", TypeError, "must return a number"),
        (lambda r, t, k: float("nan"), ValueError, "returned"),
    ],
)
def test_a_broken_bonus_function_gets_a_clear_error(bad, error, match):
    np.random.seed(0)
    with pytest.raises((TypeError, ValueError), match=match):
        learn_dyna_q_plus(QuentinsWorld(), dict(PARAMS, k=2), 1, 20, bad)


def test_params_and_function_are_checked():
    with pytest.raises(ValueError, match="kappa"):
        learn_dyna_q_plus(QuentinsWorld(), {"epsilon": 0.1, "alpha": 0.5, "gamma": 0.8, "k": 1}, 1, 10, bonus_reward)
    with pytest.raises(TypeError, match="function"):
        learn_dyna_q_plus(QuentinsWorld(), PARAMS, 1, 10, 3.0)


@pytest.mark.parametrize("shortcut_open", [False, True])
def test_door_counts_are_the_steps_up_from_64_after_the_change(shortcut_open):
    """Shortcut (the door opens) and blocking (it closes): the count is the number of real steps (64, up)
    of each episode from the change on, read off the world itself; none before the change."""
    env = QuentinsWorld(shortcut_open=shortcut_open)
    per_step = []
    outcome = env.get_outcome

    def watched(state, action):
        per_step.append((state, action) == (env.shortcut_from, env.shortcut_action))
        return outcome(state, action)

    env.get_outcome = watched
    np.random.seed(4)
    params = dict(PARAMS, k=5, kappa=0.01)
    _, _, steps, taken = learn_dyna_q_plus(env, params, 30, 1000, bonus_reward, shortcut_episode=10)
    assert env.shortcut_open is not shortcut_open  # toggled once, at episode 10
    ends = np.cumsum(steps).astype(int)
    expected = np.add.reduceat(np.array(per_step, int), np.concatenate([[0], ends[:-1]]))
    expected[:10] = 0
    assert taken.dtype.kind == "i"
    np.testing.assert_array_equal(taken, expected)
    assert taken[10:].sum() > 0
    if not shortcut_open:
        assert taken.max() >= 2  # an episode through the door twice: a count, not a flag


def test_blocking_the_door_closes_and_bumps_cost_a_penalty():
    np.random.seed(0)
    env = QuentinsWorld(shortcut_open=True)
    params = dict(PARAMS, epsilon=0.0, k=0, kappa=0.0)
    _, rewards, steps, bumps = learn_dyna_q_plus(env, params, 8, 1000, bonus_reward, shortcut_episode=4)
    assert not env.shortcut_open
    assert bumps[:4].sum() == 0 and bumps[4] >= 1  # the greedy agent walks into the closed door at once
    assert rewards[4] <= 1 - bumps[4]  # each bump cost -1


def test_no_change_no_counts():
    np.random.seed(0)
    *_, taken = learn_dyna_q_plus(QuentinsWorld(shortcut_open=True), dict(PARAMS, k=2), 3, 200, bonus_reward)
    assert not taken.any()


# ------------------------------------------------------------------ the bonus in action selection


def test_action_bonus_with_kappa_zero_is_the_same_run_as_dyna_q():
    params = dict(PARAMS, k=5, kappa=0.0)
    np.random.seed(5)
    a = learn_dyna_q_plus(QuentinsWorld(shortcut_open=True), params, 20, 1000, bonus_reward, shortcut_episode=8)
    np.random.seed(5)
    b = learn_dyna_q_action_bonus(
        QuentinsWorld(shortcut_open=True), params, 20, 1000, reference_bonus_greedy_action, shortcut_episode=8
    )
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_the_function_gets_copies_of_the_rows_and_taus_in_real_steps():
    """tau_row[a]: real steps since (state, a) was last tried (never tried: since step 0), recomputed
    here from the steps the world saw; value_row and tau_row are copies the function may scribble on."""
    calls, pairs = [], []
    env = QuentinsWorld()
    outcome = env.get_outcome

    def watched(state, action):
        pairs.append((state, action))
        return outcome(state, action)

    env.get_outcome = watched

    def recording(value_row, tau_row, kappa):
        assert value_row.shape == (4,) and tau_row.shape == (4,) and tau_row.dtype.kind == "f"
        calls.append((value_row.copy(), tau_row.copy(), kappa))
        action = reference_bonus_greedy_action(value_row, tau_row, kappa)
        value_row[:] = 99.0  # scribbling on the copies changes nothing
        tau_row[:] = -1.0
        return action

    params = dict(PARAMS, epsilon=0.0, k=3, kappa=0.5)
    np.random.seed(1)
    value, _, steps, _ = learn_dyna_q_action_bonus(env, params, 3, 300, recording)
    np.random.seed(1)
    clean, _, clean_steps, _ = learn_dyna_q_action_bonus(QuentinsWorld(), params, 3, 300, reference_bonus_greedy_action)
    np.testing.assert_array_equal(steps, clean_steps)
    np.testing.assert_array_equal(value, clean)
    assert len(calls) == len(pairs) == steps.sum()  # epsilon = 0: every step is a greedy choice
    assert {k for _, _, k in calls} == {0.5}
    last = np.zeros((100, 4), dtype=int)
    for now, ((state, action), (_, tau_row, _)) in enumerate(zip(pairs, calls)):
        np.testing.assert_array_equal(tau_row, now - last[state])
        last[state, action] = now + 1
    assert max(t.max() for _, t, _ in calls) > 10  # the check saw taus that grew


def test_the_action_bonus_stays_out_of_the_values():
    """A huge bonus steers the choice but, unlike Dyna-Q+, never lifts a value above what rewards allow
    (at most 1.8: the goal's reward 1 plus 0.8 times the initial value 1)."""
    np.random.seed(2)
    action, *_ = learn_dyna_q_action_bonus(
        QuentinsWorld(), dict(PARAMS, k=5, kappa=1.0), 2, 300, reference_bonus_greedy_action
    )
    np.random.seed(2)
    planning, *_ = learn_dyna_q_plus(QuentinsWorld(), dict(PARAMS, k=5, kappa=1.0), 2, 300, bonus_reward)
    assert action.max() <= 1.8 < 2 < planning.max()


def test_whatever_action_the_function_returns_is_taken():
    """Ties may go to any action: the loop takes the function's answer, not its own argmax."""

    def always_down(value_row, tau_row, kappa):
        return 3

    np.random.seed(0)
    env = QuentinsWorld()
    seen = []
    outcome = env.get_outcome
    env.get_outcome = lambda s, a: (seen.append(a), outcome(s, a))[1]
    learn_dyna_q_action_bonus(env, dict(PARAMS, epsilon=0.0, k=0), 1, 5, always_down)
    assert seen == [3] * 5


def test_epsilon_one_never_asks_the_function():
    def never(value_row, tau_row, kappa):
        raise AssertionError("called")

    np.random.seed(0)
    learn_dyna_q_action_bonus(QuentinsWorld(), dict(PARAMS, epsilon=1.0, k=1), 1, 30, never)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (lambda v, t, k: None, TypeError, "bad_choice must return an action"),
        (lambda v, t, k: 0.7, TypeError, "not its score"),
        (lambda v, t, k: v + k * np.sqrt(t), TypeError, "must return an action"),
        (lambda v, t, k: True, TypeError, "must return an action"),
        (lambda v, t, k: 4, ValueError, "returned 4"),
        (lambda v, t, k: -1, ValueError, "actions are 0-3"),
    ],
)
def test_a_broken_choice_function_gets_a_clear_error(bad, error, match):
    bad.__name__ = "bad_choice"
    np.random.seed(0)
    with pytest.raises(error, match=match):
        learn_dyna_q_action_bonus(QuentinsWorld(), dict(PARAMS, epsilon=0.0, k=1), 1, 20, bad)


def test_numpy_integers_and_one_element_arrays_are_accepted():
    np.random.seed(0)
    learn_dyna_q_action_bonus(
        QuentinsWorld(), dict(PARAMS, epsilon=0.0, k=1), 1, 20, lambda v, t, k: np.argmax(v + k * np.sqrt(t))
    )
    learn_dyna_q_action_bonus(
        QuentinsWorld(), dict(PARAMS, epsilon=0.0, k=1), 1, 20, lambda v, t, k: np.array([np.argmax(v)])
    )


def test_action_bonus_params_and_function_are_checked():
    with pytest.raises(ValueError, match="kappa"):
        learn_dyna_q_action_bonus(
            QuentinsWorld(), {"epsilon": 0.1, "alpha": 0.5, "gamma": 0.8, "k": 1}, 1, 10, reference_bonus_greedy_action
        )
    with pytest.raises(ValueError, match="epsilon"):
        learn_dyna_q_action_bonus(QuentinsWorld(), dict(PARAMS, epsilon=1.5), 1, 10, reference_bonus_greedy_action)
    with pytest.raises(TypeError, match="bonus_greedy_action must be a function"):
        learn_dyna_q_action_bonus(QuentinsWorld(), PARAMS, 1, 10, "argmax")


def test_near_optimal_definition():
    assert optimal_path_length(False) == 19 and optimal_path_length(True) == 9
    assert is_near_optimal(optimal_values(False))
    assert is_near_optimal(optimal_values(True), shortcut_open=True)
    assert not is_near_optimal(np.ones((100, 4)))  # goes right into the wall and loops
    # the open world's optimal policy goes through 74: in the closed world that costs a penalty
    path, clean = greedy_path(optimal_values(True), shortcut_open=False)
    assert 74 in path and not clean and not is_near_optimal(optimal_values(True), shortcut_open=False)
    with pytest.raises(ValueError, match="shape"):
        greedy_path(np.ones((10, 4)))
