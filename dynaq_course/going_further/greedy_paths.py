"""Where the greedy policy goes, and what "near-optimal" means in section 6.

* ``optimal_values(shortcut_open)``: the true optimal Q of (deterministic)
  Quentin's World by value iteration, with the course's gamma 0.8
  (``slippery.optimal_q`` with no slip).
* ``greedy_path(value, shortcut_open)``: the states the greedy policy (first
  best action, as ``np.argmax``) visits from the start, until it reaches the
  goal, loops, or gives up.
* ``optimal_path_length(shortcut_open)``: the number of moves of the optimal
  policy from the start to the goal: 19 with the shortcut closed (down through
  the gap at 14, right along the bottom, up the right side), 9 with it open.
* ``is_near_optimal(value)``: the greedy path reaches the goal in at most
  ``optimal_path_length + slack`` moves (slack 1) without entering a red cell.
  (A path through a wall can be shorter, so length alone is not enough.)
"""

from __future__ import annotations

import numpy as np

from dynaq_course import world as _world
from dynaq_course.going_further.slippery import optimal_q

TERMINAL = _world.TERMINAL


def optimal_values(shortcut_open: bool = False, gamma: float = 0.8, tol: float = 1e-12) -> np.ndarray:
    """(n_states, n_actions) optimal action values of the deterministic world (value iteration:
    ``slippery.optimal_q`` with slip 0)."""
    return optimal_q(0.0, gamma, shortcut_open, tol)


def greedy_path(value, shortcut_open: bool = False, max_moves: int = 200) -> tuple[list[int], bool]:
    """(states visited from the start, penalty-free?) following ``argmax value[state]``.

    The path ends at the goal, at the first repeated state (the greedy policy
    loops), or after ``max_moves`` moves. ``penalty-free`` is False when a move
    enters a red cell.
    """
    value = np.asarray(value, dtype=float)
    if value.shape != (_world.N_STATES, _world.N_ACTIONS):
        raise ValueError(f"value must have shape ({_world.N_STATES}, {_world.N_ACTIONS}), got {value.shape}.")
    nxt = _world.NEXT_STATE_TABLE[int(bool(shortcut_open))]
    rew = _world.REWARD_TABLE[int(bool(shortcut_open))]
    state, path, clean = _world.START_STATE, [_world.START_STATE], True
    for _ in range(max_moves):
        action = int(np.argmax(value[state]))
        clean = clean and rew[state, action] >= 0
        state = int(nxt[state, action])
        if state == TERMINAL or state in path:
            break
        path.append(state)
        if state == _world.GOAL_STATE:
            break
    return path, clean


def optimal_path_length(shortcut_open: bool = False) -> int:
    """Moves the optimal policy needs from the start to the goal (19 closed, 9 open)."""
    path, _ = greedy_path(optimal_values(shortcut_open), shortcut_open)
    if path[-1] != _world.GOAL_STATE:
        raise RuntimeError("the optimal policy does not reach the goal")  # cannot happen
    return len(path) - 1


def is_near_optimal(value, shortcut_open: bool = False, slack: int = 1) -> bool:
    """True when the greedy path reaches the goal, penalty-free, within optimal length + slack moves."""
    path, clean = greedy_path(value, shortcut_open, max_moves=optimal_path_length(shortcut_open) + slack)
    return clean and path[-1] == _world.GOAL_STATE
