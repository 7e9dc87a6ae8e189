"""The agent loop against the tutorial.

The tutorial's ``epsilon_greedy``, ``q_learning`` and ``learn_environment``
(NMA W3D4 Tutorial 4, "Helper Functions") are transcribed below with their
indentation restored and nothing else changed, together with the tutorial's
exercise skeletons filled in the obvious way (``tutorial_model_update``,
``tutorial_planning``). The package must consume the global RNG exactly as they
do, so with the same seed both give bit-identical results.
"""

import importlib.util
import pathlib

import numpy as np
import pytest
from scipy import stats

from dynaq_course.agent import epsilon_greedy, learn_environment, new_model, q_learning
from dynaq_course.world import QuentinsWorld

PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}


# ---------------------------------------------------------------------------
# The tutorial, transcribed
# ---------------------------------------------------------------------------
def tutorial_epsilon_greedy(q, epsilon):
    be_greedy = np.random.random() > epsilon
    if be_greedy:
        action = np.argmax(q)
    else:
        action = np.random.choice(len(q))
    return action


def tutorial_q_learning(state, action, reward, next_state, value, params):
    # value of previous state-action pair
    prev_value = value[int(state), int(action)]
    # maximum Q-value at current state
    if next_state is None or np.isnan(next_state):
        max_value = 0
    else:
        max_value = np.max(value[int(next_state)])
    # reward prediction error
    delta = reward + params["gamma"] * max_value - prev_value
    # update value of previous state-action pair
    value[int(state), int(action)] = prev_value + params["alpha"] * delta
    return value


def tutorial_learn_environment(env, model_updater, planner, params, max_steps, n_episodes, shortcut_episode=None):
    # Start with a uniform value function
    value = np.ones((env.n_states, env.n_actions))
    # Run learning
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    # Dyna-Q state
    model = np.nan * np.zeros((env.n_states, env.n_actions, 2))
    # Loop over episodes
    for episode in range(n_episodes):
        if shortcut_episode is not None and episode == shortcut_episode:
            env.toggle_shortcut()
            state = 64
            action = 1
            next_state, reward = env.get_outcome(state, action)
            model[state, action] = reward, next_state
            value = tutorial_q_learning(state, action, reward, next_state, value, params)
        state = env.init_state  # initialize state
        reward_sum = 0
        for t in range(max_steps):
            # choose next action
            action = tutorial_epsilon_greedy(value[state], params["epsilon"])
            # observe outcome of action on environment
            next_state, reward = env.get_outcome(state, action)
            # sum rewards obtained
            reward_sum += reward
            # update value function
            value = tutorial_q_learning(state, action, reward, next_state, value, params)
            # update model
            model = model_updater(model, state, action, reward, next_state)
            # execute planner
            value = planner(model, value, params)
            if next_state is None:
                break  # episode ends
            state = next_state
        reward_sums[episode] = reward_sum
        episode_steps[episode] = t + 1
    return value, reward_sums, episode_steps


def tutorial_model_update(model, state, action, reward, next_state):
    # Update our model with the observed reward and next state
    model[state, action] = reward, next_state
    return model


def tutorial_planning(model, value, params):
    # Perform k additional updates at random (planning)
    for _ in range(params["k"]):
        candidates = np.array(np.where(~np.isnan(model[:, :, 0]))).T
        idx = np.random.choice(len(candidates))
        state, action = candidates[idx]
        reward, next_state = model[state, action]
        value = tutorial_q_learning(state, action, reward, next_state, value, params)
    return value


def run_tutorial(seed, k, n_episodes, shortcut_episode=None, max_steps=1000, world=QuentinsWorld):
    np.random.seed(seed)
    return tutorial_learn_environment(
        world(), tutorial_model_update, tutorial_planning, dict(PARAMS, k=k), max_steps, n_episodes, shortcut_episode
    )


def run_package(seed, k, n_episodes, model_updater, planner, shortcut_episode=None, max_steps=1000, env=None):
    np.random.seed(seed)
    env = QuentinsWorld() if env is None else env
    return learn_environment(
        env, model_updater, planner, dict(PARAMS, k=k), max_steps, n_episodes, shortcut_episode=shortcut_episode
    )


def assert_identical(ours, theirs):
    for name, a, b in zip(("value", "reward_sums", "episode_steps"), ours, theirs):
        assert a.shape == b.shape, name
        assert np.array_equal(a, b), f"{name} differs from the tutorial's loop"


# ---------------------------------------------------------------------------
# q_learning
# ---------------------------------------------------------------------------
def test_q_learning_hand_computed_update():
    value = np.ones((100, 4))
    value[55] = [0.2, 0.7, -0.1, 0.3]
    value[54, 1] = 0.4
    before = value.copy()
    out = q_learning(54, 1, -1, 55, value, PARAMS)
    # delta = -1 + 0.8 * 0.7 - 0.4 = -0.84 ; new = 0.4 + 0.5 * -0.84 = -0.02
    assert out is value  # same array, updated in place
    assert value[54, 1] == pytest.approx(-0.02, abs=1e-12)
    changed = np.argwhere(value != before)
    assert [tuple(c) for c in changed] == [(54, 1)]


def test_q_learning_second_hand_computed_case():
    value = np.zeros((100, 4))
    value[99] = [0.0, 0.0, 0.0, 0.0]
    value[89] = [0.1, 0.6, 0.3, 0.2]
    value[98, 0] = 0.25
    q_learning(98, 0, 1, 99, value, {"alpha": 0.1, "gamma": 0.9})
    # delta = 1 + 0.9 * 0 - 0.25 = 0.75 ; new = 0.25 + 0.075
    assert value[98, 0] == pytest.approx(0.325, abs=1e-12)
    q_learning(79, 1, 0, 89, value, {"alpha": 1.0, "gamma": 0.5})
    assert value[79, 1] == pytest.approx(0.3, abs=1e-12)  # alpha 1: target 0 + 0.5 * 0.6


@pytest.mark.parametrize("terminal", [None, np.nan, float("nan")], ids=repr)
def test_q_learning_terminal_bootstraps_zero(terminal):
    value = np.full((100, 4), 5.0)  # large values elsewhere: must not be bootstrapped
    value[99, 2] = 0.6
    out = q_learning(99, 2, 0, terminal, value, PARAMS)
    assert out is value
    assert value[99, 2] == pytest.approx(0.6 + 0.5 * (0 - 0.6), abs=1e-12)


def test_q_learning_accepts_model_floats_and_numpy_ints():
    value = np.ones((100, 4))
    model_row = np.array([-1.0, 74.0])
    q_learning(np.int64(64), np.int64(1), model_row[0], model_row[1], value, PARAMS)
    assert value[64, 1] == pytest.approx(1 + 0.5 * (-1 + 0.8 * 1 - 1))


def test_q_learning_matches_tutorial_on_random_updates():
    rng = np.random.default_rng(0)
    ours, theirs = rng.normal(size=(100, 4)), None
    theirs = ours.copy()
    for _ in range(500):
        s, a = rng.integers(100), rng.integers(4)
        r = rng.choice([-1, 0, 1])
        nxt = None if rng.random() < 0.1 else int(rng.integers(100))
        q_learning(s, a, r, nxt, ours, PARAMS)
        tutorial_q_learning(s, a, r, nxt, theirs, PARAMS)
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("missing", ["alpha", "gamma"])
def test_q_learning_missing_param_names_the_key(missing):
    params = {k: v for k, v in PARAMS.items() if k != missing}
    with pytest.raises(ValueError, match=repr(missing)):
        q_learning(54, 1, 0, 64, np.ones((100, 4)), params)


def test_q_learning_params_not_a_dict():
    with pytest.raises(ValueError, match="params must be a dict"):
        q_learning(54, 1, 0, 64, np.ones((100, 4)), None)


def test_q_learning_bad_next_state():
    with pytest.raises(ValueError, match="next_state"):
        q_learning(54, 1, 0, "64", np.ones((100, 4)), PARAMS)


# ---------------------------------------------------------------------------
# epsilon_greedy
# ---------------------------------------------------------------------------
def test_epsilon_zero_is_argmax_first_of_ties():
    np.random.seed(0)
    assert {epsilon_greedy(np.array([0.0, 3.0, 3.0, 1.0]), 0) for _ in range(300)} == {1}
    assert {epsilon_greedy(np.ones(4), 0.0) for _ in range(300)} == {0}
    assert {epsilon_greedy(np.array([-2.0, -1.0, -5.0, -1.0]), 0) for _ in range(300)} == {1}


def test_epsilon_greedy_returns_python_int():
    np.random.seed(0)
    assert all(type(epsilon_greedy(np.arange(4.0), e)) is int for e in (0, 1) for _ in range(20))


def test_epsilon_one_is_uniform():
    np.random.seed(12345)
    q = np.array([0.0, 10.0, 0.0, 0.0])  # a clear greedy action must not matter
    n = 40_000
    counts = np.bincount([epsilon_greedy(q, 1) for _ in range(n)], minlength=4)
    assert counts.sum() == n and len(counts) == 4
    chi2 = stats.chisquare(counts)
    assert chi2.pvalue > 1e-3, counts
    assert np.all(np.abs(counts / n - 0.25) < 0.01), counts


@pytest.mark.parametrize("epsilon", [0.05, 0.2, 0.5])
def test_non_greedy_rate_is_three_quarters_of_epsilon(epsilon):
    np.random.seed(7)
    q = np.array([0.0, 0.0, 5.0, 0.0])
    n = 40_000
    actions = np.array([epsilon_greedy(q, epsilon) for _ in range(n)])
    rate = np.mean(actions != 2)
    expected = epsilon * 3 / 4
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(rate - expected) < 5 * se, (rate, expected)
    # the non-greedy choices are spread evenly over the other three actions
    others = np.bincount(actions[actions != 2], minlength=4)[[0, 1, 3]]
    assert stats.chisquare(others).pvalue > 1e-3, others


def test_epsilon_greedy_consumes_rng_like_tutorial():
    q = np.array([0.3, 0.1, 0.3, -1.0])
    for epsilon in (0.0, 0.05, 0.5, 1.0):
        np.random.seed(3)
        ours = [epsilon_greedy(q, epsilon) for _ in range(2000)]
        after_ours = np.random.random()
        np.random.seed(3)
        theirs = [int(tutorial_epsilon_greedy(q, epsilon)) for _ in range(2000)]
        assert ours == theirs
        assert np.random.random() == after_ours


@pytest.mark.parametrize("epsilon", [-0.1, 1.5, 2, float("nan")], ids=repr)
def test_invalid_epsilon(epsilon):
    with pytest.raises(ValueError, match="epsilon"):
        epsilon_greedy(np.zeros(4), epsilon)


# ---------------------------------------------------------------------------
# learn_environment against the tutorial's loop
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2, 2024])
def test_q_learning_loop_identical_to_tutorial(seed, reference_functions):
    ours = run_package(seed, 0, 60, *reference_functions)
    theirs = run_tutorial(seed, 0, 60)
    assert_identical(ours, theirs)


def test_q_learning_loop_identical_on_the_oracle_world(reference_functions):
    """The tutorial's loop on the independent oracle world of test_world.py."""
    # loaded by path, so this works whatever pytest's import mode
    spec = importlib.util.spec_from_file_location(
        "_oracle_test_world", pathlib.Path(__file__).with_name("test_world.py")
    )
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    OracleWorld = oracle.OracleWorld

    ours = run_package(5, 0, 40, *reference_functions)
    theirs = run_tutorial(5, 0, 40, world=OracleWorld)
    assert_identical(ours, theirs)


@pytest.mark.parametrize("seed,shortcut_episode", [(0, 30), (1, 0), (3, 59)])
def test_shortcut_loop_identical_to_tutorial(seed, shortcut_episode, reference_functions):
    env = QuentinsWorld()
    ours = run_package(seed, 0, 60, *reference_functions, shortcut_episode=shortcut_episode, env=env)
    theirs = run_tutorial(seed, 0, 60, shortcut_episode=shortcut_episode)
    assert_identical(ours, theirs)
    assert env.shortcut_open  # toggled exactly once


@pytest.mark.parametrize("seed", [1, 8])
def test_dyna_q_loop_identical_to_tutorial_k10(seed, reference_functions):
    """Package loop + reference exercise solutions vs tutorial loop + tutorial skeleton
    filled in: the two must consume the global RNG identically."""
    ours = run_package(seed, 10, 15, *reference_functions)
    theirs = run_tutorial(seed, 10, 15)
    assert_identical(ours, theirs)


def test_dyna_q_shortcut_loop_identical_to_tutorial_k10(reference_functions):
    ours = run_package(4, 10, 16, *reference_functions, shortcut_episode=8)
    theirs = run_tutorial(4, 10, 16, shortcut_episode=8)
    assert_identical(ours, theirs)


def test_short_max_steps_identical_to_tutorial(reference_functions):
    ours = run_package(9, 1, 30, *reference_functions, max_steps=7)
    theirs = run_tutorial(9, 1, 30, max_steps=7)
    assert_identical(ours, theirs)
    assert ours[2].max() == 7


def test_learn_environment_outputs(reference_functions):
    value, reward_sums, episode_steps = run_package(0, 0, 25, *reference_functions)
    assert value.shape == (100, 4)
    assert reward_sums.shape == episode_steps.shape == (25,)
    assert np.all((episode_steps >= 1) & (episode_steps <= 1000))
    assert np.all(episode_steps == np.round(episode_steps))
    # every episode that ended early reached the goal and was paid +1 for it
    ended = episode_steps < 1000
    assert np.all(reward_sums[ended] <= 1)


def test_learn_environment_missing_param_names_the_key(reference_functions):
    for missing in ("epsilon", "alpha", "gamma"):
        params = {k: v for k, v in dict(PARAMS, k=0).items() if k != missing}
        with pytest.raises(ValueError, match=repr(missing)):
            learn_environment(QuentinsWorld(), *reference_functions, params, 10, 2)


# ---------------------------------------------------------------------------
# The shortcut demonstration
# ---------------------------------------------------------------------------
def test_shortcut_demo_is_in_model_and_values_at_start_of_episode(reference_functions):
    """With max_steps=1 every episode is one step from 54, so call i is episode i and
    the agent never visits 64 itself: anything at (64, up) comes from the demonstration."""
    model_update, planning = reference_functions
    env = QuentinsWorld()
    seen = []

    def recording_update(model, state, action, reward, next_state):
        seen.append({"open": env.shortcut_open, "model_64_up": model[64, 1].copy()})
        return model_update(model, state, action, reward, next_state)

    values = []

    def recording_planning(model, value, params):
        values.append(value[64, 1])
        return planning(model, value, params)

    run_package(0, 0, 6, recording_update, recording_planning, shortcut_episode=3, max_steps=1, env=env)
    assert [s["open"] for s in seen] == [False] * 3 + [True] * 3
    assert all(np.isnan(s["model_64_up"]).all() for s in seen[:3])
    for s in seen[3:]:
        assert np.array_equal(s["model_64_up"], [0.0, 74.0])  # (reward 0, next state 74)
    # value[64, 1] Q-learned once: 1 + 0.5 * (0 + 0.8 * max(value[74]) - 1) with value[74] = 1
    assert values[:3] == [1.0] * 3
    assert values[3] == pytest.approx(0.9)


# ---------------------------------------------------------------------------
# Wrong exercise functions give clear errors
# ---------------------------------------------------------------------------
def forgetful_update(model, state, action, reward, next_state):
    model[state, action] = reward, next_state  # forgot `return model`


def forgetful_planning(model, value, params):
    pass  # forgot `return value`


def test_model_updater_returning_none(reference_functions):
    with pytest.raises(TypeError, match=r"forgetful_update returned None.*return model"):
        run_package(0, 0, 2, forgetful_update, reference_functions[1])


def test_planner_returning_none(reference_functions):
    with pytest.raises(TypeError, match=r"forgetful_planning returned None.*return value"):
        run_package(0, 1, 2, reference_functions[0], forgetful_planning)


def test_model_updater_wrong_shape(reference_functions):
    def flat_update(model, state, action, reward, next_state):
        model[state, action] = reward, next_state
        return model[:, :, 0]

    with pytest.raises(ValueError, match=r"shape \(100, 4\).*\(100, 4, 2\)"):
        run_package(0, 0, 2, flat_update, reference_functions[1])


@pytest.mark.parametrize("wrong", [lambda v: v.T, lambda v: v[0], lambda v: v.ravel()])
def test_planner_wrong_shape(wrong, reference_functions):
    def bad_planning(model, value, params):
        return wrong(value)

    with pytest.raises(ValueError, match=r"shape.*\(100, 4\)"):
        run_package(0, 1, 2, reference_functions[0], bad_planning)


# ---------------------------------------------------------------------------
# Model semantics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("k,shortcut_episode", [(10, None), (0, 10)])
def test_model_holds_exactly_the_visited_outcomes(k, shortcut_episode, reference_functions):
    model_update, planning = reference_functions
    env = QuentinsWorld()
    visited = set()
    final = {}

    def recording_update(model, state, action, reward, next_state):
        visited.add((int(state), int(action)))
        final["model"] = model_update(model, state, action, reward, next_state)
        return final["model"]

    run_package(2, k, 25, recording_update, planning, shortcut_episode=shortcut_episode, env=env)
    model = final["model"]
    assert model.shape == (100, 4, 2)
    if shortcut_episode is not None:
        visited.add((64, 1))  # the demonstration
        assert env.shortcut_open
    known = {(int(s), int(a)) for s, a in np.argwhere(~np.isnan(model[:, :, 0]))}
    assert known == visited
    assert len(visited) > 50  # a real run, not a trivial one
    for s in range(100):
        for a in range(4):
            reward, nxt = model[s, a]
            if (s, a) not in visited:
                assert np.isnan(reward) and np.isnan(nxt), (s, a)
                continue
            expected_next, expected_reward = env.get_outcome(s, a)
            assert reward == expected_reward, (s, a)
            if expected_next is None:  # terminal: NaN next state, reward 0
                assert np.isnan(nxt) and reward == 0, (s, a)
            else:
                assert nxt == expected_next, (s, a)
    # the goal was reached, so the terminal entries exist
    assert any((99, a) in visited for a in range(4))


def test_new_model_is_all_nan():
    model = new_model(100, 4)
    assert model.shape == (100, 4, 2) and np.isnan(model).all()


def test_the_course_parameters_are_the_tutorials():
    """params.py is the one home of the tutorial's settings; this pins it to the tutorial's values
    (written out here independently, as the tutorial's code sets them)."""
    from dynaq_course import params

    assert params.TUTORIAL_PARAMS == PARAMS == {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
    assert params.MAX_STEPS == 1000
    assert params.tutorial_params(k=10) == {**PARAMS, "k": 10} and params.TUTORIAL_PARAMS == PARAMS  # a fresh dict
