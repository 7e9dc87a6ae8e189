"""Quentin's World against an independent oracle of the tutorial's rules.

The oracle below re-expresses the tutorial's ``QuentinsWorld.get_outcome``
(NMA W3D4 Tutorial 4) in a different form: for each action, the border rule,
the goal reward, and the tutorial's explicit lists of "from" states whose move
lands in a red state. The lists are transcribed from the tutorial as written;
the tutorial's ``self.shortcut_state`` entry of the "up" list is 64 while the
shortcut is closed and 2 (already in the list, so a no-op) once it is open.
"""

import math

import numpy as np
import pytest

from dynaq_course.world import QuentinsWorld

# ---------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------
RIGHT, UP, LEFT, DOWN = 0, 1, 2, 3
GOAL = 99

# action -> (step added to the state, test "this state is at the border for this move")
MOVES = {
    RIGHT: (+1, lambda s: s % 10 == 9),
    UP: (+10, lambda s: s >= 90),
    LEFT: (-1, lambda s: s % 10 == 0),
    DOWN: (-10, lambda s: s <= 9),
}

# The single "from" state whose move reaches the goal, per action (98 right, 89 up).
GOAL_FROM = {RIGHT: {98}, UP: {89}, LEFT: set(), DOWN: set()}

# action -> states from which that move lands in red (tutorial's lists, verbatim)
RED_FROM = {
    RIGHT: {11, 21, 31, 41, 51, 61, 71, 12, 72, 73, 14, 74, 15, 25, 35, 45, 55, 65, 75},
    UP: {
        2,
        12,
        22,
        32,
        42,
        52,
        62,
        3,
        63,
        # self.shortcut_state goes here (see shortcut_state_for)
        5,
        65,
        6,
        16,
        26,
        36,
        46,
        56,
        66,
    },
    LEFT: {17, 27, 37, 47, 57, 67, 77, 16, 76, 75, 14, 74, 13, 23, 33, 43, 53, 63, 73},
    DOWN: {22, 32, 42, 52, 62, 72, 82, 23, 83, 84, 25, 85, 26, 36, 46, 56, 66, 76, 86},
}


def shortcut_state_for(shortcut_open: bool) -> int:
    """The tutorial's ``shortcut_state``: 64 initially, 2 after one toggle."""
    return 2 if shortcut_open else 64


def oracle_outcome(state: int, action: int, shortcut_open: bool):
    """(next_state, reward) by the tutorial's rules; next_state None ends the episode."""
    if state == GOAL:
        return None, 0
    step, at_border = MOVES[action]
    red_from = RED_FROM[action] | ({shortcut_state_for(shortcut_open)} if action == UP else set())
    if state in GOAL_FROM[action]:
        return state + step, 1
    if at_border(state):
        return state, 0
    if state in red_from:
        return state + step, -1
    return state + step, 0


class OracleWorld:
    """The oracle with the tutorial's world interface (used by other test files)."""

    name = "QuentinsWorld"
    n_states = 100
    n_actions = 4
    dim_x = 10
    dim_y = 10
    init_state = 54
    shortcut_from = 64
    shortcut_action = 1

    def __init__(self):
        self.shortcut_open = False

    def toggle_shortcut(self):
        self.shortcut_open = not self.shortcut_open

    def get_outcome(self, state, action):
        return oracle_outcome(int(state), int(action), self.shortcut_open)


ALL_CELLS = [(s, a) for s in range(100) for a in range(4)]


def world_with_shortcut(shortcut_open: bool) -> QuentinsWorld:
    """A package world in the requested setting, reached the tutorial's way (toggling)."""
    env = QuentinsWorld()
    if shortcut_open:
        env.toggle_shortcut()
    assert env.shortcut_open is shortcut_open
    return env


def same_outcome(got, expected) -> bool:
    (g_next, g_reward), (e_next, e_reward) = got, expected
    if e_next is None:
        return g_next is None and g_reward == e_reward
    return type(g_next) is int and g_next == e_next and g_reward == e_reward


# ---------------------------------------------------------------------------
# The oracle itself is self-consistent (guards the transcription)
# ---------------------------------------------------------------------------
def test_oracle_lists_describe_one_set_of_red_cells():
    """Each red list, mapped to the cell it enters, gives the same red set from all four sides."""
    entered = {}
    for action, (step, _) in MOVES.items():
        entered[action] = {s + step for s in RED_FROM[action]}
    entered[UP].add(64 + 10)  # the shortcut entry while closed
    red = entered[RIGHT] | entered[UP] | entered[LEFT] | entered[DOWN]
    expected_red = {10 * y + 2 for y in range(1, 8)} | {10 * y + 6 for y in range(1, 8)} | {13, 15, 73, 74, 75}
    assert red == expected_red
    # every red cell is listed from every in-grid neighbour (no gaps in the lists)
    for action, (step, at_border) in MOVES.items():
        should = {s for s in range(100) if not at_border(s) and s + step in red}
        assert entered[action] == {s + step for s in should}, action


# ---------------------------------------------------------------------------
# get_outcome against the oracle: all 100 states x 4 actions x 2 settings
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shortcut_open", [False, True], ids=["closed", "open"])
def test_get_outcome_matches_oracle(shortcut_open):
    env = world_with_shortcut(shortcut_open)
    mismatches = []
    for s, a in ALL_CELLS:
        got, expected = env.get_outcome(s, a), oracle_outcome(s, a, shortcut_open)
        if not same_outcome(got, expected):
            mismatches.append(((s, a), got, expected))
    assert mismatches == [], f"(state, action), package, tutorial: {mismatches}"


def test_get_outcome_matches_oracle_800_cells():
    compared = 0
    for shortcut_open in (False, True):
        env = world_with_shortcut(shortcut_open)
        # the constructor argument gives the same world as toggling
        env_ctor = QuentinsWorld(shortcut_open=shortcut_open)
        for s, a in ALL_CELLS:
            expected = oracle_outcome(s, a, shortcut_open)
            assert same_outcome(env.get_outcome(s, a), expected), (shortcut_open, s, a)
            assert same_outcome(env_ctor.get_outcome(s, a), expected), (shortcut_open, s, a)
            compared += 1
    assert compared == 800


@pytest.mark.parametrize("shortcut_open", [False, True], ids=["closed", "open"])
def test_tables_match_get_outcome(shortcut_open):
    env = world_with_shortcut(shortcut_open)
    next_states, rewards = env.next_states, env.rewards
    assert next_states.shape == rewards.shape == (100, 4)
    assert np.issubdtype(next_states.dtype, np.integer)
    for s, a in ALL_CELLS:
        nxt, reward = env.get_outcome(s, a)
        assert next_states[s, a] == (-1 if nxt is None else nxt), (s, a)
        assert rewards[s, a] == reward, (s, a)
    # The tables are shared module constants: they must not be writable.
    for table in (next_states, rewards):
        with pytest.raises(ValueError):
            table[0, 0] = 5


def test_world_attributes_match_tutorial():
    env = QuentinsWorld()
    assert env.name == "QuentinsWorld"
    assert (env.n_states, env.n_actions, env.dim_x, env.dim_y) == (100, 4, 10, 10)
    assert env.init_state == 54
    assert (env.shortcut_from, env.shortcut_action) == (64, 1)  # the tutorial's hard-coded demo


# ---------------------------------------------------------------------------
# The shortcut
# ---------------------------------------------------------------------------
def test_toggle_shortcut_back_and_forth():
    env = QuentinsWorld()
    seen = []
    for _ in range(4):
        seen.append((env.shortcut_open, env.get_outcome(64, 1)))
        env.toggle_shortcut()
    assert seen == [(False, (74, -1)), (True, (74, 0))] * 2


def test_only_the_shortcut_cell_differs():
    closed, opened = QuentinsWorld(), world_with_shortcut(True)
    differing = {(s, a) for s, a in ALL_CELLS if closed.get_outcome(s, a) != opened.get_outcome(s, a)}
    assert differing == {(64, 1)}
    # Entering 74 any other way still costs -1 when the shortcut is open.
    assert opened.get_outcome(73, RIGHT) == (74, -1)
    assert opened.get_outcome(75, LEFT) == (74, -1)
    assert opened.get_outcome(84, DOWN) == (74, -1)
    # the tables agree
    diff = np.argwhere((closed.next_states != opened.next_states) | (closed.rewards != opened.rewards))
    assert [tuple(d) for d in diff] == [(64, 1)]


def test_toggling_one_world_does_not_affect_another():
    a, b = QuentinsWorld(), QuentinsWorld()
    a.toggle_shortcut()
    assert a.get_outcome(64, 1) == (74, 0)
    assert b.get_outcome(64, 1) == (74, -1)


# ---------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------
BAD_STATES = [-1, 100, 2.5, "a", "64", None, math.nan, np.nan, math.inf, np.int64(-3), 1e9]
BAD_ACTIONS = [-1, 4, 2.5, "a", None, math.nan, np.int64(7)]


@pytest.mark.parametrize("state", BAD_STATES, ids=repr)
def test_invalid_state_raises_helpful_valueerror(state):
    env = QuentinsWorld()
    with pytest.raises(ValueError, match=r"state must be an integer in 0\.\.99") as info:
        env.get_outcome(state, 0)
    message = str(info.value)
    assert repr(state) in message  # says what it got
    assert "row by row from the bottom left" in message


@pytest.mark.parametrize("action", BAD_ACTIONS, ids=repr)
def test_invalid_action_raises_helpful_valueerror(action):
    env = QuentinsWorld()
    with pytest.raises(ValueError, match=r"action must be an integer in 0\.\.3") as info:
        env.get_outcome(54, action)
    message = str(info.value)
    assert repr(action) in message
    assert "0 right, 1 up, 2 left, 3 down" in message


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)], ids=repr)
def test_booleans_are_not_states_or_actions(flag):
    env = QuentinsWorld()
    with pytest.raises(ValueError):
        env.get_outcome(flag, 0)
    with pytest.raises(ValueError):
        env.get_outcome(54, flag)


@pytest.mark.parametrize(
    "state", [64, 64.0, np.int64(64), np.int32(64), np.uint8(64), np.float64(64.0), np.float32(64.0)], ids=repr
)
@pytest.mark.parametrize("action", [1, 1.0, np.int64(1), np.int8(1), np.float64(1.0)], ids=repr)
def test_int_like_states_and_actions_are_accepted(state, action):
    for shortcut_open in (False, True):
        env = world_with_shortcut(shortcut_open)
        assert env.get_outcome(state, action) == oracle_outcome(64, 1, shortcut_open)
        assert type(env.get_outcome(state, action)[0]) is int


def test_model_read_back_floats_are_accepted():
    """Planning reads states back from a float model array (e.g. 55.0); they must work."""
    model_row = np.array([0.0, 55.0])
    env = QuentinsWorld()
    assert env.get_outcome(model_row[1], np.int64(3)) == oracle_outcome(55, 3, False)


# ---------------------------------------------------------------------------
# get_all_outcomes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shortcut_open", [False, True], ids=["closed", "open"])
def test_get_all_outcomes_format(shortcut_open):
    env = world_with_shortcut(shortcut_open)
    outcomes = env.get_all_outcomes()
    assert isinstance(outcomes, dict)
    assert list(outcomes) == ALL_CELLS  # same keys, same order as the tutorial's loops
    for (s, a), value in outcomes.items():
        assert isinstance(value, list) and len(value) == 1
        prob, nxt, reward = value[0]
        assert prob == 1
        assert same_outcome((nxt, reward), oracle_outcome(s, a, shortcut_open)), (s, a)
    assert outcomes[99, 0] == [(1, None, 0)]
    assert outcomes[64, 1] == [(1, 74, 0 if shortcut_open else -1)]
    assert outcomes[98, 0] == [(1, 99, 1)]
