"""The tutorial's pure-Python Dyna-Q loop, re-implemented operation for operation.

This is the baseline the benchmark measures the fast engine against: what a
learner runs when following NMA W3D4 Tutorial 4 ("Quentin's World"). It keeps
the tutorial's costs on purpose:

* the world answers ``get_outcome`` with chains of ``if``/``elif`` and list
  membership tests (no table);
* ``epsilon_greedy`` draws ``np.random.random()`` and then ``np.argmax`` or
  ``np.random.choice``;
* ``q_learning`` indexes a NumPy array and takes ``np.max`` of a row;
* the planner recomputes the list of observed pairs (``np.where`` over the
  whole model) inside its loop, before every one of its k updates, and draws
  with ``np.random.choice``.

Nothing here is used by the course; the package's ``agent.learn_environment``
is the tested reference, and ``tests/test_agent.py`` checks it step for step
against the tutorial's helpers.
"""

import numpy as np

START, GOAL, DOOR_BELOW = 54, 99, 64

# Cells from which a move in a given direction enters a red wall (reward -1).
_INTO_RED_RIGHT = [11, 21, 31, 41, 51, 61, 71, 12, 72, 73, 14, 74, 15, 25, 35, 45, 55, 65, 75]
_INTO_RED_LEFT = [17, 27, 37, 47, 57, 67, 77, 16, 76, 75, 14, 74, 13, 23, 33, 43, 53, 63, 73]
_INTO_RED_DOWN = [22, 32, 42, 52, 62, 72, 82, 23, 83, 84, 25, 85, 26, 36, 46, 56, 66, 76, 86]


class TutorialWorld:
    """Quentin's World as the tutorial writes it: rules evaluated on every call."""

    def __init__(self):
        self.n_states, self.n_actions = 100, 4
        self.init_state = START
        self.door = DOOR_BELOW  # the cell whose "up" is penalised; moves away when opened

    def toggle_shortcut(self):
        self.door = 2 if self.door == DOOR_BELOW else DOOR_BELOW

    def get_outcome(self, state, action):
        if state == GOAL:
            return None, 0
        reward = 0
        if action == 0:
            next_state = state + 1
            if state == 98:
                reward = 1
            elif state % 10 == 9:
                next_state = state
            elif state in _INTO_RED_RIGHT:
                reward = -1
        elif action == 1:
            next_state = state + 10
            if state == 89:
                reward = 1
            if state >= 90:
                next_state = state
            elif state in [2, 12, 22, 32, 42, 52, 62, 3, 63, self.door, 5, 65, 6, 16, 26, 36, 46, 56, 66]:
                reward = -1
        elif action == 2:
            next_state = state - 1
            if state % 10 == 0:
                next_state = state
            elif state in _INTO_RED_LEFT:
                reward = -1
        elif action == 3:
            next_state = state - 10
            if state <= 9:
                next_state = state
            elif state in _INTO_RED_DOWN:
                reward = -1
        else:
            return None, None
        return int(next_state), reward


def epsilon_greedy(q, epsilon):
    if np.random.random() > epsilon:
        return np.argmax(q)
    return np.random.choice(len(q))


def q_learning(state, action, reward, next_state, value, params):
    previous = value[int(state), int(action)]
    if next_state is None or np.isnan(next_state):
        best_next = 0
    else:
        best_next = np.max(value[int(next_state)])
    delta = reward + params["gamma"] * best_next - previous
    value[int(state), int(action)] = previous + params["alpha"] * delta
    return value


def model_update(model, state, action, reward, next_state):
    model[state, action] = reward, next_state
    return model


def planning(model, value, params):
    for _ in range(params["k"]):
        observed = np.array(np.where(~np.isnan(model[:, :, 0]))).T
        index = np.random.choice(len(observed))
        state, action = observed[index]
        reward, next_state = model[state, action]
        value = q_learning(state, action, reward, next_state, value, params)
    return value


def learn_environment(env, model_updater, planner, params, max_steps, n_episodes, shortcut_episode=None):
    value = np.ones((env.n_states, env.n_actions))
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    model = np.nan * np.zeros((env.n_states, env.n_actions, 2))
    for episode in range(n_episodes):
        if shortcut_episode is not None and episode == shortcut_episode:
            env.toggle_shortcut()
            state, action = DOOR_BELOW, 1
            next_state, reward = env.get_outcome(state, action)
            model[state, action] = reward, next_state
            value = q_learning(state, action, reward, next_state, value, params)
        state = env.init_state
        reward_sum = 0
        for t in range(max_steps):
            action = epsilon_greedy(value[state], params["epsilon"])
            next_state, reward = env.get_outcome(state, action)
            reward_sum += reward
            value = q_learning(state, action, reward, next_state, value, params)
            model = model_updater(model, state, action, reward, next_state)
            value = planner(model, value, params)
            if next_state is None:
                break
            state = next_state
        reward_sums[episode] = reward_sum
        episode_steps[episode] = t + 1
    return value, reward_sums, episode_steps


def k_sweep(planning_steps=(0, 1, 10, 100), n_experiments=10, n_episodes=100, max_steps=1000, seed=1):
    """The tutorial's "How much to plan?" cell: steps per episode, (n_k, n_experiments, n_episodes)."""
    np.random.seed(seed)
    params = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
    env = TutorialWorld()
    steps = np.zeros((len(planning_steps), n_experiments, n_episodes))
    for i, k in enumerate(planning_steps):
        params["k"] = k
        for experiment in range(n_experiments):
            steps[i, experiment] = learn_environment(env, model_update, planning, params, max_steps, n_episodes)[2]
    return steps


def shortcut_experiment(planning_steps=(0, 10), n_episodes=400, shortcut_episode=200, max_steps=1000, seed=1):
    """The tutorial's "When the world changes" cell: one run per k, (n_k, n_episodes)."""
    np.random.seed(seed)
    params = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
    steps = np.zeros((len(planning_steps), n_episodes))
    for i, k in enumerate(planning_steps):
        env = TutorialWorld()
        params["k"] = k
        steps[i] = learn_environment(
            env, model_update, planning, params, max_steps, n_episodes, shortcut_episode=shortcut_episode
        )[2]
    return steps
