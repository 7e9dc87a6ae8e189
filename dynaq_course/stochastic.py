"""A slippery Quentin's World, a model that counts, and the exact answers to check both against.

**The slip** (our choice, stated once here): with probability ``slip`` the
world ignores the chosen action and carries out a uniformly random one of the
four actions instead (which may be the chosen one), so the chosen move happens
with probability ``1 - slip + slip/4`` and each other move with ``slip/4``.
Rewards are those of the move carried out (entering a red cell costs 1,
reaching the goal pays 1). ``slip == 0`` is the tutorial's world.

**Two models for Dyna-Q's planning:**

* the tutorial's *cached* model keeps the last (reward, next state) seen for a
  pair, and planning replays it as if it were certain. In a slippery world
  the last sample is often the slip, so planning keeps pushing values towards
  whatever happened last: the values never settle, and they are wrong;
* ``CountingModel`` counts, for each pair, how often each next state followed
  and sums the rewards; planning makes an *expected update*, averaging the
  target over the observed next states with their frequencies.

``optimal_q(slip)`` computes the true optimal values (value iteration on the
exact transition probabilities, ``transition_model``), and ``policy_value``
the exact value of a greedy policy, so both models can be scored without noise.
``learn_slippery`` is the plain loop (one Python call per update);
``further_engine.simulate_slippery`` the same agents, compiled, for many seeds.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import world as _world
from .agent import _param, epsilon_greedy, q_learning

PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "k": 10}
MODELS = ("cached", "counting")


def check_slip(slip) -> float:
    if isinstance(slip, (bool, np.bool_)) or not isinstance(slip, numbers.Real) or not 0 <= float(slip) <= 1:
        raise ValueError(f"slip is a probability and must lie in [0, 1], got {slip!r}.")
    return float(slip)


class SlipperyWorld(_world.QuentinsWorld):
    """Quentin's World where, with probability ``slip``, a uniformly random action replaces the chosen one.

    ``get_outcome(state, action)`` draws with NumPy's global generator (one
    uniform draw for the slip, one more for the replacement when it slips).
    """

    name = "SlipperyQuentinsWorld"

    def __init__(self, slip: float = 0.2, shortcut_open: bool = False):
        super().__init__(shortcut_open)
        self.slip = check_slip(slip)

    def __repr__(self) -> str:
        return f"SlipperyWorld(slip={self.slip}, shortcut_open={self.shortcut_open})"

    def get_outcome(self, state, action):
        action = _world.check_action(action)
        if np.random.random() < self.slip:
            action = int(np.random.randint(self.n_actions))
        return super().get_outcome(state, action)

    def get_all_outcomes(self) -> dict:
        """{(state, action): [(probability, next_state, reward)]}, outcomes merged by next state."""
        out = {}
        for s in range(self.n_states):
            for a in range(self.n_actions):
                merged = {}
                for b in range(self.n_actions):
                    prob = (1 - self.slip) * (a == b) + self.slip / self.n_actions
                    nxt, reward = super().get_outcome(s, b)
                    old = merged.get(nxt, (0.0, 0.0))
                    merged[nxt] = (old[0] + prob, old[1] + prob * reward)
                out[s, a] = [(prob, nxt, total / prob) for nxt, (prob, total) in merged.items() if prob > 0]
        return out


def transition_model(slip: float, shortcut_open: bool = False):
    """Exact dynamics of the slippery world.

    Returns ``(P, R)``: ``P[s, a, s']`` for ``s'`` in 0..n_states, the last column
    meaning "the episode ended", and ``R[s, a]`` the expected reward.
    """
    slip = check_slip(slip)
    nxt = _world.NEXT_STATE_TABLE[int(bool(shortcut_open))]
    rew = _world.REWARD_TABLE[int(bool(shortcut_open))]
    n_s, n_a = nxt.shape
    mix = (1 - slip) * np.eye(n_a) + slip / n_a          # mix[a, b]: P(move b | chose a)
    P = np.zeros((n_s, n_a, n_s + 1))
    for b in range(n_a):
        target = np.where(nxt[:, b] < 0, n_s, nxt[:, b])
        for a in range(n_a):
            np.add.at(P[:, a], (np.arange(n_s), target), mix[a, b])
    R = rew @ mix.T
    return P, R


def optimal_q(slip: float, gamma: float = 0.8, shortcut_open: bool = False, tol: float = 1e-12) -> np.ndarray:
    """(n_states, n_actions) true optimal action values of the slippery world (value iteration)."""
    P, R = transition_model(slip, shortcut_open)
    q = np.zeros(R.shape)
    for _ in range(100_000):
        v = np.append(q.max(axis=1), 0.0)
        new = R + gamma * P @ v
        if np.max(np.abs(new - q)) < tol:
            return new
        q = new
    raise RuntimeError("value iteration did not converge")  # gamma < 1: cannot happen


def policy_value(value, slip: float, gamma: float = 0.8, shortcut_open: bool = False) -> np.ndarray:
    """(n_states,) exact value of the greedy policy of ``value`` (first best action) in the slippery world."""
    value = np.asarray(value, dtype=float)
    P, R = transition_model(slip, shortcut_open)
    n_s = R.shape[0]
    policy = value.argmax(axis=1)
    P_pi = P[np.arange(n_s), policy, :n_s]
    R_pi = R[np.arange(n_s), policy]
    return np.linalg.solve(np.eye(n_s) - gamma * P_pi, R_pi)


class CountingModel:
    """For every pair: how often each next state followed, and the rewards' sum.

    ``update(state, action, reward, next_state)`` records one real step (next
    state None at the end of an episode); ``tried()`` lists the pairs seen;
    ``outcomes(state, action)`` gives ``[(probability, next_state, mean reward)]``;
    ``expected_target(state, action, value, gamma)`` the expected update's target
    ``sum_s' p(s') (mean r(s') + gamma max_a value[s', a])`` (0 after the end).
    """

    def __init__(self):
        self._counts = {}        # (s, a) -> {next_state: [count, reward sum]}

    def update(self, state, action, reward, next_state):
        pair = (_world.check_state(state), _world.check_action(action))
        key = None if next_state is None else _world.check_state(next_state)
        entry = self._counts.setdefault(pair, {}).setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += float(reward)
        return self

    def tried(self) -> list:
        return list(self._counts)

    def count(self, state, action) -> int:
        return sum(c for c, _ in self._counts.get((state, action), {}).values())

    def outcomes(self, state, action) -> list:
        seen = self._counts.get((state, action))
        if not seen:
            raise ValueError(f"The pair ({state}, {action}) has not been tried: the model knows nothing of it.")
        total = sum(c for c, _ in seen.values())
        return [(c / total, nxt, r_sum / c) for nxt, (c, r_sum) in seen.items()]

    def expected_target(self, state, action, value, gamma) -> float:
        return sum(p * (r + (0.0 if nxt is None else gamma * float(np.max(value[nxt]))))
                   for p, nxt, r in self.outcomes(state, action))


def learn_slippery(env, params, n_episodes, max_steps, model="counting"):
    """Dyna-Q on ``env`` (e.g. a ``SlipperyWorld``) with the ``"cached"`` or the ``"counting"`` model.

    Each step: epsilon-greedy action, Q-learning from the real step, model
    update, then ``params['k']`` planning updates of pairs drawn uniformly among
    those tried: a sample update from the cached (reward, next state), or an
    expected update from the counts. Returns ``(value, reward_sums, episode_steps)``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}.")
    for name in ("epsilon", "alpha", "gamma", "k"):
        _param(params, name)
    k, alpha, gamma = int(params["k"]), params["alpha"], params["gamma"]
    value = np.ones((env.n_states, env.n_actions))
    cached = {}
    counts = CountingModel()
    observed = []
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    for episode in range(n_episodes):
        state = env.init_state
        reward_sum = 0.0
        for t in range(max_steps):
            action = epsilon_greedy(value[state], params["epsilon"])
            next_state, reward = env.get_outcome(state, action)
            reward_sum += reward
            value = q_learning(state, action, reward, next_state, value, params)
            if (state, action) not in cached:
                observed.append((state, action))
            cached[state, action] = (reward, next_state)
            counts.update(state, action, reward, next_state)
            for _ in range(k):
                s, a = observed[np.random.randint(len(observed))]
                if model == "cached":
                    r, s_next = cached[s, a]
                    value = q_learning(s, a, r, s_next, value, params)
                else:
                    target = counts.expected_target(s, a, value, gamma)
                    value[s, a] += alpha * (target - value[s, a])
            if next_state is None:
                break
            state = next_state
        reward_sums[episode] = reward_sum
        episode_steps[episode] = t + 1
    return value, reward_sums, episode_steps


__all__ = ["PARAMS", "MODELS", "SlipperyWorld", "CountingModel", "transition_model", "optimal_q",
           "policy_value", "learn_slippery", "check_slip"]
