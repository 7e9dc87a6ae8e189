"""Checks for the two exercises: quick self-checks students run, and the
property checks the hidden tests build on.

Nothing here is a solution. The hidden tests in the instructor's notebooks
hold the reference solutions and pass them in as ``reference``.

Every check calls the student's function on fresh copies of its inputs, and
fails with an ``AssertionError`` whose message explains the mistake in terms of
the lesson, without printing the expected answer.
"""
from __future__ import annotations

import math

import numpy as np

from .agent import q_learning
from .world import QuentinsWorld

N_STATES, N_ACTIONS = 100, 4
TUTORIAL_PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}


class ExerciseCheckFailed(AssertionError):
    """A check of a student's function failed; the message says why."""


def _fail(message: str):
    raise ExerciseCheckFailed(message)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes and entries, NaN equal to NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def empty_model() -> np.ndarray:
    return np.full((N_STATES, N_ACTIONS, 2), np.nan)


def _call_model_update(fn, model, state, action, reward, next_state):
    try:
        result = fn(model.copy(), state, action, reward, next_state)
    except NotImplementedError:
        _fail("dyna_q_model_update still raises NotImplementedError: replace the `raise` line with your code.")
    if result is None:
        _fail("dyna_q_model_update returned None: it must return the updated model (`return model`).")
    result = np.asarray(result, dtype=float)
    if result.shape != model.shape:
        _fail(f"dyna_q_model_update returned an array of shape {result.shape}; the model has shape "
              f"{model.shape} (states x actions x [reward, next state]).")
    return result


def _call_planning(fn, model, value, params):
    try:
        result = fn(model.copy(), value.copy(), dict(params))
    except NotImplementedError:
        _fail("dyna_q_planning still raises NotImplementedError: replace the `raise` line with your code.")
    if result is None:
        _fail("dyna_q_planning returned None: it must return the updated value table (`return value`).")
    result = np.asarray(result, dtype=float)
    if result.shape != value.shape:
        _fail(f"dyna_q_planning returned an array of shape {result.shape}; the value table has shape {value.shape}.")
    return result


# ---------------------------------------------------------------- model update

def self_check_model_update(fn) -> None:
    """The visible check: a few transitions of Quentin's World."""
    env = QuentinsWorld()
    model = empty_model()
    for state, action in [(54, 1), (98, 0), (99, 2), (12, 3), (54, 1)]:
        next_state, reward = env.get_outcome(state, action)
        updated = _call_model_update(fn, model, state, action, reward, next_state)
        stored_reward, stored_next = updated[state, action]
        if stored_reward != reward:
            _fail(f"After seeing state {state}, action {action} (reward {reward}, next state {next_state}), "
                  "model[state, action, 0] should hold the reward that was observed.")
        if next_state is None:
            if not math.isnan(stored_next):
                _fail("When the episode ends, next_state is None: the model must store it as NaN "
                      "(assigning None into a float array does exactly that).")
        elif stored_next != next_state:
            _fail(f"After seeing state {state}, action {action}, model[state, action, 1] should hold the "
                  "next state that was observed.")
        others = np.ones(model.shape[:2], dtype=bool)
        others[state, action] = False
        if not _same(updated[others], model[others]):
            _fail("The model update changed entries for other state-action pairs: only "
                  "model[state, action] should change.")
        model = updated
    print("dyna_q_model_update passed the self-check.")


def hidden_model_update(fn, reference, n_cases: int = 200, seed: int = 2024) -> None:
    """Compare with the reference on many models, transitions and end-of-episode cases."""
    rng = np.random.default_rng(seed)
    for case in range(n_cases):
        model = empty_model()
        filled = rng.random((N_STATES, N_ACTIONS)) < rng.random()
        model[filled, 0] = rng.choice([-1.0, 0.0, 1.0], size=filled.sum())
        model[filled, 1] = rng.integers(0, N_STATES, size=filled.sum())
        state, action = int(rng.integers(N_STATES)), int(rng.integers(N_ACTIONS))
        reward = float(rng.choice([-1.0, 0.0, 1.0, rng.normal()]))
        next_state = None if case % 5 == 0 else int(rng.integers(N_STATES))
        expected = reference(model.copy(), state, action, reward, next_state)
        got = _call_model_update(fn, model, state, action, reward, next_state)
        if not _same(got, expected):
            if not _same(np.delete(got.reshape(-1, 2), state * N_ACTIONS + action, axis=0),
                         np.delete(model.reshape(-1, 2), state * N_ACTIONS + action, axis=0)):
                _fail("The model update changed entries other than model[state, action].")
            _fail("model[state, action] does not hold (reward, next state) of the observed transition "
                  "(check the order, and NaN for a next state of None).")


# -------------------------------------------------------------------- planning

def self_check_planning(fn) -> None:
    """The visible check: one remembered transition, a few values of k."""
    params = dict(TUTORIAL_PARAMS)
    model = empty_model()
    model[98, 0] = 1.0, 99  # stepping right from 98 reaches the goal
    value = np.ones((N_STATES, N_ACTIONS))
    for k in (0, 1, 3):
        params["k"] = k
        got = _call_planning(fn, model, value, params)
        expected = value.copy()
        for _ in range(k):
            expected = q_learning(98, 0, 1.0, 99, expected, params)
        changed = np.argwhere(got != value)
        if k == 0 and len(changed):
            _fail("With params['k'] = 0 there is no planning: the value table must come back unchanged.")
        if any((s, a) != (98, 0) for s, a in changed):
            _fail("Planning changed the value of a state-action pair that was never observed: sample only "
                  "pairs whose model entry is not NaN.")
        if not np.allclose(got, expected):
            _fail(f"With one remembered transition and k = {k}, planning should make exactly k Q-learning "
                  "updates of that pair.")
    print("dyna_q_planning passed the self-check.")


def _single_pair_cases(rng, n_cases):
    """Models with one remembered transition: the outcome does not depend on the RNG."""
    env = QuentinsWorld()
    for case in range(n_cases):
        state, action = int(rng.integers(N_STATES)), int(rng.integers(N_ACTIONS))
        if case % 4 == 0:
            state = 99  # the goal: the episode ends, next state NaN
        next_state, reward = env.get_outcome(state, action)
        params = {"epsilon": 0.05, "alpha": float(rng.uniform(0.05, 1.0)),
                  "gamma": float(rng.uniform(0.0, 0.99)), "k": int(rng.integers(0, 30))}
        model = empty_model()
        model[state, action] = reward, next_state
        value = rng.normal(size=(N_STATES, N_ACTIONS))
        yield model, value, params


def hidden_planning(fn, reference, n_cases: int = 60, seed: int = 7) -> None:
    """Deterministic single-pair cases against the reference, then invariants on richer models."""
    rng = np.random.default_rng(seed)
    for model, value, params in _single_pair_cases(rng, n_cases):
        expected = reference(model.copy(), value.copy(), dict(params))
        got = _call_planning(fn, model, value, params)
        if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            _fail(f"With one remembered transition, k = {params['k']}, alpha = {params['alpha']:.2f} and "
                  f"gamma = {params['gamma']:.2f}, the values after planning are wrong. Planning should "
                  "make params['k'] Q-learning updates using params['alpha'] and params['gamma'] "
                  "(and treat a NaN next state as the end of the episode).")
    check_planning_invariants(fn, rng)


def check_planning_invariants(fn, rng) -> None:
    """Several remembered pairs: only they change, the model is left alone, every pair gets picked."""
    env = QuentinsWorld()
    for trial in range(5):
        n_pairs = int(rng.integers(2, 8))
        flat = rng.choice(N_STATES * N_ACTIONS, size=n_pairs, replace=False)
        model = empty_model()
        for s, a in zip(*np.unravel_index(flat, (N_STATES, N_ACTIONS))):
            next_state, reward = env.get_outcome(int(s), int(a))
            model[s, a] = reward, next_state
        observed = ~np.isnan(model[:, :, 0])
        params = dict(TUTORIAL_PARAMS, k=300)
        value = rng.normal(size=(N_STATES, N_ACTIONS))
        model_before = model.copy()
        got = _call_planning(fn, model, value, params)
        if not _same(model, model_before):
            _fail("Planning must not change the model: it only reads it.")
        changed = got != value
        if np.any(changed & ~observed):
            _fail("Planning changed the value of a state-action pair that was never observed: sample only "
                  "pairs whose model entry is not NaN.")
        if not np.all(changed[observed]):
            _fail("With many planning steps, every remembered state-action pair should get updated at least "
                  "once: sample at random among all remembered pairs, anew at each step.")
