"""The agent loop: epsilon-greedy acting, Q-learning, and the Dyna-Q episode loop.

Same names, signatures and semantics as the tutorial's helpers, so a student
who follows the tutorial calls them as it says. Random draws use NumPy's global
generator, so ``np.random.seed`` makes a run repeatable.
"""

from __future__ import annotations

import math

import numpy as np

from dynaq_course.params import tutorial_params
from dynaq_course.world import check_action, check_state


def epsilon_greedy(q, epsilon):
    """Pick the best action of ``q`` with probability 1 - epsilon, else a random one.

    Ties for the best action go to the first one (``np.argmax``).
    """
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon is a probability and must lie in [0, 1], got {epsilon!r}.")
    if np.random.random() > epsilon:
        return int(np.argmax(q))
    return int(np.random.choice(len(q)))


def _is_terminal(next_state) -> bool:
    if next_state is None:
        return True
    try:
        return math.isnan(next_state)
    except TypeError:
        raise ValueError(
            f"next_state must be a state number, or None/NaN when the episode ended; got {next_state!r}."
        ) from None


def _param(params, name):
    try:
        return params[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"params must be a dict with an entry {name!r} (e.g. params = {tutorial_params(k=10)}); got {params!r}."
        ) from None


def q_learning(state, action, reward, next_state, value, params):
    """One Q-learning update of ``value[state, action]``; returns ``value``.

    ``next_state`` None or NaN means the episode ended: nothing is bootstrapped.
    ``value`` is changed in place and returned.
    """
    s, a = check_state(state), check_action(action)
    alpha, gamma = _param(params, "alpha"), _param(params, "gamma")
    prev_value = value[s, a]
    max_next = 0.0 if _is_terminal(next_state) else value[check_state(next_state)].max()
    delta = reward + gamma * max_next - prev_value
    value[s, a] = prev_value + alpha * delta
    return value


def new_model(n_states: int, n_actions: int) -> np.ndarray:
    """An empty Dyna-Q model: (n_states, n_actions, 2) of NaN (nothing seen yet)."""
    return np.full((n_states, n_actions, 2), np.nan)


def _require_array(result, like: np.ndarray, who: str, what: str) -> np.ndarray:
    if result is None:
        raise TypeError(
            f"{who} returned None. It must return the updated {what} (add `return {what}` at the end of the function)."
        )
    result = np.asarray(result)
    if result.shape != like.shape:
        raise ValueError(f"{who} returned an array of shape {result.shape}; the {what} has shape {like.shape}.")
    return result


def run_episode(env, value, params, max_steps, step):
    """One episode from ``env.init_state``, as in the book's boxes: each step acts epsilon-greedily
    (``params["epsilon"]``, read at every step) on ``value``, takes the action in ``env`` and calls
    ``step(value, state, action, reward, next_state)``, which learns from it and returns the values to
    act on next. The episode ends with the step taken from the goal (``next_state`` None) or after
    ``max_steps`` steps. Returns ``(value, reward_sum, steps)``. The loops of ``learn_environment``,
    ``going_further.prioritized`` and ``going_further.slippery`` all run on it."""
    state = env.init_state
    reward_sum = 0.0
    for t in range(max_steps):
        action = epsilon_greedy(value[state], params["epsilon"])
        next_state, reward = env.get_outcome(state, action)
        reward_sum += reward
        value = step(value, state, action, reward, next_state)
        if next_state is None:
            break
        state = next_state
    return value, reward_sum, t + 1


def learn_environment(env, model_updater, planner, params, max_steps, n_episodes, shortcut_episode=None):
    """Run Dyna-Q (or Q-learning when ``params['k'] == 0``) on ``env``.

    Each step: act epsilon-greedily, Q-learn from the real transition, update
    the model with ``model_updater``, then let ``planner`` learn from the model.
    When ``shortcut_episode`` is given, the shortcut toggles at the start of
    that episode and the agent is shown the new transition once (stepping up
    from the cell below the shortcut), in its model and in its values.

    Returns ``(value, reward_sums, episode_steps)``.
    """
    for name in ("epsilon", "alpha", "gamma"):
        _param(params, name)
    value = np.ones((env.n_states, env.n_actions))
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    model = new_model(env.n_states, env.n_actions)
    updater_name = getattr(model_updater, "__name__", "the model updater")
    planner_name = getattr(planner, "__name__", "the planner")

    def step(value, state, action, reward, next_state):
        nonlocal model
        value = q_learning(state, action, reward, next_state, value, params)
        model = _require_array(model_updater(model, state, action, reward, next_state), model, updater_name, "model")
        return _require_array(planner(model, value, params), value, planner_name, "value")

    for episode in range(n_episodes):
        if shortcut_episode is not None and episode == shortcut_episode:
            env.toggle_shortcut()
            state, action = env.shortcut_from, env.shortcut_action
            next_state, reward = env.get_outcome(state, action)
            model[state, action] = reward, next_state
            value = q_learning(state, action, reward, next_state, value, params)
        value, reward_sums[episode], episode_steps[episode] = run_episode(env, value, params, max_steps, step)
    return value, reward_sums, episode_steps
