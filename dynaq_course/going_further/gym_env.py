"""Quentin's World as a Gymnasium environment (optional: needs ``gymnasium``).

Importing this module registers the id ``"dynaq_course/QuentinWorld-v0"``::

    import gymnasium as gym
    import dynaq_course.going_further.gym_env  # registers the id

    env = gym.make("dynaq_course/QuentinWorld-v0", render_mode="rgb_array")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(1)  # 0 right 1 up 2 left 3 down

``gym.make("dynaq_course.going_further.gym_env:dynaq_course/QuentinWorld-v0")`` imports the
module itself. The rest of the course never imports this module, so the course
runs without Gymnasium.

How the course's rules map to Gymnasium's five-tuple
----------------------------------------------------
The transitions and rewards are the course's tables (``dynaq_course.world``):
observations are the state numbers 0-99 (``Discrete(100)``), actions 0 right,
1 up, 2 left, 3 down (``Discrete(4)``), every episode starts in state 54,
entering a red wall costs -1 (the agent still enters), entering the goal 99
gives +1, and bumping into the border leaves the agent where it is.

As in the course, reaching the goal does not end the episode: the *next* step,
taken from the goal with any action, does. That step returns
``terminated=True``, reward 0 and observation 99 (the agent stays on the goal;
a Gymnasium agent does not bootstrap from the observation of a terminated
step, exactly as the course's ``q_learning`` does not bootstrap when
``next_state`` is None). So returns and episode lengths are the course's:
an episode of the course's ``learn_environment`` that takes ``n`` steps is an
episode of ``n`` ``env.step`` calls here, and the values Q-learning converges to
are the same. Truncation is Gymnasium's ``TimeLimit`` wrapper, which
``gym.make`` adds with ``max_episode_steps=1000`` (the course's ``MAX_STEPS``).

Most Gymnasium environments end the episode on the step that reaches the
goal instead. ``EndAtGoal`` gives that convention: ``terminated=True`` on the
step into the goal (reward +1 as before), so the extra step never happens::

    env = EndAtGoal(gym.make("dynaq_course/QuentinWorld-v0"))
    env = gym.make("dynaq_course/QuentinWorldEndAtGoal-v0")   # the same, registered

The same actions give the same return under both conventions (the extra step
pays 0), and an episode that reaches the goal before the time limit is one
step shorter. The optimal values agree on every pair except the goal's own
(0 in the course; under ``EndAtGoal`` the goal is never left, so its pairs
are never used). Q-learning on the same transitions learns exactly the same
values when the goal's values start at 0; with the course's optimistic start
(1) the course's convention first has to pull the goal's values down, and
until then the pairs leading into the goal are valued higher there.

Options
-------
``QuentinWorldEnv(render_mode=None, shortcut_open=False, slip=0.0)``:

* ``shortcut_open``: the shortcut of section 5 is open (stepping up from 64
  into the wall cell 74 is free).
* ``slip``: with probability ``slip`` the action is replaced by a uniformly
  random action (one of the four, possibly the same one), drawn from the
  environment's ``np_random``. 0 is the course's deterministic world.

``reset(seed=..., options=...)`` takes the options ``"shortcut_open"`` and
``"slip"``, which change the world from then on (as ``toggle_shortcut`` does
in the course: later resets keep them), and ``"start_state"``, where this one
episode starts (default 54). ``info`` from ``step`` has ``"executed_action"``,
the action actually taken (it differs from the chosen one after a slip).

``render_mode="rgb_array"``: ``render()`` returns the map as an
(320, 320, 3) uint8 array, in the colours of ``dynaq_course.lesson.plots.plot_world``
(vermillion walls, sky-blue start, yellow goal, the shortcut door as a bar on
the edge between 64 and 74: black while closed, blue once open) with the agent
as a dark navy disc.

``env.unwrapped.P[state][action]`` lists ``(probability, next_state, reward,
terminated)`` for the current world (shortcut and slip), as Gymnasium's toy-text
environments do, for planning and dynamic programming.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dynaq_course import world
from dynaq_course.lesson import style as _style
from dynaq_course.params import MAX_STEPS

GYMNASIUM_PIN = "1.4.0"  # the version in requirements.txt (the tests check they agree)

try:
    import gymnasium
    from gymnasium import spaces
except ImportError as err:  # gymnasium missing (or broken): the course does not need it
    raise ImportError(
        "dynaq_course.going_further.gym_env needs Gymnasium, an optional dependency of the course "
        f"(the course itself runs without it). Install it with:  pip install gymnasium=={GYMNASIUM_PIN}"
        f"   (import error: {err})"
    ) from err

if int(gymnasium.__version__.split(".")[0]) < 1:
    raise ImportError(
        f"dynaq_course.going_further.gym_env needs Gymnasium 1.x; found gymnasium {gymnasium.__version__}. "
        f"Upgrade with:  pip install gymnasium=={GYMNASIUM_PIN}"
    )

ENV_ID = "dynaq_course/QuentinWorld-v0"
END_AT_GOAL_ID = "dynaq_course/QuentinWorldEndAtGoal-v0"
ENTRY_POINT = "dynaq_course.going_further.gym_env:QuentinWorldEnv"

# RGB of the map colours of lesson.plots, read from lesson.style (which, unlike plots, imports no matplotlib).
COLORS = {name: tuple(int(hex_[i : i + 2], 16) for i in (1, 3, 5)) for name, hex_ in _style.MAP_COLORS.items()}
COLORS["agent"] = COLORS.pop("arrow")
CELL_PIXELS = 32
_DOOR_PIXELS = 6  # thickness of the door bar
_AGENT_RADIUS = 0.3  # of a cell

_OPTION_KEYS = ("shortcut_open", "slip", "start_state")


def _check_slip(slip) -> float:
    try:
        value = float(slip)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"slip is a probability and must lie in [0, 1], got {slip!r}.")
    return value


class QuentinWorldEnv(gymnasium.Env):
    """Quentin's World (``dynaq_course.world``) with Gymnasium's API; see the module docstring."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, render_mode: str | None = None, shortcut_open: bool = False, slip: float = 0.0):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}."
            )
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(world.N_STATES)
        self.action_space = spaces.Discrete(world.N_ACTIONS)
        self.shortcut_open = bool(shortcut_open)
        self.slip = _check_slip(slip)
        self.state = world.START_STATE
        self._P_cache = None

    # -- the world ----------------------------------------------------------
    @property
    def next_states(self) -> np.ndarray:
        """(100, 4) next state of every pair in the current world; -1 ends the episode."""
        return world.NEXT_STATE_TABLE[int(self.shortcut_open)]

    @property
    def rewards(self) -> np.ndarray:
        """(100, 4) reward of every pair in the current world."""
        return world.REWARD_TABLE[int(self.shortcut_open)]

    @property
    def P(self) -> dict[int, dict[int, list[tuple[float, int, float, bool]]]]:
        """``P[state][action]``: ``[(probability, next_state, reward, terminated), ...]``.

        Outcomes with the same (next_state, reward, terminated) are merged. A
        terminated outcome has next_state = state (the goal). Built once per
        (shortcut_open, slip) and cached: do not modify it."""
        key = (self.shortcut_open, self.slip)
        if self._P_cache is None or self._P_cache[0] != key:
            self._P_cache = (key, self._build_P())
        return self._P_cache[1]

    def _build_P(self):
        outcomes = {}
        for s in range(world.N_STATES):
            outcomes[s] = {}
            for a in range(world.N_ACTIONS):
                merged: dict[tuple[int, float, bool], float] = {}
                for executed in range(world.N_ACTIONS):
                    prob = self.slip / world.N_ACTIONS + (1.0 - self.slip) * (executed == a)
                    if prob == 0.0:
                        continue
                    key = self._outcome(s, executed)
                    merged[key] = merged.get(key, 0.0) + prob
                outcomes[s][a] = [(p, *key) for key, p in merged.items()]
        return outcomes

    def _outcome(self, state: int, action: int) -> tuple[int, float, bool]:
        """(observation, reward, terminated) of ``action`` from ``state``, no slip."""
        table = int(self.shortcut_open)
        nxt = int(world.NEXT_STATE_TABLE[table, state, action])
        reward = float(world.REWARD_TABLE[table, state, action])
        if nxt == world.TERMINAL:
            return state, reward, True
        return nxt, reward, False

    # -- Gymnasium's API ----------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = {} if options is None else dict(options)
        unknown = sorted(set(options) - set(_OPTION_KEYS))
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; the options are {list(_OPTION_KEYS)}.")
        if "shortcut_open" in options:
            self.shortcut_open = bool(options["shortcut_open"])
        if "slip" in options:
            self.slip = _check_slip(options["slip"])
        self.state = world.check_state(options.get("start_state", world.START_STATE))
        return self.state, {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an integer in 0..3 (0 right, 1 up, 2 left, 3 down), got {action!r}.")
        executed = int(action)
        if self.slip > 0.0 and self.np_random.random() < self.slip:
            executed = int(self.np_random.integers(world.N_ACTIONS))
        self.state, reward, terminated = self._outcome(self.state, executed)
        return self.state, reward, terminated, False, {"executed_action": executed}

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() was called without a render mode; make the environment with "
                'gym.make("dynaq_course/QuentinWorld-v0", render_mode="rgb_array").'
            )
            return None
        return self._rgb_array()

    # -- drawing ------------------------------------------------------------
    @staticmethod
    def cell_center_pixel(state: int) -> tuple[int, int]:
        """(row, column) of the centre pixel of ``state``'s cell in ``render()``'s image."""
        x, y = world.QuentinsWorld.state_to_xy(state)
        return ((world.DIM_Y - 1 - y) * CELL_PIXELS + CELL_PIXELS // 2, x * CELL_PIXELS + CELL_PIXELS // 2)

    @staticmethod
    def door_pixel() -> tuple[int, int]:
        """(row, column) of a pixel on the shortcut door in ``render()``'s image."""
        (r0, c0), (r1, c1) = (
            QuentinWorldEnv.cell_center_pixel(world.SHORTCUT_FROM),
            QuentinWorldEnv.cell_center_pixel(world.SHORTCUT_STATE),
        )
        return (r0 + r1) // 2, (c0 + c1) // 2

    def _rgb_array(self) -> np.ndarray:
        c = CELL_PIXELS
        image = np.empty((world.DIM_Y * c, world.DIM_X * c, 3), dtype=np.uint8)
        for state in range(world.N_STATES):
            if state == world.START_STATE:
                kind = "start"
            elif state == world.GOAL_STATE:
                kind = "goal"
            elif state in world.RED_STATES:
                kind = "wall"
            else:
                kind = "free"
            row, col = self.cell_center_pixel(state)
            image[row - c // 2 : row + c // 2, col - c // 2 : col + c // 2] = COLORS[kind]
        image[::c, :] = COLORS["grid"]
        image[:, ::c] = COLORS["grid"]
        image[-1, :] = COLORS["grid"]
        image[:, -1] = COLORS["grid"]

        row, col = self.door_pixel()  # the edge between the shortcut's two cells
        half = _DOOR_PIXELS // 2
        image[row - half : row + half, col - c // 2 : col + c // 2] = (
            COLORS["door_open"] if self.shortcut_open else COLORS["door_closed"]
        )

        row, col = self.cell_center_pixel(self.state)
        rows, cols = np.ogrid[: image.shape[0], : image.shape[1]]
        disc = (rows - row + 0.5) ** 2 + (cols - col + 0.5) ** 2 <= (_AGENT_RADIUS * c) ** 2
        image[disc] = COLORS["agent"]
        return image


class EndAtGoal(gymnasium.Wrapper, gymnasium.utils.RecordConstructorArgs):
    """Gymnasium's usual convention for Quentin's World: the episode ends on the step into the goal.

    The course (and ``QuentinWorldEnv``) ends an episode one step *after* the goal:
    entering 99 pays +1 and the episode goes on; the next step, from the goal, with
    any action, ends it with reward 0. Wrapped, the step that enters the goal returns
    ``terminated=True`` (its reward +1 and observation 99 unchanged), and the extra
    step never happens. Everything else (rewards, slips, truncation, ``info``,
    rendering) is the wrapped environment's.

    Wrap ``QuentinWorldEnv`` or what ``gym.make(ENV_ID)`` returns, or make
    ``END_AT_GOAL_ID``; ``env.spec`` records the wrapper, so ``gym.make(env.spec)``
    rebuilds it. An episode cannot start on the goal here (it is terminal):
    ``reset(options={"start_state": 99})`` raises ``ValueError``. ``P`` is
    ``env.unwrapped.P`` with every outcome that enters the goal marked terminated.
    """

    def __init__(self, env: gymnasium.Env):
        gymnasium.utils.RecordConstructorArgs.__init__(self)
        gymnasium.Wrapper.__init__(self, env)
        if not isinstance(env.unwrapped, QuentinWorldEnv):
            raise TypeError(
                f"EndAtGoal wraps Quentin's World (QuentinWorldEnv or gym.make({ENV_ID!r})), got {env.unwrapped!r}."
            )

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        if obs == world.GOAL_STATE:
            raise ValueError(
                f"EndAtGoal: an episode cannot start on the goal {world.GOAL_STATE}, which ends "
                f"episodes here; reset with another start_state."
            )
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated or obs == world.GOAL_STATE, truncated, info

    @property
    def P(self) -> dict[int, dict[int, list[tuple[float, int, float, bool]]]]:
        """``env.unwrapped.P`` with the outcomes that enter the goal marked terminated (a new dict)."""
        return {
            s: {
                a: [(p, nxt, r, done or nxt == world.GOAL_STATE) for p, nxt, r, done in outcomes]
                for a, outcomes in by_action.items()
            }
            for s, by_action in self.env.unwrapped.P.items()
        }


if ENV_ID not in gymnasium.registry:  # importing twice (or reloading) registers once
    gymnasium.register(id=ENV_ID, entry_point=ENTRY_POINT, max_episode_steps=MAX_STEPS)
if END_AT_GOAL_ID not in gymnasium.registry:
    gymnasium.register(
        id=END_AT_GOAL_ID,
        entry_point=ENTRY_POINT,
        max_episode_steps=MAX_STEPS,
        additional_wrappers=(EndAtGoal.wrapper_spec(),),
    )
