"""PriorityQueue and the plain prioritized-sweeping loop (dynaq_course.prioritized)."""
import math

import numpy as np
import pytest

from dynaq_course import QuentinsWorld
from dynaq_course.greedy_paths import is_near_optimal
from dynaq_course.prioritized import PARAMS, PriorityQueue, prioritized_sweeping
from further_reference import push_predecessors


# ------------------------------------------------------------------ PriorityQueue

def test_push_keeps_the_highest_priority_per_pair():
    q = PriorityQueue()
    q.push((3, 1), 0.5)
    q.push((3, 1), 0.2)          # lower: ignored
    assert q.priority_of((3, 1)) == 0.5
    q.push((3, 1), 0.9)          # higher: raised
    assert q.priority_of((3, 1)) == 0.9
    assert len(q) == 1
    assert q.pop() == ((3, 1), 0.9)
    assert len(q) == 0


def test_pop_returns_pairs_by_decreasing_priority_ties_smallest_pair_first():
    q = PriorityQueue()
    entries = [((0, 0), 0.1), ((4, 0), 0.7), ((2, 3), 0.3), ((1, 2), 0.7), ((5, 1), 0.05), ((1, 3), 0.7)]
    for pair, p in entries:
        q.push(pair, p)
    q.push((0, 0), 0.8)          # raised: it now comes first
    q.push((2, 3), 0.3)          # equal: no change
    out = [q.pop() for _ in range(len(q))]
    assert out == [((0, 0), 0.8), ((1, 2), 0.7), ((1, 3), 0.7), ((4, 0), 0.7), ((2, 3), 0.3), ((5, 1), 0.05)]


def test_what_comes_out_does_not_depend_on_the_order_of_the_pushes():
    rng = np.random.default_rng(1)
    pushes = [((int(rng.integers(10)), int(rng.integers(4))), float(rng.integers(0, 5)) / 4) for _ in range(200)]
    queues = []
    for order in (pushes, pushes[::-1], [pushes[i] for i in rng.permutation(len(pushes))]):
        q = PriorityQueue()
        for pair, p in order:
            q.push(pair, p)
        queues.append([q.pop() for _ in range(len(q))])
    assert queues[0] == queues[1] == queues[2]


def test_pop_matches_a_sorted_list_on_random_pushes():
    rng = np.random.default_rng(0)
    q, best = PriorityQueue(), {}
    for _ in range(2000):
        pair = (int(rng.integers(20)), int(rng.integers(4)))
        p = float(rng.integers(0, 50)) / 10    # many ties
        q.push(pair, p)
        best[pair] = max(best.get(pair, -1), p)
        if rng.random() < 0.3 and len(q):
            popped, priority = q.pop()
            assert priority == max(best.values())
            assert best.pop(popped) == priority
    assert q.items() == best


def test_items_is_a_copy_priority_of_contains_and_clear():
    q = PriorityQueue()
    q.push((np.int64(7), 2.0), np.array(0.25))        # numpy ints, integral floats, 0-d arrays are accepted
    items = q.items()
    assert items == {(7, 2): 0.25} and all(type(v) is int for v in next(iter(items)))
    items[(1, 1)] = 9.0
    assert q.items() == {(7, 2): 0.25}
    assert (7, 2) in q and (1, 1) not in q
    assert q.priority_of((1, 1)) is None
    assert "PriorityQueue" in repr(q)
    q.clear()
    assert len(q) == 0 and q.items() == {}


@pytest.mark.parametrize("pair", [[3, 1], (3,), (3, 1, 2), ("a", 1), (1.5, 2), (True, 1), (-1, 0), 3, None])
def test_bad_pairs_are_refused(pair):
    with pytest.raises(ValueError, match="pair"):
        PriorityQueue().push(pair, 1.0)


@pytest.mark.parametrize("priority", [-0.1, math.nan, math.inf, "1", None, True])
def test_bad_priorities_are_refused(priority):
    with pytest.raises(ValueError, match="priority"):
        PriorityQueue().push((1, 1), priority)


def test_pop_from_an_empty_queue_says_so():
    q = PriorityQueue()
    q.push((1, 1), 1.0)
    q.pop()
    with pytest.raises(IndexError, match="empty"):
        q.pop()


# ------------------------------------------------------------------ the loop

def test_loop_learns_a_near_optimal_policy_and_counts_updates():
    np.random.seed(3)
    params = dict(PARAMS, n=10)
    value, rewards, steps, updates = prioritized_sweeping(QuentinsWorld(), params, 30, 1000, push_predecessors)
    assert is_near_optimal(value)
    assert np.all(np.diff(updates) >= 0) and updates[-1] > 0
    # at most n updates per real step
    assert np.all(np.diff(np.concatenate([[0], updates])) <= params["n"] * steps)
    assert steps[-5:].mean() < 30


def test_loop_is_repeatable_with_np_random_seed():
    runs = []
    for _ in range(2):
        np.random.seed(11)
        runs.append(prioritized_sweeping(QuentinsWorld(), PARAMS, 5, 1000, push_predecessors))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_without_predecessors_values_spread_only_along_real_steps():
    """A push_predecessors that pushes nothing: planning only replays the real step's pair.
    Far fewer updates are made than with the real function (the sweep is what spreads values)."""
    def nothing(model, value, queue, state, params):
        return queue
    np.random.seed(5)
    *_, lazy = prioritized_sweeping(QuentinsWorld(), PARAMS, 10, 1000, nothing)
    np.random.seed(5)
    *_, full = prioritized_sweeping(QuentinsWorld(), PARAMS, 10, 1000, push_predecessors)
    assert lazy[-1] < full[-1]


@pytest.mark.parametrize("bad, error, match", [
    (lambda model, value, queue, state, params: None, TypeError, "returned None"),
    (lambda model, value, queue, state, params: [], TypeError, "must return the queue"),
])
def test_a_broken_push_predecessors_gets_a_clear_error(bad, error, match):
    with pytest.raises(error, match=match):
        prioritized_sweeping(QuentinsWorld(), PARAMS, 1, 50, bad)


def test_missing_params_and_non_function_are_refused():
    with pytest.raises(ValueError, match="theta"):
        prioritized_sweeping(QuentinsWorld(), {"epsilon": 0.1, "alpha": 0.5, "gamma": 0.8, "n": 5}, 1, 10,
                             push_predecessors)
    with pytest.raises(TypeError, match="function"):
        prioritized_sweeping(QuentinsWorld(), PARAMS, 1, 10, "push_predecessors")


def test_compare_push_predecessors_recognises_the_engines_run_and_a_wrong_one():
    from dynaq_course.further_experiments import compare_push_predecessors
    ok = compare_push_predecessors(push_predecessors)
    assert ok.match and "Same run" in str(ok)

    def backwards(model, value, queue, state, params):              # same pushes, the other way round
        best = np.max(value[state])
        for s_bar, a_bar in np.argwhere(model[:, :, 1] == state)[::-1]:
            p = abs(model[s_bar, a_bar, 0] + params["gamma"] * best - value[s_bar, a_bar])
            if p > params["theta"]:
                queue.push((int(s_bar), int(a_bar)), p)
        return queue
    assert compare_push_predecessors(backwards).match

    def uses_the_mean(model, value, queue, state, params):          # mean instead of max over next actions
        best = np.mean(value[state])
        for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
            p = abs(model[s_bar, a_bar, 0] + params["gamma"] * best - value[s_bar, a_bar])
            if p > params["theta"]:
                queue.push((int(s_bar), int(a_bar)), p)
        return queue
    wrong = compare_push_predecessors(uses_the_mean)
    assert not wrong.match and "Not the engine's run" in str(wrong)
