"""The priority queue of prioritized sweeping (Section 6.4), shared by the agent and the checks of its exercise.

It sits at the bottom layer because both ``going_further.prioritized`` (the agent loop)
and ``checks`` (the probes of ``push_predecessors``, which receive a queue) use it;
notebooks import it as ``dynaq_course.going_further.prioritized.PriorityQueue``.
"""

from __future__ import annotations

import heapq
import math
import numbers

import numpy as np


def _pair(pair) -> tuple[int, int]:
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise ValueError(
            f"A queue entry must be a pair (state, action) as a tuple of two integers, "
            f"got {pair!r}. Push e.g. queue.push((s_bar, a_bar), priority)."
        )
    for part in pair:
        integral = isinstance(part, numbers.Integral) or (
            isinstance(part, numbers.Real) and math.isfinite(part) and float(part).is_integer()
        )
        if isinstance(part, (bool, np.bool_)) or not integral or part < 0:
            raise ValueError(f"A queue entry must be a pair (state, action) of integers >= 0, got {pair!r}.")
    return int(pair[0]), int(pair[1])


def _priority(priority) -> float:
    if isinstance(priority, np.ndarray) and priority.size == 1 and priority.dtype.kind in "iuf":
        priority = priority.reshape(())[()]  # e.g. a 0-d array from np.abs
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
        self._priority = {}  # pair -> priority
        self._heap = []  # (-priority, pair); entries that no longer match are skipped

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
