"""Quentin's World as a Gymnasium environment (dynaq_course.going_further.gym_env).

Gymnasium is an optional dependency of the course (requirements.txt installs it
for these tests); the last tests check that the course runs without it.
"""

import collections
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from matplotlib.colors import to_rgb

from dynaq_course import engine, world
from dynaq_course.going_further.greedy_paths import optimal_values
from dynaq_course.going_further.gym_env import END_AT_GOAL_ID, ENV_ID, GYMNASIUM_PIN, EndAtGoal, QuentinWorldEnv
from dynaq_course.lesson import experiments, plots

ROOT = Path(__file__).resolve().parents[1]

# gym.make wraps the env in Gymnasium's PassiveEnvChecker, which warns about API slips on the
# first reset/step/render: any warning fails these tests.
pytestmark = pytest.mark.filterwarnings("error")


def make(**kwargs):
    return gym.make(ENV_ID, **kwargs)


def shortest_path_length(shortcut_open: bool, avoid_walls: bool) -> int:
    """Steps from the start until the goal is entered, by breadth-first search over
    the course's tables (only moves with reward >= 0 when ``avoid_walls``)."""
    table = int(shortcut_open)
    next_states, rewards = world.NEXT_STATE_TABLE[table], world.REWARD_TABLE[table]
    distance = {world.START_STATE: 0}
    frontier = collections.deque([world.START_STATE])
    while frontier:
        state = frontier.popleft()
        if state == world.GOAL_STATE:
            return distance[state]
        for action in range(world.N_ACTIONS):
            nxt = int(next_states[state, action])
            if nxt == world.TERMINAL or (avoid_walls and rewards[state, action] < 0):
                continue
            if nxt not in distance:
                distance[nxt] = distance[state] + 1
                frontier.append(nxt)
    raise AssertionError("the goal cannot be reached")


# ---------------------------------------------------------------------------
# Gymnasium's own checks, registration, the requirements pin
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"render_mode": "rgb_array"}, {"shortcut_open": True, "slip": 0.25}])
def test_passes_gymnasiums_env_checker_without_warnings(kwargs):
    env = make(**kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)  # the raw env, as check_env asks; it re-makes it from its spec
    assert [str(w.message) for w in caught] == []
    env.close()


def test_make_registers_spaces_and_time_limit():
    env = make()
    assert env.spec.id == ENV_ID
    assert env.spec.max_episode_steps == engine.MAX_STEPS == experiments.MAX_STEPS
    assert isinstance(env.unwrapped, QuentinWorldEnv)
    assert "PassiveEnvChecker" in str(env)
    assert env.observation_space == gym.spaces.Discrete(100)
    assert env.action_space == gym.spaces.Discrete(4)
    assert env.render_mode is None
    assert env.metadata["render_fps"] > 0
    # the "module:id" form imports the module itself
    assert isinstance(gym.make("dynaq_course.going_further.gym_env:" + ENV_ID).unwrapped, QuentinWorldEnv)


def test_requirements_pin_matches_the_module_and_installed_version():
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if re.match(r"gymnasium\s*==", line)]
    assert len(lines) == 1, "requirements.txt must pin gymnasium once"
    assert re.match(r"gymnasium\s*==\s*(\S+)", lines[0]).group(1) == GYMNASIUM_PIN
    assert gym.__version__ == GYMNASIUM_PIN


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="render_mode"):
        QuentinWorldEnv(render_mode="human")
    with pytest.raises(ValueError, match="slip"):
        QuentinWorldEnv(slip=1.5)
    env = QuentinWorldEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"shortcut": True})
    with pytest.raises(ValueError, match="state"):
        env.reset(options={"start_state": 100})
    with pytest.raises(ValueError, match="0 right, 1 up"):
        env.step(4)


# ---------------------------------------------------------------------------
# reset / step
# ---------------------------------------------------------------------------
def test_reset_and_step_types():
    env = make()
    obs, info = env.reset(seed=3)
    assert type(obs) is int and obs == world.START_STATE and info == {}
    obs, reward, terminated, truncated, info = env.step(np.int64(1))
    assert type(obs) is int and env.observation_space.contains(obs)
    assert type(reward) is float
    assert type(terminated) is bool and type(truncated) is bool
    assert info == {"executed_action": 1}


def trajectory(env, seed, actions):
    out = [env.reset(seed=seed)]
    out += [env.step(int(a)) for a in actions]
    return out


def test_reset_with_a_seed_is_reproducible():
    actions = np.random.default_rng(0).integers(4, size=300)
    env = make(slip=0.3)
    first = trajectory(env, 7, actions)
    again = trajectory(env, 7, actions)
    assert first == again
    other = trajectory(env, 8, actions)
    assert other != first  # the seed drives the slips
    # reset(seed=...) seeds the environment's own generator
    env.reset(seed=11)
    draws = env.unwrapped.np_random.random(5)
    env.reset(seed=11)
    assert np.array_equal(draws, env.unwrapped.np_random.random(5))


@pytest.mark.parametrize("shortcut_open", [False, True])
def test_every_transition_agrees_with_the_course_world(shortcut_open):
    env = make()
    course = world.QuentinsWorld(shortcut_open=shortcut_open)
    for state in range(world.N_STATES):
        for action in range(world.N_ACTIONS):
            env.reset(options={"shortcut_open": shortcut_open, "start_state": state})
            obs, reward, terminated, truncated, info = env.step(action)
            expected_next, expected_reward = course.get_outcome(state, action)
            assert reward == expected_reward, (state, action)
            assert terminated == (expected_next is None), (state, action)
            assert obs == (state if expected_next is None else expected_next), (state, action)
            assert not truncated and info["executed_action"] == action


def test_step_from_the_goal_ends_the_episode_like_the_course():
    """Entering the goal gives +1 and goes on; the next step (any action) terminates."""
    env = make()
    env.reset(options={"start_state": 98})
    assert env.step(0)[:4] == (99, 1.0, False, False)
    assert env.step(2)[:4] == (99, 0.0, True, False)


def test_shortcut_option_persists_until_changed():
    env = make()
    env.reset(options={"start_state": world.SHORTCUT_FROM})
    assert env.step(world.SHORTCUT_ACTION)[1] == -1.0  # closed: the door cell is a wall
    env.reset(options={"shortcut_open": True, "start_state": world.SHORTCUT_FROM})
    assert env.step(world.SHORTCUT_ACTION)[1] == 0.0
    env.reset(options={"start_state": world.SHORTCUT_FROM})  # the world stays changed
    assert env.step(world.SHORTCUT_ACTION)[1] == 0.0
    obs, _ = env.reset()
    assert obs == world.START_STATE  # start_state is for one episode only


def test_truncation_at_max_episode_steps():
    env = make()
    env.reset(seed=0)
    down = 3  # from the start, "down" leaves the box and then bumps into the bottom border
    for t in range(1, engine.MAX_STEPS + 1):
        obs, reward, terminated, truncated, _ = env.step(down)
        assert not terminated
        assert truncated == (t == engine.MAX_STEPS), t
    assert obs == 4
    short = make(max_episode_steps=5)
    short.reset()
    assert [short.step(down)[3] for _ in range(5)] == [False] * 4 + [True]


# ---------------------------------------------------------------------------
# slip
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("slip", [0.3, 1.0])
def test_slip_replaces_the_action_by_a_uniform_random_one(slip):
    """From the start every action leads to a different cell: count where "up" lands."""
    env = make(slip=slip)
    env.reset(seed=1)
    n = 4000
    counts = collections.Counter()
    for _ in range(n):
        env.reset(options={"start_state": world.START_STATE})
        counts[env.step(1)[0]] += 1
    expected = {
        int(world.NEXT_STATE_TABLE[0, world.START_STATE, a]): slip / 4 + (1 - slip) * (a == 1) for a in range(4)
    }
    assert set(counts) == set(expected)
    for cell, p in expected.items():
        sd = np.sqrt(n * p * (1 - p))
        assert abs(counts[cell] - n * p) < 5 * sd, (cell, counts[cell], n * p)
    # P (for planning) says the same
    P = env.unwrapped.P[world.START_STATE][1]
    assert {nxt: p for p, nxt, _, _ in P} == pytest.approx(expected)
    env.reset(options={"slip": 0.0})  # the cached P follows the world
    assert env.unwrapped.P[world.START_STATE][1] == [(1.0, 64, 0.0, False)]


@pytest.mark.parametrize("slip", [0.0, 0.2])
@pytest.mark.parametrize("shortcut_open", [False, True])
def test_P_is_a_distribution_over_the_course_outcomes(slip, shortcut_open):
    env = QuentinWorldEnv(slip=slip, shortcut_open=shortcut_open)
    course = world.QuentinsWorld(shortcut_open=shortcut_open)
    for state, by_action in env.P.items():
        for action, outcomes in by_action.items():
            assert sum(p for p, *_ in outcomes) == pytest.approx(1.0)
            if slip == 0.0:
                nxt, reward = course.get_outcome(state, action)
                assert outcomes == [(1.0, state if nxt is None else nxt, reward, nxt is None)]


@pytest.mark.parametrize("slip", [0.0, 0.3])
@pytest.mark.parametrize("shortcut_open", [False, True])
def test_P_agrees_with_the_slippery_world_of_section_6(slip, shortcut_open):
    """Same slip rule as dynaq_course.going_further.slippery (section 6), written independently there."""
    from dynaq_course.going_further.slippery import transition_model

    probs, expected_reward = transition_model(slip, shortcut_open=shortcut_open)
    env = QuentinWorldEnv(slip=slip, shortcut_open=shortcut_open)
    ended = probs.shape[2] - 1  # stochastic's column for "the episode ended"
    for state, by_action in env.P.items():
        for action, outcomes in by_action.items():
            ours = np.zeros(probs.shape[2])
            for p, nxt, _, terminated in outcomes:
                ours[ended if terminated else nxt] += p
            np.testing.assert_allclose(ours, probs[state, action], atol=1e-12)
            assert sum(p * r for p, _, r, _ in outcomes) == pytest.approx(expected_reward[state, action])


# ---------------------------------------------------------------------------
# render
# ---------------------------------------------------------------------------
def rgb(color):
    return tuple(round(255 * c) for c in to_rgb(color))


def pixel(image, row_col):
    return tuple(int(v) for v in image[row_col])


@pytest.mark.parametrize("shortcut_open", [False, True])
def test_render_draws_the_map_in_the_course_colours(shortcut_open):
    env = make(render_mode="rgb_array", shortcut_open=shortcut_open)
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.shape[0] == image.shape[1] > 0
    center = QuentinWorldEnv.cell_center_pixel
    for state in range(world.N_STATES):
        if state == world.START_STATE:  # the agent stands there
            expected = rgb(plots.ARROW_COLOR)
        elif state == world.GOAL_STATE:
            expected = rgb(plots.GOAL_COLOR)
        elif state in world.RED_STATES:
            expected = rgb(plots.WALL_COLOR)
        else:
            expected = rgb(plots.FREE_COLOR)
        assert pixel(image, center(state)) == expected, state
    # the start cell is green around the agent; the goal is the top-right cell
    row, col = center(world.START_STATE)
    assert pixel(image, (row - 13, col - 13)) == rgb(plots.START_COLOR)
    assert pixel(image, (10, image.shape[1] - 10)) == rgb(plots.GOAL_COLOR)
    door = plots.DOOR_OPEN_COLOR if shortcut_open else plots.DOOR_CLOSED_COLOR
    assert pixel(image, QuentinWorldEnv.door_pixel()) == rgb(door)


def test_render_follows_the_agent():
    env = make(render_mode="rgb_array")
    env.reset(seed=0)
    env.step(1)  # 54 -> 64
    image = env.render()
    center = QuentinWorldEnv.cell_center_pixel
    assert pixel(image, center(64)) == rgb(plots.ARROW_COLOR)
    assert pixel(image, center(world.START_STATE)) == rgb(plots.START_COLOR)
    with pytest.warns(UserWarning, match="without a render mode"):
        assert make().unwrapped.render() is None  # no render mode: nothing to draw


# ---------------------------------------------------------------------------
# a Gymnasium-style agent loop
# ---------------------------------------------------------------------------
def q_learning_agent(env, n_episodes, seed, params=engine.TUTORIAL_PARAMS):
    """Tabular Q-learning with epsilon-greedy actions, written against env.reset/env.step only.

    As the course's Q-learning agent (k = 0): its alpha, gamma and epsilon, and values that
    start at 1 (optimistic: every untried pair looks good, which drives exploration)."""
    alpha, gamma, epsilon = params["alpha"], params["gamma"], params["epsilon"]
    rng = np.random.default_rng(seed)
    q = np.ones((env.observation_space.n, env.action_space.n))
    lengths = []
    env.reset(seed=seed)
    for _ in range(n_episodes):
        obs, _ = env.reset()
        done, steps = False, 0
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(env.action_space.n))
            else:  # greedy, ties broken at random
                best = np.flatnonzero(q[obs] == q[obs].max())
                action = int(rng.choice(best))
            next_obs, reward, terminated, truncated, _ = env.step(action)
            target = reward + (0.0 if terminated else gamma * q[next_obs].max())
            q[obs, action] += alpha * (target - q[obs, action])
            obs, steps, done = next_obs, steps + 1, terminated or truncated
        lengths.append(steps)
    return q, np.array(lengths)


def greedy_steps_to_goal(env, q, max_steps=200):
    """Steps the greedy policy takes from the start until it enters the goal, and
    whether it entered a wall on the way."""
    obs, _ = env.reset()
    hit_wall = False
    for t in range(1, max_steps + 1):
        obs, reward, _, _, _ = env.step(int(np.argmax(q[obs])))
        hit_wall |= reward < 0
        if obs == world.GOAL_STATE:
            return t, hit_wall
    return None, hit_wall


def test_q_learning_loop_learns_a_shortest_wall_free_path():
    safe = shortest_path_length(shortcut_open=False, avoid_walls=True)
    through_walls = shortest_path_length(shortcut_open=False, avoid_walls=False)
    assert through_walls < safe  # so avoiding the walls is something to learn
    env = make()
    q, lengths = q_learning_agent(env, n_episodes=300, seed=0)
    steps, hit_wall = greedy_steps_to_goal(env, q)
    assert steps == safe and not hit_wall
    # while still exploring (epsilon 0.1) the last episodes are near-shortest too:
    # the path, the step from the goal, and a few exploratory detours
    assert np.mean(lengths[-50:]) < 1.5 * (safe + 1)
    assert np.mean(lengths[:10]) > 3 * (safe + 1)  # it did have to learn

    # once the shortcut opens, the wall-free shortest path is shorter
    assert shortest_path_length(shortcut_open=True, avoid_walls=True) < safe


# ---------------------------------------------------------------------------
# EndAtGoal: Gymnasium's usual convention (the episode ends on the step into the goal)
# ---------------------------------------------------------------------------
WRAPPED_WARNING = "is different from the unwrapped version"


@pytest.mark.parametrize(
    "make_wrapped",
    [lambda: gym.make(END_AT_GOAL_ID), lambda: EndAtGoal(gym.make(ENV_ID, shortcut_open=True, slip=0.25))],
)
def test_end_at_goal_passes_gymnasiums_env_checker(make_wrapped):
    env = make_wrapped()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    # the checker's only remark: it was given a wrapped environment (it is the wrapper we check)
    assert [str(w.message) for w in caught if WRAPPED_WARNING not in str(w.message)] == []
    assert any(WRAPPED_WARNING in str(w.message) for w in caught)


def test_end_at_goal_is_registered_and_rebuilt_from_its_spec():
    env = gym.make(END_AT_GOAL_ID)
    assert isinstance(env, EndAtGoal) and isinstance(env.unwrapped, QuentinWorldEnv)
    assert env.spec.max_episode_steps == engine.MAX_STEPS and "TimeLimit" in str(env)
    wrapped = EndAtGoal(gym.make(ENV_ID, slip=0.1))
    again = gym.make(wrapped.spec)  # the spec records the wrapper and the kwargs
    assert isinstance(again, EndAtGoal) and again.unwrapped.slip == 0.1


def test_end_at_goal_terminates_on_the_step_into_the_goal():
    env = gym.make(END_AT_GOAL_ID)
    env.reset(options={"start_state": 98})
    assert env.step(0)[:4] == (99, 1.0, True, False)  # the course would say (99, 1.0, False, False)
    env.reset(options={"start_state": 89})
    assert env.step(1)[:4] == (99, 1.0, True, False)
    env.reset(options={"start_state": 97})
    assert env.step(0)[:4] == (98, 0.0, False, False)  # everything else is unchanged
    for state, by_action in env.P.items():  # P: entering the goal is terminal
        for action, outcomes in by_action.items():
            for (p, nxt, r, done), course in zip(outcomes, env.unwrapped.P[state][action]):
                assert (p, nxt, r) == course[:3] and done == (course[3] or nxt == world.GOAL_STATE)


def test_end_at_goal_refuses_other_worlds_and_a_start_on_the_goal():
    class Other(gym.Env):
        observation_space, action_space = gym.spaces.Discrete(2), gym.spaces.Discrete(2)

    with pytest.raises(TypeError, match="EndAtGoal wraps Quentin's World"):
        EndAtGoal(Other())
    with pytest.raises(ValueError, match="cannot start on the goal"):
        EndAtGoal(QuentinWorldEnv()).reset(options={"start_state": world.GOAL_STATE})


def _play(env, actions, seed):
    """Steps ``actions`` (then action 0, from the goal) until the episode ends; the rewards and observations."""
    env.reset(seed=seed)
    rewards, observations = [], []
    for t in range(10_000):
        obs, reward, terminated, truncated, _ = env.step(int(actions[t]) if t < len(actions) else 0)
        rewards.append(reward)
        observations.append(obs)
        if terminated or truncated:
            return rewards, observations, terminated
    raise AssertionError("the episode did not end")


@pytest.mark.parametrize("slip", [0.0, 0.3])
def test_same_actions_same_return_one_step_shorter(slip):
    """Random action sequences (and slips from the same seed): the wrapped episode is the course's
    episode without its last step, which pays 0; so every return (discounted or not) is the same."""
    rng = np.random.default_rng(5)
    reached = 0
    for seed in range(40):
        # towards the goal: mostly right and up, so that most episodes get there within the time limit
        actions = rng.choice(4, size=2000, p=[0.35, 0.35, 0.15, 0.15])
        course, usual = make(slip=slip, max_episode_steps=300), EndAtGoal(make(slip=slip, max_episode_steps=300))
        r_course, o_course, done_course = _play(course, actions, seed)
        r_usual, o_usual, done_usual = _play(usual, actions, seed)
        if done_usual:  # reached the goal before the time limit
            reached += 1
            assert len(r_course) == len(r_usual) + 1 and done_course
            assert r_course[-1] == 0.0 and o_course[-1] == o_usual[-1] == world.GOAL_STATE
            assert r_course[:-1] == r_usual and o_course[:-1] == o_usual
            for gamma in (1.0, 0.8):
                disc = gamma ** np.arange(len(r_course))
                assert np.dot(disc, r_course) == pytest.approx(np.dot(disc[:-1], r_usual))
        else:  # truncated: the same episode
            assert (r_course, o_course) == (r_usual, o_usual)
    assert reached >= 20  # the main case was exercised


def _value_iteration(P, gamma=0.8, sweeps=500):
    q = np.zeros((world.N_STATES, world.N_ACTIONS))
    for _ in range(sweeps):
        best = q.max(axis=1)
        q = np.array(
            [
                [
                    sum(p * (r + (0.0 if done else gamma * best[nxt])) for p, nxt, r, done in P[s][a])
                    for a in range(world.N_ACTIONS)
                ]
                for s in range(world.N_STATES)
            ]
        )
    return q


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_optimal_values_agree_on_every_pair_but_the_goals(slip):
    course_env = QuentinWorldEnv(slip=slip)
    q_course = _value_iteration(course_env.P)
    q_usual = _value_iteration(EndAtGoal(QuentinWorldEnv(slip=slip)).P)
    np.testing.assert_allclose(q_usual[: world.GOAL_STATE], q_course[: world.GOAL_STATE], atol=1e-12)
    assert np.all(q_course[world.GOAL_STATE] == 0.0)  # in the course the step from the goal pays 0
    if slip == 0.0:
        np.testing.assert_allclose(q_course, optimal_values(False), atol=1e-12)


def q_learning_on_fixed_behaviour(env, n_episodes, start_value, seed=3, epsilon=0.3):
    """Q-learning (the course's alpha 0.5, gamma 0.8) from a behaviour that does not depend on what is
    learned: epsilon-random around the optimal policy, drawing no random number on the goal (the
    course's extra step there takes action 0). Both conventions then see the same transitions."""
    alpha, gamma = engine.TUTORIAL_PARAMS["alpha"], engine.TUTORIAL_PARAMS["gamma"]
    q_star = optimal_values(False)
    rng = np.random.default_rng(seed)
    q = np.full((world.N_STATES, world.N_ACTIONS), start_value)
    env.reset(seed=seed)
    lengths = []
    for _ in range(n_episodes):
        obs, _ = env.reset()
        done, steps = False, 0
        while not done:
            if obs == world.GOAL_STATE:
                action = 0
            else:
                action = int(rng.integers(4)) if rng.random() < epsilon else int(np.argmax(q_star[obs]))
            nxt, reward, terminated, truncated, _ = env.step(action)
            q[obs, action] += alpha * (reward + (0.0 if terminated else gamma * q[nxt].max()) - q[obs, action])
            obs, done, steps = nxt, terminated or truncated, steps + 1
        lengths.append(steps)
    return q, np.array(lengths)


def test_q_learning_learns_the_same_values_under_both_conventions_when_the_goal_starts_at_0():
    q_course, len_course = q_learning_on_fixed_behaviour(make(), 100, start_value=0.0)
    q_usual, len_usual = q_learning_on_fixed_behaviour(EndAtGoal(make()), 100, start_value=0.0)
    np.testing.assert_array_equal(len_course, len_usual + 1)
    np.testing.assert_array_equal(q_course, q_usual)  # every pair, the goal's too (0 in both)
    # Negative control: with the course's optimistic start (1), the goal's actions that the course's extra
    # step never tries keep their 1, and the step into the goal is valued 1 + 0.8 * 1 there, not 1.
    q_course, _ = q_learning_on_fixed_behaviour(make(), 100, start_value=1.0)
    q_usual, _ = q_learning_on_fixed_behaviour(EndAtGoal(make()), 100, start_value=1.0)
    assert q_course[world.GOAL_STATE, 1:].tolist() == [1.0, 1.0, 1.0] and q_course[world.GOAL_STATE, 0] < 1e-6
    assert 1.7 < q_course[98, 0] <= 1.8 and q_usual[98, 0] == pytest.approx(1.0, abs=0.02)


# ---------------------------------------------------------------------------
# the course without Gymnasium
# ---------------------------------------------------------------------------
def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_course_does_not_import_gymnasium():
    result = run_python("""
        import sys
        import dynaq_course, dynaq_course.engine, dynaq_course.lesson.experiments, dynaq_course.lesson.plots
        assert "gymnasium" not in sys.modules, "the course imported gymnasium"
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_course_runs_without_gymnasium_and_gym_env_says_how_to_install_it():
    result = run_python("""
        import sys
        sys.modules["gymnasium"] = None  # makes `import gymnasium` fail, as if not installed
        import dynaq_course
        from dynaq_course import engine, world
        env = dynaq_course.QuentinsWorld()
        assert env.get_outcome(98, 0) == (99, 1.0)
        result = engine.simulate(planning_steps=(0,), n_experiments=1, n_episodes=2, seed=0,
                                 backend="python", progress=False)
        assert result is not None
        try:
            import dynaq_course.going_further.gym_env
        except ImportError as err:
            print(err)
        else:
            raise SystemExit("dynaq_course.going_further.gym_env imported without gymnasium")
    """)
    assert result.returncode == 0, result.stderr
    assert f"pip install gymnasium=={GYMNASIUM_PIN}" in result.stdout
    assert "optional" in result.stdout
