"""Dyna-Q+ (Sutton & Barto, 2nd ed., section 8.3) on the shortcut experiment, without demonstration.

Dyna-Q+ plans like Dyna-Q, except that a simulated step of a pair that has
not been tried in the real world for ``tau`` steps earns a bonus: planning
learns from ``bonus_reward(reward, tau, kappa)`` (the section's exercise:
``r + kappa * sqrt(tau)``) instead of the model's reward. Real steps learn
from the real reward. ``tau`` counts real steps (over all episodes) since the
pair was last tried; a pair tried in this very step has ``tau == 0``. Planning
draws only pairs tried at least once (the book's footnote variant, which also
plans untried actions as "stay put, reward 0", is not used).

The experiment is the tutorial's shortcut experiment, except that nobody shows
the agent the new path: the tutorial's ``learn_environment`` runs (64, up)
once for the agent when the door opens; here the agent must find it alone.

``learn_dyna_q_plus(env, params, n_episodes, max_steps, bonus_reward,
shortcut_episode=None)`` runs it with the caller's ``bonus_reward`` (the
notebook passes the student's), one Python call per planning update: slow;
``further_engine.simulate_dyna_plus`` is the same algorithm, compiled, for
many seeds. With ``kappa == 0`` both are plain Dyna-Q.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .agent import _param, epsilon_greedy, new_model, q_learning

PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "k": 10, "kappa": 1e-2}


def learn_dyna_q_plus(env, params, n_episodes, max_steps, bonus_reward, shortcut_episode=None):
    """Dyna-Q+ on ``env``; the shortcut toggles (unannounced) at ``shortcut_episode``.

    ``params``: 'epsilon', 'alpha', 'gamma', 'k' (planning updates per step) and
    'kappa' (bonus scale). Planning draws pairs uniformly among those tried so
    far (``np.random``, so ``np.random.seed`` repeats a run) and learns from
    ``bonus_reward(model reward, tau, kappa)``.
    Returns ``(value, reward_sums, episode_steps, shortcut_used)``; ``shortcut_used[e]``
    is True when episode ``e`` stepped from ``env.shortcut_from`` with
    ``env.shortcut_action`` while the shortcut was open.
    """
    for name in ("epsilon", "alpha", "gamma", "k", "kappa"):
        _param(params, name)
    if not callable(bonus_reward):
        raise TypeError("bonus_reward must be a function bonus_reward(reward, tau, kappa).")
    who = getattr(bonus_reward, "__name__", "bonus_reward")
    k, kappa = int(params["k"]), params["kappa"]
    value = np.ones((env.n_states, env.n_actions))
    model = new_model(env.n_states, env.n_actions)
    last_tried = np.zeros((env.n_states, env.n_actions), dtype=np.int64)
    observed = []                        # pairs tried so far, in the order first tried
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    shortcut_used = np.zeros(n_episodes, dtype=bool)
    now = 0
    door = (env.shortcut_from, env.shortcut_action)
    for episode in range(n_episodes):
        if shortcut_episode is not None and episode == shortcut_episode:
            env.toggle_shortcut()
        state = env.init_state
        reward_sum = 0.0
        for t in range(max_steps):
            action = epsilon_greedy(value[state], params["epsilon"])
            next_state, reward = env.get_outcome(state, action)
            reward_sum += reward
            if (state, action) == door and env.shortcut_open:
                shortcut_used[episode] = True
            value = q_learning(state, action, reward, next_state, value, params)
            now += 1
            if np.isnan(model[state, action, 0]):
                observed.append((state, action))
            model[state, action] = reward, (np.nan if next_state is None else next_state)
            last_tried[state, action] = now
            for _ in range(k):
                s, a = observed[np.random.randint(len(observed))]
                r, s_next = model[s, a]
                planned = bonus_reward(r, float(now - last_tried[s, a]), kappa)
                if isinstance(planned, np.ndarray) and planned.size == 1:
                    planned = planned.reshape(())[()]
                if isinstance(planned, (bool, np.bool_)) or not isinstance(planned, numbers.Real):
                    raise TypeError(f"{who} must return a number (the planning reward), got {planned!r}.")
                planned = float(planned)
                if not math.isfinite(planned):
                    raise ValueError(f"{who}({r}, {now - last_tried[s, a]}, {kappa}) returned {planned}.")
                value = q_learning(s, a, planned, None if np.isnan(s_next) else int(s_next), value, params)
            if next_state is None:
                break
            state = next_state
        reward_sums[episode] = reward_sum
        episode_steps[episode] = t + 1
    return value, reward_sums, episode_steps, shortcut_used


__all__ = ["PARAMS", "learn_dyna_q_plus"]
