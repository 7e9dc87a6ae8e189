"""The fast engine's compiled kernel (numba). Import only through ``engine``.

One call runs a batch of independent Dyna-Q experiments on Quentin's World,
one after the other, each with its own random stream (xoshiro256**, seeded
per experiment). The rules are those of ``agent.learn_environment``:

* values start at 1, the model is empty;
* each step: epsilon-greedy (a uniform draw ``u``; ``u > epsilon`` takes the
  first best action, otherwise a uniformly random one), one Q-learning update
  from the real transition (nothing bootstrapped after the goal), the model
  remembers ``(reward, next_state)`` of the pair, then ``k`` planning updates,
  each from a pair drawn uniformly among the pairs observed so far;
* an episode ends with the step taken from the goal, or after ``max_steps``;
* at ``shortcut_episode`` the world switches to the other table and the agent
  is shown (shortcut_state, shortcut_action) once: model and one Q update.

Compiled with ``cache=True``: the machine code is saved next to this file (or
in numba's user cache) and loaded by later kernels in well under a second.
"""

import numpy as np
from numba import njit, uint64

_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_MASK32 = uint64(0xFFFFFFFF)


@njit(inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(inline="always")
def _next(s0, s1, s2, s3):
    """xoshiro256**: one 64-bit output and the new state."""
    result = _rotl(s1 * uint64(5), 7) * uint64(9)
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@njit(inline="always")
def _below(n, s0, s1, s2, s3):
    """A uniform integer in [0, n) (Lemire's method with rejection: exactly uniform)."""
    x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
    m = (x >> uint64(32)) * n
    low = m & _MASK32
    if low < n:
        threshold = ((_MASK32 + uint64(1)) - n) % n
        while low < threshold:
            x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            m = (x >> uint64(32)) * n
            low = m & _MASK32
    return m >> uint64(32), s0, s1, s2, s3


@njit(inline="always")
def _max_row(value, state):
    best = value[state, 0]
    for b in range(1, value.shape[1]):
        if value[state, b] > best:
            best = value[state, b]
    return best


@njit(inline="always")
def _learn(value, state, action, reward, nxt, alpha, gamma):
    """One Q-learning update of (state, action) from (reward, nxt); nothing is bootstrapped after the goal."""
    best = _max_row(value, nxt) if nxt >= 0 else 0.0
    q = value[state, action]
    value[state, action] = q + alpha * (reward + gamma * best - q)


@njit(inline="always")
def _remember(pair, reward, nxt, model_reward, model_next, seen, observed, n_observed):
    """The model keeps the last (reward, next state) of ``pair``; a new pair joins ``observed``.
    Returns the new number of observed pairs."""
    model_reward[pair] = reward
    model_next[pair] = nxt
    if not seen[pair]:
        seen[pair] = True
        observed[n_observed] = pair
        n_observed += 1
    return n_observed


@njit(cache=True)
def run_batch(
    next_states,
    rewards,
    start_state,
    shortcut_state,
    shortcut_action,
    ks,
    epsilons,
    seeds,
    alpha,
    gamma,
    max_steps,
    n_episodes,
    shortcut_episode,
    steps_out,
    reward_sums_out,
    values_out,
):
    """Run ``len(ks)`` experiments; results go to the ``*_out`` arrays.

    next_states, rewards: (2, n_states, n_actions) tables, [0] before the
    shortcut episode, [1] from it on; a next state < 0 ends the episode.
    seeds: (n, 4) uint64 xoshiro states (not all zero). shortcut_episode < 0: never.
    """
    n_states = next_states.shape[1]
    n_actions = next_states.shape[2]
    n_pairs = n_states * n_actions
    model_reward = np.zeros(n_pairs)
    model_next = np.zeros(n_pairs, np.int64)
    seen = np.zeros(n_pairs, np.bool_)
    observed = np.zeros(n_pairs, np.int64)
    for job in range(ks.shape[0]):
        k = ks[job]
        epsilon = epsilons[job]
        s0 = seeds[job, 0]
        s1 = seeds[job, 1]
        s2 = seeds[job, 2]
        s3 = seeds[job, 3]
        value = values_out[job]
        value[:, :] = 1.0
        seen[:] = False
        n_observed = 0
        table = 0
        for episode in range(n_episodes):
            if episode == shortcut_episode:
                table = 1 - table
                pair = shortcut_state * n_actions + shortcut_action
                nxt = next_states[table, shortcut_state, shortcut_action]
                reward = rewards[table, shortcut_state, shortcut_action]
                n_observed = _remember(pair, reward, nxt, model_reward, model_next, seen, observed, n_observed)
                _learn(value, shortcut_state, shortcut_action, reward, nxt, alpha, gamma)
            state = start_state
            reward_sum = 0.0
            t = 0
            for t in range(max_steps):
                x, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                if (x >> uint64(11)) * _TO_UNIT > epsilon:
                    action = 0
                    best = value[state, 0]
                    for b in range(1, n_actions):
                        if value[state, b] > best:
                            best = value[state, b]
                            action = b
                else:
                    draw, s0, s1, s2, s3 = _below(uint64(n_actions), s0, s1, s2, s3)
                    action = np.int64(draw)
                nxt = next_states[table, state, action]
                reward = rewards[table, state, action]
                reward_sum += reward
                _learn(value, state, action, reward, nxt, alpha, gamma)
                pair = state * n_actions + action
                n_observed = _remember(pair, reward, nxt, model_reward, model_next, seen, observed, n_observed)
                n_obs = uint64(n_observed)
                for _ in range(k):
                    draw, s0, s1, s2, s3 = _below(n_obs, s0, s1, s2, s3)
                    p = observed[np.int64(draw)]
                    ps = p // n_actions
                    pa = p - ps * n_actions
                    _learn(value, ps, pa, model_reward[p], model_next[p], alpha, gamma)
                if nxt < 0:
                    break
                state = nxt
            steps_out[job, episode] = t + 1
            reward_sums_out[job, episode] = reward_sum
