"""Quentin's World: a 10x10 grid with penalty walls, a goal, and a shortcut.

The world is stored as a transition table built once from a short description
(where the red walls are, where the goal is, where the shortcut is), so that
``get_outcome`` is a table look-up and the whole world can be handed to a fast
engine as two arrays.

States are numbered row by row from the bottom left::

    90 91 ... 99      <- 99 is the goal (top right)
    ...
    10 11 ... 19
     0  1 ...  9

Actions are 0 right, 1 up, 2 left, 3 down.
"""

from __future__ import annotations

import numbers

import numpy as np

DIM_X = 10
DIM_Y = 10
N_STATES = DIM_X * DIM_Y
N_ACTIONS = 4
ACTION_NAMES = ("right", "up", "left", "down")
ACTION_LETTERS = ("R", "U", "L", "D")
# (dx, dy) of each action
ACTION_MOVES = ((1, 0), (0, 1), (-1, 0), (0, -1))

START_STATE = 54
GOAL_STATE = 99
TERMINAL = -1  # marks "the episode ended" in the integer next-state table

# The red walls: entering one of these cells costs -1 (the agent still enters).
# Two columns (x=2 and x=6, rows 1-7) joined by a bottom bar with a gap at 14
# and a top bar (73, 74, 75): a box around the start with its exit at the bottom.
RED_STATES = frozenset([10 * y + 2 for y in range(1, 8)] + [10 * y + 6 for y in range(1, 8)] + [13, 15, 73, 74, 75])
# When the shortcut is open, stepping up from 64 into 74 is free: a door in the
# top bar of the box. Entering 74 any other way still costs -1.
SHORTCUT_FROM = 64
SHORTCUT_ACTION = 1
SHORTCUT_STATE = 74


def _build_tables(shortcut_open: bool) -> tuple[np.ndarray, np.ndarray]:
    """Next state (TERMINAL when the episode ends) and reward for every pair."""
    next_state = np.empty((N_STATES, N_ACTIONS), dtype=np.int64)
    reward = np.zeros((N_STATES, N_ACTIONS), dtype=np.float64)
    for state in range(N_STATES):
        x, y = state % DIM_X, state // DIM_X
        for action, (dx, dy) in enumerate(ACTION_MOVES):
            if state == GOAL_STATE:  # any move from the goal ends the episode
                next_state[state, action] = TERMINAL
                continue
            nx, ny = x + dx, y + dy
            if not (0 <= nx < DIM_X and 0 <= ny < DIM_Y):  # border: stay put
                next_state[state, action] = state
                continue
            target = ny * DIM_X + nx
            next_state[state, action] = target
            if target == GOAL_STATE:
                reward[state, action] = 1.0
            elif target in RED_STATES:
                door = shortcut_open and state == SHORTCUT_FROM and action == SHORTCUT_ACTION
                reward[state, action] = 0.0 if door else -1.0
    next_state.setflags(write=False)
    reward.setflags(write=False)
    return next_state, reward


# Index 0: shortcut closed, 1: shortcut open.
NEXT_STATE_TABLE = np.stack([_build_tables(False)[0], _build_tables(True)[0]])
REWARD_TABLE = np.stack([_build_tables(False)[1], _build_tables(True)[1]])
NEXT_STATE_TABLE.setflags(write=False)
REWARD_TABLE.setflags(write=False)


def _as_index(value, size: int, what: str, hint: str) -> int:
    """Turn an int-like value into an index in [0, size), or raise ValueError."""
    kind = type(value)
    if kind is int or kind is np.int64:  # fast paths for the agent loop
        if 0 <= value < size:
            return int(value)
    elif kind is float or kind is np.float64:
        if value.is_integer() and 0 <= value < size:
            return int(value)
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise ValueError(f"{what} must be an integer in 0..{size - 1}, got {value!r}. {hint}")
    if isinstance(value, numbers.Integral):
        index = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        index = int(value)  # e.g. 64.0 read back from a float model array
    else:
        raise ValueError(f"{what} must be an integer in 0..{size - 1}, got {value!r}. {hint}")
    if not 0 <= index < size:
        raise ValueError(f"{what} must be an integer in 0..{size - 1}, got {value!r}. {hint}")
    return index


def check_state(state) -> int:
    return _as_index(state, N_STATES, "state", "States are numbered 0-99, row by row from the bottom left.")


def check_action(action) -> int:
    return _as_index(action, N_ACTIONS, "action", "Actions are 0 right, 1 up, 2 left, 3 down.")


def returned_action(result):
    """The action a learner's function returned, as an int, or None when ``result`` is not an action.

    Stricter than ``check_action`` (which also takes 2.0 read back from a float model array):
    a function that chooses an action must return an integer 0-3, a Python int or a NumPy
    integer but not a bool, or a NumPy array holding one such integer. A float, a bool or
    several numbers are not an action. The Dyna-Q loop with the bonus in action selection
    and the checks of that exercise both ask here.
    """
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.reshape(())[()]
    if isinstance(result, (bool, np.bool_)) or not isinstance(result, numbers.Integral):
        return None
    return int(result) if 0 <= result < N_ACTIONS else None


class QuentinsWorld:
    """Quentin's World with the tutorial's interface.

    ``get_outcome(state, action)`` returns ``(next_state, reward)`` where
    ``next_state`` is ``None`` when the move ends the episode (any move from the
    goal). ``toggle_shortcut()`` opens or closes the shortcut.
    """

    name = "QuentinsWorld"
    n_states = N_STATES
    n_actions = N_ACTIONS
    dim_x = DIM_X
    dim_y = DIM_Y
    init_state = START_STATE
    goal_state = GOAL_STATE
    red_states = RED_STATES
    shortcut_from = SHORTCUT_FROM
    shortcut_action = SHORTCUT_ACTION

    def __init__(self, shortcut_open: bool = False):
        self.shortcut_open = bool(shortcut_open)

    def __repr__(self) -> str:
        return f"QuentinsWorld(shortcut_open={self.shortcut_open})"

    def toggle_shortcut(self) -> None:
        """Open the shortcut if it is closed, close it if it is open."""
        self.shortcut_open = not self.shortcut_open

    @property
    def next_states(self) -> np.ndarray:
        """(n_states, n_actions) next state of every pair; -1 ends the episode."""
        return NEXT_STATE_TABLE[int(self.shortcut_open)]

    @property
    def rewards(self) -> np.ndarray:
        """(n_states, n_actions) reward of every pair."""
        return REWARD_TABLE[int(self.shortcut_open)]

    def get_outcome(self, state, action):
        """Return ``(next_state, reward)``; ``next_state`` is None at the end."""
        s, a = check_state(state), check_action(action)
        table = int(self.shortcut_open)
        nxt = int(NEXT_STATE_TABLE[table, s, a])
        reward = float(REWARD_TABLE[table, s, a])
        return (None if nxt == TERMINAL else nxt), reward

    def get_all_outcomes(self) -> dict:
        """{(state, action): [(probability, next_state, reward)]} for every pair."""
        return {(s, a): [(1, *self.get_outcome(s, a))] for s in range(self.n_states) for a in range(self.n_actions)}

    @staticmethod
    def state_to_xy(state) -> tuple[int, int]:
        s = check_state(state)
        return s % DIM_X, s // DIM_X
