"""The fast engine without a compiler: plain Python on flat lists, NumPy for random blocks.

Same rules as ``_engine_numba.run_batch`` (see there and ``agent.learn_environment``);
written for CPython's fast paths rather than for reading:

* the value table is a flat list ``q[4 * state + action]``, and ``best[state]``
  caches the row maximum (``best[TERMINAL_ROW] == 0``: nothing is bootstrapped
  after the goal). A planning update then reads one number instead of four;
  the cache is refreshed when an update lowers a row's maximum;
* the ``k`` planning draws of a step come from a block of uniform floats
  turned into observed pairs by NumPy (``observed[floor(u * n)]``). While the
  number of observed pairs ``n`` stays the same, the blocks cover more and
  more steps at once; when ``n`` changes the unused draws are skipped (they are
  independent of everything before, so skipping them keeps the draws uniform);
* epsilon-greedy uses ``random.Random`` (Mersenne Twister), seeded from the
  experiment's ``SeedSequence``.

Uniform draws of a pair are exact up to the 2**-53 resolution of a double.
"""

from __future__ import annotations

import random

import numpy as np

MAX_ROWS_PER_BLOCK = 256
FLOATS_PER_BLOCK = 1 << 15


def _row_max(q, s4):
    """The largest of q[s4], ..., q[s4 + 3]: a row's maximum, recomputed when an update lowered it."""
    top = q[s4]
    if q[s4 + 1] > top:
        top = q[s4 + 1]
    if q[s4 + 2] > top:
        top = q[s4 + 2]
    if q[s4 + 3] > top:
        top = q[s4 + 3]
    return top


def _remember(p, r, nxt, model_reward, model_next, seen, observed, n_observed):
    """The model keeps the last (reward, next state) of pair ``p``; a new pair joins ``observed``.
    Returns the new number of observed pairs."""
    model_reward[p] = r
    model_next[p] = nxt
    if not seen[p]:
        seen[p] = True
        observed[n_observed] = p
        n_observed += 1
    return n_observed


def run_one(world, rates, k, seed_sequence):
    """One experiment with ``k`` planning updates per step. ``world = (next_flat, reward_flat,
    n_states, n_actions, start_state, shortcut_pair)``: ``next_flat[table][pair]`` is the next
    state, ``n_states`` when the episode ends, ``reward_flat[table][pair]`` the reward;
    ``rates = (epsilon, alpha, gamma, max_steps, n_episodes, shortcut_episode)``.
    Returns (steps, reward_sums, q)."""
    next_flat, reward_flat, n_states, n_actions, start_state, shortcut_pair = world
    epsilon, alpha, gamma, max_steps, n_episodes, shortcut_episode = rates
    if n_actions != 4:
        raise ValueError("the Python engine is written for 4 actions")
    # two independent streams derived from the experiment's seed (without spawn(), which
    # would change seed_sequence and give a different stream the next time it is used)
    block_seed, step_seed = (
        np.random.SeedSequence(
            seed_sequence.entropy, spawn_key=seed_sequence.spawn_key + (i,), pool_size=seed_sequence.pool_size
        )
        for i in range(2)
    )
    generator = np.random.Generator(np.random.PCG64(block_seed))
    rand = random.Random(int(step_seed.generate_state(1, np.uint64)[0])).random

    n_pairs = n_states * n_actions
    end = n_states  # row index meaning "the episode ended"
    q = [1.0] * n_pairs
    best = [1.0] * n_states + [0.0]  # best[s] == max(q[4s:4s+4]); best[end] == 0
    model_reward = [0.0] * n_pairs
    model_next = [end] * n_pairs
    seen = [False] * n_pairs
    observed = np.zeros(n_pairs, np.intp)
    n_observed = 0

    rows = max(1, min(MAX_ROWS_PER_BLOCK * 4, FLOATS_PER_BLOCK // max(k, 1)))
    max_batch = min(MAX_ROWS_PER_BLOCK, rows)
    floats = generator.random((rows, k)) if k else None
    next_row = 0
    ready, ready_at, ready_n, batch = [], 0, -1, 1

    steps = [0] * n_episodes
    reward_sums = [0.0] * n_episodes
    table = 0
    nxt_of, reward_of = next_flat[0], reward_flat[0]

    for episode in range(n_episodes):
        if episode == shortcut_episode:
            table = 1 - table
            nxt_of, reward_of = next_flat[table], reward_flat[table]
            p = shortcut_pair
            nxt, r = nxt_of[p], reward_of[p]
            n_observed = _remember(p, r, nxt, model_reward, model_next, seen, observed, n_observed)
            old = q[p]
            new = old + alpha * (r + gamma * best[nxt] - old)
            q[p] = new
            s = p >> 2
            top = best[s]
            if new >= top:
                best[s] = new
            elif old == top:
                best[s] = _row_max(q, s << 2)

        state = start_state
        reward_sum = 0.0
        t = 0
        for t in range(max_steps):
            s4 = state << 2
            if rand() > epsilon:  # greedy: the first best action
                p = s4
                top = q[s4]
                x = q[s4 + 1]
                if x > top:
                    top = x
                    p = s4 + 1
                x = q[s4 + 2]
                if x > top:
                    top = x
                    p = s4 + 2
                x = q[s4 + 3]
                if x > top:
                    p = s4 + 3
            else:
                p = s4 + int(rand() * 4)
            nxt = nxt_of[p]
            r = reward_of[p]
            reward_sum += r
            old = q[p]
            new = old + alpha * (r + gamma * best[nxt] - old)
            q[p] = new
            top = best[state]
            if new >= top:
                best[state] = new
            elif old == top:
                best[state] = _row_max(q, s4)
            n_observed = _remember(p, r, nxt, model_reward, model_next, seen, observed, n_observed)
            if k:
                if n_observed != ready_n or ready_at == len(ready):
                    batch = min(batch * 2, max_batch) if n_observed == ready_n else 1
                    if next_row + batch > rows:
                        floats = generator.random((rows, k))
                        next_row = 0
                    chunk = floats[next_row : next_row + batch]
                    next_row += batch
                    ready = observed[(chunk * n_observed).astype(np.intp)].tolist()
                    ready_at, ready_n = 0, n_observed
                pairs = ready[ready_at]
                ready_at += 1
                for pp in pairs:
                    ps = pp >> 2
                    old = q[pp]
                    new = old + alpha * (model_reward[pp] + gamma * best[model_next[pp]] - old)
                    q[pp] = new
                    top = best[ps]
                    if new >= top:
                        best[ps] = new
                    elif old == top:
                        best[ps] = _row_max(q, ps << 2)
            if nxt == end:
                break
            state = nxt
        steps[episode] = t + 1
        reward_sums[episode] = reward_sum
    return steps, reward_sums, q
