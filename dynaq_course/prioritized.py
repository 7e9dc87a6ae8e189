"""Prioritized sweeping (Sutton & Barto, 2nd ed., section 8.4) on Quentin's World.

* ``PriorityQueue``: pairs ``(state, action)`` with priorities; ``push`` keeps
  the highest priority per pair, ``pop`` returns the pair of highest priority.
* ``prioritized_sweeping(env, params, n_episodes, max_steps, push_predecessors)``:
  the agent loop. It runs the caller's ``push_predecessors(model, value, queue,
  state, params)`` (the section's exercise: this package has no copy of it)
  after every value update, so the notebook can run the student's own.

The loop follows the book's box, with the course's conventions (values start
at 1; the model is ``agent.new_model``'s array: ``model[s, a] = (reward,
next_state)``, next state NaN when the step ended the episode):

    each real step: choose A epsilon-greedily in S, observe R, S';
        model[S, A] = R, S'
        P = |R + gamma max_a Q(S', a) - Q(S, A)|; if P > theta: push (S, A) with P
        repeat n times while the queue is not empty:
            (s, a) = pop; Q(s, a) += alpha (model reward + gamma max Q(model next) - Q(s, a))
            push_predecessors(model, Q, queue, s, params)

Values change only in the planning updates (no separate real-step update, as
in the book). The fast engine (``further_engine.simulate_prioritized``) runs
the same algorithm, compiled.
"""
from __future__ import annotations

import heapq
import math
import numbers

import numpy as np

from .agent import _param, epsilon_greedy, new_model

PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "theta": 1e-4, "n": 5}


def _pair(pair) -> tuple[int, int]:
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise ValueError(f"A queue entry must be a pair (state, action) as a tuple of two integers, "
                         f"got {pair!r}. Push e.g. queue.push((s_bar, a_bar), priority).")
    for part in pair:
        integral = isinstance(part, numbers.Integral) or (
            isinstance(part, numbers.Real) and math.isfinite(part) and float(part).is_integer())
        if isinstance(part, (bool, np.bool_)) or not integral or part < 0:
            raise ValueError(f"A queue entry must be a pair (state, action) of integers >= 0, got {pair!r}.")
    return int(pair[0]), int(pair[1])


def _priority(priority) -> float:
    if isinstance(priority, np.ndarray) and priority.size == 1 and priority.dtype.kind in "iuf":
        priority = priority.reshape(())[()]          # e.g. a 0-d array from np.abs
    if isinstance(priority, (bool, np.bool_)) or not isinstance(priority, numbers.Real):
        raise ValueError(f"A priority must be a number, got {priority!r}.")
    value = float(priority)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"A priority must be a finite number >= 0 (the size of an error), got {priority!r}.")
    return value


class PriorityQueue:
    """State-action pairs with priorities; the highest priority comes out first.

    * ``push(pair, priority)``: add the pair, or raise its priority; pushing a
      pair again with a lower (or equal) priority leaves it as it is.
    * ``pop()``: remove and return ``(pair, priority)`` of the highest priority;
      among equal priorities, the smallest pair (by state, then action). So what
      comes out depends only on what is in the queue, never on the order of
      the pushes.
    * ``len(queue)``, ``pair in queue``, ``priority_of(pair)`` (None if absent),
      ``items()`` (a dict copy {pair: priority}), ``clear()``.

    Pairs are tuples ``(state, action)`` of two integers >= 0 (stored as Python
    ints); priorities are finite numbers >= 0.
    """

    def __init__(self):
        self._priority = {}                 # pair -> priority
        self._heap = []                     # (-priority, pair); entries that no longer match are skipped

    def push(self, pair, priority) -> None:
        pair, priority = _pair(pair), _priority(priority)
        old = self._priority.get(pair)
        if old is not None and priority <= old:
            return
        self._priority[pair] = priority
        heapq.heappush(self._heap, (-priority, pair))

    def pop(self) -> tuple[tuple[int, int], float]:
        while self._heap:
            neg, pair = heapq.heappop(self._heap)
            if self._priority.get(pair) == -neg:
                return pair, self._priority.pop(pair)
        raise IndexError("pop from an empty PriorityQueue (check len(queue) first).")

    def priority_of(self, pair):
        return self._priority.get(_pair(pair))

    def items(self) -> dict:
        return dict(self._priority)

    def clear(self) -> None:
        self._priority.clear()
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._priority)

    def __contains__(self, pair) -> bool:
        return _pair(pair) in self._priority

    def __repr__(self) -> str:
        top = sorted(self._priority.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        shown = ", ".join(f"{p}: {v:.3g}" for p, v in top)
        more = f", ... ({len(self)} pairs)" if len(self) > 3 else ""
        return f"PriorityQueue({{{shown}{more}}})"


def _best(value, next_state) -> float:
    if next_state is None or (isinstance(next_state, float) and math.isnan(next_state)):
        return 0.0
    return float(np.max(value[int(next_state)]))


def prioritized_sweeping(env, params, n_episodes, max_steps, push_predecessors):
    """Run prioritized sweeping on ``env`` with the given ``push_predecessors``.

    ``params``: 'epsilon', 'alpha', 'gamma', 'theta' (queue threshold) and 'n'
    (at most n planning updates per real step); see ``PARAMS``.
    Random draws use NumPy's global generator (``np.random.seed`` repeats a run).
    Returns ``(value, reward_sums, episode_steps, updates)``; ``updates[e]`` is
    the number of value updates made up to the end of episode ``e``.
    """
    for name in ("epsilon", "alpha", "gamma", "theta", "n"):
        _param(params, name)
    if not callable(push_predecessors):
        raise TypeError("push_predecessors must be a function push_predecessors(model, value, queue, state, params).")
    n_plan = int(params["n"])
    alpha, gamma, theta = params["alpha"], params["gamma"], params["theta"]
    who = getattr(push_predecessors, "__name__", "push_predecessors")
    value = np.ones((env.n_states, env.n_actions))
    model = new_model(env.n_states, env.n_actions)
    queue = PriorityQueue()
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    updates = np.zeros(n_episodes, dtype=np.int64)
    done = 0
    for episode in range(n_episodes):
        state = env.init_state
        reward_sum = 0.0
        for t in range(max_steps):
            action = epsilon_greedy(value[state], params["epsilon"])
            next_state, reward = env.get_outcome(state, action)
            reward_sum += reward
            model[state, action] = reward, (np.nan if next_state is None else next_state)
            priority = abs(reward + gamma * _best(value, next_state) - value[state, action])
            if priority > theta:
                queue.push((state, action), priority)
            for _ in range(n_plan):
                if not len(queue):
                    break
                (s, a), _ = queue.pop()
                r, s_next = model[s, a]
                value[s, a] += alpha * (r + gamma * _best(value, s_next) - value[s, a])
                done += 1
                returned = push_predecessors(model, value, queue, s, params)
                if returned is None:
                    raise TypeError(f"{who} returned None. It must return the queue (add `return queue`).")
                if not isinstance(returned, PriorityQueue):
                    raise TypeError(f"{who} must return the queue it was given, got {type(returned).__name__}.")
                queue = returned
            if next_state is None:
                break
            state = next_state
        reward_sums[episode] = reward_sum
        episode_steps[episode] = t + 1
        updates[episode] = done
    return value, reward_sums, episode_steps, updates


__all__ = ["PARAMS", "PriorityQueue", "prioritized_sweeping"]
