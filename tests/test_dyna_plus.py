"""The plain Dyna-Q+ loop (dynaq_course.dyna_plus) and the near-optimal definition (greedy_paths)."""
import numpy as np
import pytest

from dynaq_course import QuentinsWorld
from dynaq_course.dyna_plus import PARAMS, learn_dyna_q_plus
from dynaq_course.greedy_paths import greedy_path, is_near_optimal, optimal_path_length, optimal_values
from further_reference import bonus_reward


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
    assert taus[:3].tolist() == [0.0, 0.0, 0.0]       # one pair tried so far, just now
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


@pytest.mark.parametrize("bad, error, match", [
    (lambda r, t, k: None, TypeError, "must return a number"),
    (lambda r, t, k: "1", TypeError, "must return a number"),
    (lambda r, t, k: float("nan"), ValueError, "returned"),
])
def test_a_broken_bonus_function_gets_a_clear_error(bad, error, match):
    np.random.seed(0)
    with pytest.raises((TypeError, ValueError), match=match):
        learn_dyna_q_plus(QuentinsWorld(), dict(PARAMS, k=2), 1, 20, bad)


def test_params_and_function_are_checked():
    with pytest.raises(ValueError, match="kappa"):
        learn_dyna_q_plus(QuentinsWorld(), {"epsilon": 0.1, "alpha": 0.5, "gamma": 0.8, "k": 1}, 1, 10,
                          bonus_reward)
    with pytest.raises(TypeError, match="function"):
        learn_dyna_q_plus(QuentinsWorld(), PARAMS, 1, 10, 3.0)


def test_near_optimal_definition():
    assert optimal_path_length(False) == 19 and optimal_path_length(True) == 9
    assert is_near_optimal(optimal_values(False))
    assert is_near_optimal(optimal_values(True), shortcut_open=True)
    assert not is_near_optimal(np.ones((100, 4)))                 # goes right into the wall and loops
    # the open world's optimal policy goes through 74: in the closed world that costs a penalty
    path, clean = greedy_path(optimal_values(True), shortcut_open=False)
    assert 74 in path and not clean and not is_near_optimal(optimal_values(True), shortcut_open=False)
    with pytest.raises(ValueError, match="shape"):
        greedy_path(np.ones((10, 4)))
