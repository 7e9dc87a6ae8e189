"""Dyna-Q+ and Dyna-Q with the bonus in action selection (Sutton & Barto, 2nd ed., section 8.3),
when the door (64, up) changes without anyone telling the agent.

Dyna-Q+ plans like Dyna-Q, except that a simulated step of a pair that has
not been tried in the real world for ``tau`` steps earns a bonus: planning
learns from ``bonus_reward(reward, tau, kappa)`` (the section's exercise:
``r + kappa * sqrt(tau)``) instead of the model's reward. Real steps learn
from the real reward. ``tau`` counts real steps (over all episodes) since the
pair was last tried; a pair tried in this very step has ``tau == 0``; a pair
never tried counts from step 0. Planning draws only pairs tried at least once
(the book's footnote variant, which also plans untried actions as "stay put,
reward 0", is not used).

The book's Exercise 8.4 moves the bonus: planning learns from the model's
reward (plain Dyna-Q), and in the real world the agent picks its greedy action
by ``Q(s, a) + kappa * sqrt(tau(s, a))`` (``bonus_greedy_action``, the
learner's function); with probability epsilon a uniformly random action, as
the course's ``epsilon_greedy``.

Two experiments, chosen by the world passed in:

* the shortcut (``QuentinsWorld()``): the door is a wall (-1) and opens at
  ``shortcut_episode``. Unlike the tutorial's ``learn_environment``, nobody
  runs (64, up) once for the agent: it must find the door alone.
* blocking (``QuentinsWorld(shortcut_open=True)``, Sutton & Barto's Example
  8.2 with walls that cost -1): the door is open and closes at
  ``shortcut_episode`` (the loop toggles it), so stepping up from 64 costs -1
  again and the 19-step route through the gap at 14 becomes the best.

Both loops return, per episode, how many times the pair (64, up) was taken
from ``shortcut_episode`` on: steps through the opened door (shortcut), or
bumps into the closed one (blocking); all zero when ``shortcut_episode`` is
None. They run the caller's function once per planning update or per greedy
choice: slow; ``further_engine.simulate_dyna_plus`` (``world=``, ``bonus=``)
is the same algorithms, compiled, for many seeds. With ``kappa == 0`` every
variant is plain Dyna-Q (and with ``k == 0`` Q-learning).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from dynaq_course.agent import _param, new_model, q_learning
from dynaq_course.params import tutorial_params
from dynaq_course.world import returned_action

PARAMS = tutorial_params(k=10, kappa=1e-2)


def _check_params(params) -> None:
    for name in ("epsilon", "alpha", "gamma", "k", "kappa"):
        _param(params, name)
    if not 0 <= params["epsilon"] <= 1:
        raise ValueError(f"epsilon is a probability and must lie in [0, 1], got {params['epsilon']!r}.")


def _run(env, params, n_episodes, max_steps, shortcut_episode, plan_reward, greedy_action):
    """The Dyna loop both agents share.

    ``plan_reward(r, tau)``: the reward planning learns from; ``greedy_action(value_row, tau_row)``:
    the action taken when the epsilon draw says "greedy" (``value_row`` is a view of ``value[state]``:
    read it, do not change it).
    """
    k = int(params["k"])
    epsilon = params["epsilon"]
    value = np.ones((env.n_states, env.n_actions))
    model = new_model(env.n_states, env.n_actions)
    last_tried = np.zeros((env.n_states, env.n_actions), dtype=np.int64)
    observed = []  # pairs tried so far, in the order first tried
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    door_taken = np.zeros(n_episodes, dtype=np.int64)
    now = 0
    door = (env.shortcut_from, env.shortcut_action)
    for episode in range(n_episodes):
        changed = shortcut_episode is not None and episode >= shortcut_episode
        if shortcut_episode is not None and episode == shortcut_episode:
            env.toggle_shortcut()
        state = env.init_state
        reward_sum = 0.0
        for t in range(max_steps):
            # epsilon-greedy, with the draws of agent.epsilon_greedy
            if np.random.random() > epsilon:
                action = greedy_action(value[state], (now - last_tried[state]).astype(float))
            else:
                action = int(np.random.choice(env.n_actions))
            next_state, reward = env.get_outcome(state, action)
            reward_sum += reward
            if changed and (state, action) == door:
                door_taken[episode] += 1
            value = q_learning(state, action, reward, next_state, value, params)
            now += 1
            if np.isnan(model[state, action, 0]):
                observed.append((state, action))
            model[state, action] = reward, (np.nan if next_state is None else next_state)
            last_tried[state, action] = now
            for _ in range(k):
                s, a = observed[np.random.randint(len(observed))]
                r, s_next = model[s, a]
                planned = plan_reward(r, now - last_tried[s, a])
                value = q_learning(s, a, planned, None if np.isnan(s_next) else int(s_next), value, params)
            if next_state is None:
                break
            state = next_state
        reward_sums[episode] = reward_sum
        episode_steps[episode] = t + 1
    return value, reward_sums, episode_steps, door_taken


def _first_best(value_row, tau_row):
    return int(np.argmax(value_row))


def learn_dyna_q_plus(env, params, n_episodes, max_steps, bonus_reward, shortcut_episode=None):
    """Dyna-Q+ on ``env``; the door toggles (unannounced) at ``shortcut_episode``.

    ``params``: 'epsilon', 'alpha', 'gamma', 'k' (planning updates per step) and
    'kappa' (bonus scale). Acting is epsilon-greedy on Q (``agent.epsilon_greedy``'s
    draws). Planning draws pairs uniformly among those tried so far
    (``np.random``, so ``np.random.seed`` repeats a run) and learns from
    ``bonus_reward(model reward, tau, kappa)``.
    ``QuentinsWorld()``: the door opens (shortcut); ``QuentinsWorld(shortcut_open=True)``:
    it closes (blocking).
    Returns ``(value, reward_sums, episode_steps, door_taken)``; ``door_taken[e]``
    counts the steps of episode ``e`` from ``env.shortcut_from`` with
    ``env.shortcut_action`` made from ``shortcut_episode`` on (through the
    opened door, or into the closed one); zeros when ``shortcut_episode`` is None.
    """
    _check_params(params)
    if not callable(bonus_reward):
        raise TypeError("bonus_reward must be a function bonus_reward(reward, tau, kappa).")
    who = getattr(bonus_reward, "__name__", "bonus_reward")
    kappa = params["kappa"]

    def plan_reward(r, tau):
        planned = bonus_reward(r, float(tau), kappa)
        if isinstance(planned, np.ndarray) and planned.size == 1:
            planned = planned.reshape(())[()]
        if isinstance(planned, (bool, np.bool_)) or not isinstance(planned, numbers.Real):
            raise TypeError(f"{who} must return a number (the planning reward), got {planned!r}.")
        planned = float(planned)
        if not math.isfinite(planned):
            raise ValueError(f"{who}({r}, {tau}, {kappa}) returned {planned}.")
        return planned

    return _run(env, params, n_episodes, max_steps, shortcut_episode, plan_reward, _first_best)


def learn_dyna_q_action_bonus(env, params, n_episodes, max_steps, bonus_greedy_action, shortcut_episode=None):
    """Dyna-Q with the bonus in action selection (Sutton & Barto, Exercise 8.4) on ``env``.

    Same ``params``, worlds, random draws and return value as ``learn_dyna_q_plus``;
    planning learns from the model's reward (no bonus). With probability
    ``1 - epsilon`` (the draw of ``agent.epsilon_greedy``) the action is
    ``bonus_greedy_action(value_row, tau_row, kappa)``: ``value_row`` a copy of
    ``value[state]`` (shape (4,)), ``tau_row`` the real steps since each action
    was last tried in ``state`` (floats, shape (4,)); it must return an action
    0-3. Otherwise a uniformly random action.
    Returns ``(value, reward_sums, episode_steps, door_taken)``.
    """
    _check_params(params)
    if not callable(bonus_greedy_action):
        raise TypeError("bonus_greedy_action must be a function bonus_greedy_action(value_row, tau_row, kappa).")
    who = getattr(bonus_greedy_action, "__name__", "bonus_greedy_action")
    kappa = params["kappa"]
    n_actions = env.n_actions

    def greedy_action(value_row, tau_row):
        returned = bonus_greedy_action(value_row.copy(), tau_row.copy(), kappa)  # copies: the loop's stay intact
        action = returned_action(returned)
        if action is not None:
            return action
        number = returned.reshape(())[()] if isinstance(returned, np.ndarray) and returned.size == 1 else returned
        if isinstance(number, numbers.Integral) and not isinstance(number, (bool, np.bool_)):
            raise ValueError(
                f"{who}({value_row.tolist()}, {tau_row.tolist()}, {kappa}) returned {returned!r}: "
                f"actions are 0-{n_actions - 1} (0 right, 1 up, 2 left, 3 down)."
            )
        if isinstance(number, numbers.Real) and not isinstance(number, (bool, np.bool_)):
            hint = " (the action's number, as np.argmax gives it, not its score)"
        elif returned is None:
            hint = " (does the function end with `return` and the action?)"
        else:
            hint = ""
        raise TypeError(f"{who} must return an action: an integer 0-{n_actions - 1}{hint}; got {returned!r}.")

    def plain(r, tau):
        return r

    return _run(env, params, n_episodes, max_steps, shortcut_episode, plain, greedy_action)


__all__ = ["PARAMS", "learn_dyna_q_action_bonus", "learn_dyna_q_plus"]
