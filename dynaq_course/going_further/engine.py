"""The fast engine for section 6: Dyna-Q+, prioritized sweeping and the slippery world.

Same conventions as ``engine`` (read its docstring): backends ``"numba"``
(compiled, cached on disk) and ``"python"`` (the same kernels run as plain
Python), chosen by ``engine.choose_backend`` (argument, ``$DYNAQ_ENGINE``,
numba when importable, and ``"python"`` while nbgrader runs a notebook); the
tutorial's hyperparameters (epsilon 0.05, alpha 0.5, gamma 0.8) by default;
``seed`` (int or ``SeedSequence``) makes a run repeatable on one backend;
experiment ``e`` uses the same random stream for every setting of a sweep
(common random numbers), experiments are independent. The kernels and their
exact rules are in ``engine.further_kernels``.

* ``simulate_dyna_plus``: Dyna-Q / Dyna-Q+ (``bonus="planning"``) or Dyna-Q
  with the bonus in action selection (``bonus="action"``, Exercise 8.4) when
  the door (64, up) changes at ``door_episode`` with NO demonstration: it
  opens (``world="shortcut"``) or closes (``world="blocking"``).
* ``simulate_uniform`` / ``simulate_prioritized``: uniform Dyna-Q and
  prioritized sweeping in the closed world, counting value updates until the
  greedy policy is first near-optimal (``greedy_paths.is_near_optimal``).
* ``simulate_slippery``: Dyna-Q in the slippery world with the last outcome
  and sample updates (``"cached"``), the counts and sample updates
  (``"counting-sample"``) or the counts and expected updates (``"counting"``),
  under a budget of planning updates or of max-Q evaluations per real step.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from dynaq_course import engine as _engine
from dynaq_course import world as _world
from dynaq_course.going_further.greedy_paths import optimal_path_length
from dynaq_course.going_further.slippery import BUDGETS, MODEL_NAMES, MODELS

N_STATES, N_ACTIONS = _world.N_STATES, _world.N_ACTIONS
N_PAIRS = N_STATES * N_ACTIONS
DOOR_PAIR = _world.SHORTCUT_FROM * N_ACTIONS + _world.SHORTCUT_ACTION
KERNELS = "_further_numba"  # the compiled kernels' module in dynaq_course.engine

_warm = set()


def choose_backend(backend: str | None = None) -> str:
    """As ``engine.choose_backend``; falls back to ``"python"`` if section 6's kernels fail to load."""
    chosen = _engine.choose_backend(backend)
    if chosen == "numba" and _engine._load_numba(KERNELS) is None:
        requested = backend if backend is not None else ""
        if str(requested).lower() == "numba":
            raise ImportError(
                f"The numba engine was requested but its kernels cannot be loaded "
                f"({_engine._numba_error(KERNELS)}). Use backend='python'."
            )
        return "python"
    return chosen


def _kernels(backend: str):
    if backend == "numba":
        return _engine._load_numba(KERNELS)
    from dynaq_course.engine import further_kernels

    return further_kernels


def warm_up(backend: str | None = None) -> float:
    """Load (or compile, the first time on this machine) the three kernels; returns seconds."""
    backend = choose_backend(backend)
    if backend in _warm:
        return 0.0
    start = time.perf_counter()
    simulate_dyna_plus([0.01], 1, 2, door_episode=1, seed=0, backend=backend, progress=False)
    simulate_uniform([1], 1, 1, seed=0, backend=backend, progress=False)
    simulate_prioritized([1], 1, 1, seed=0, backend=backend, progress=False)
    simulate_slippery([0.1], MODELS, k=1, n_experiments=1, n_episodes=1, seed=0, backend=backend, progress=False)
    _warm.add(backend)
    return time.perf_counter() - start


# ------------------------------------------------------------------ helpers


@dataclass
class _Run:
    """The settings every simulation takes, checked (``_run``), and, once ``choose`` is called, the
    backend, its kernels and one seed per experiment."""

    n_experiments: int
    n_episodes: int
    rates: tuple  # (epsilon, alpha, gamma, max_steps, n_episodes), as the kernels take them
    seed: object
    backend: str | None
    progress: bool
    callback: object
    kernels: object = None
    seeds: list | None = None

    def choose(self):
        """Choose the backend, load its kernels, draw the experiments' seeds."""
        self.backend = choose_backend(self.backend)
        self.kernels = _kernels(self.backend)
        self.seeds = _int_seeds(self.seed, self.n_experiments)

    def world(self, nxt, rew):
        """The world as the kernels take it: flat (next, reward) tables, the states, start and goal."""
        return (*_as_backend(self.backend, nxt, rew), N_STATES, _world.START_STATE, _world.GOAL_STATE)

    def each(self, one, desc, *sizes) -> float:
        """Call ``one(*index)`` for every index in ``range(sizes[0]) x range(sizes[1]) x ...`` (the
        last index varies fastest), with a progress bar and the callback; returns the seconds taken."""
        jobs = list(itertools.product(*(range(n) for n in sizes)))
        start = time.perf_counter()
        with _engine._progress_bar(len(jobs), desc, self.progress) as bar:
            report = _engine._Report(bar, len(jobs), self.callback)
            for job in jobs:
                one(*job)
                report.update(1)
        return time.perf_counter() - start


def _run(n_experiments, n_episodes, settings: _engine.RunSettings) -> _Run:
    """Check the settings every simulation takes (ValueError with a clear message)."""
    n_experiments = _engine._integer(n_experiments, "n_experiments", 1)
    n_episodes = _engine._integer(n_episodes, "n_episodes", 1)
    rates = (
        _engine._real(settings.epsilon, "epsilon", 0.0, 1.0),
        _engine._real(settings.alpha, "alpha", 0.0, 1.0, low_open=True),
        _engine._real(settings.gamma, "gamma", 0.0, 1.0),
        _engine._integer(settings.max_steps, "max_steps", 1),
        n_episodes,
    )
    return _Run(n_experiments, n_episodes, rates, settings.seed, settings.backend, settings.progress, settings.callback)


def _sequence(values, name, check) -> tuple:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one value.")
    return tuple(check(v) for v in values)


def _int_seeds(seed, n_experiments: int) -> list[int]:
    return [int(s.generate_state(1, np.uint32)[0]) for s in _engine._seeds(seed, n_experiments)]


def _tables(shortcut_open: bool | None):
    """Flat (next, reward) tables; the terminal -1 becomes N_STATES. None: closed then open, concatenated."""

    def flat(index):
        nxt = _world.NEXT_STATE_TABLE[index].ravel().copy()
        nxt[nxt < 0] = N_STATES
        return nxt.astype(np.int64), _world.REWARD_TABLE[index].ravel().astype(np.float64)

    if shortcut_open is None:
        (n0, r0), (n1, r1) = flat(0), flat(1)
        return np.concatenate([n0, n1]), np.concatenate([r0, r1])
    return flat(int(shortcut_open))


# The work arrays each kernel takes, in the order of its arguments: (length, "f" float or "i" integer).
WORK = {
    # q, model_r, model_n, observed, seen, last
    "dyna": [(N_PAIRS, "f"), (N_PAIRS, "f"), (N_PAIRS, "i"), (N_PAIRS, "i"), (N_PAIRS, "i"), (N_PAIRS, "i")],
    # q, model_r, model_n, seen, preds, n_preds, prio, pos, queue
    "prioritized": [
        (N_PAIRS, "f"),
        (N_PAIRS, "f"),
        (N_PAIRS, "i"),
        (N_PAIRS, "i"),
        (N_STATES * N_PAIRS, "i"),
        (N_STATES, "i"),
        (N_PAIRS, "f"),
        (N_PAIRS, "i"),
        (N_PAIRS, "i"),
    ],
    # q, model_r, model_n, observed, seen, succ, succ_count, succ_rsum, n_succ, tries, done
    "slippery": [
        (N_PAIRS, "f"),
        (N_PAIRS, "f"),
        (N_PAIRS, "i"),
        (N_PAIRS, "i"),
        (N_PAIRS, "i"),
        (4 * N_PAIRS, "i"),
        (4 * N_PAIRS, "i"),
        (4 * N_PAIRS, "f"),
        (N_PAIRS, "i"),
        (N_PAIRS, "i"),
        (2, "i"),
    ],
}


def _buffers(backend, kernel):
    """The work arrays of ``kernel`` (see ``WORK``), a tuple: NumPy for numba, flat lists for plain Python."""
    kinds = {"f": np.float64, "i": np.int64} if backend == "numba" else {"f": float, "i": int}
    if backend == "numba":
        return tuple(np.zeros(n, kinds[kind]) for n, kind in WORK[kernel])
    return tuple([kinds[kind](0)] * n for n, kind in WORK[kernel])


def _as_backend(backend, *arrays):
    return arrays if backend == "numba" else tuple(a.tolist() for a in arrays)


# ------------------------------------------------------------------ Dyna-Q+


@dataclass
class DynaPlusResult:
    """``simulate_dyna_plus``'s result; arrays are indexed [kappa index, experiment, episode].

    ``door_episode`` is the episode the door changes: it opens (``world == "shortcut"``) or
    closes (``world == "blocking"``). ``door_taken`` counts the times an episode took the pair
    (64, up) after the change: through the open door, or into the closed one (a bump, -1);
    ``door_used`` is ``door_taken > 0``. ``bonus``: where kappa's bonus goes, ``"planning"``
    (Dyna-Q+) or ``"action"`` (action selection, Exercise 8.4).
    """

    steps: np.ndarray
    reward_sums: np.ndarray
    door_used: np.ndarray  # bool: the episode took (64, up) after the change (door_taken > 0)
    values: np.ndarray  # (n_kappa, n_experiments, n_states, n_actions) final values
    kappas: tuple
    k: int
    door_episode: int
    backend: str
    seconds: float
    door_taken: np.ndarray | None = None  # int: times (64, up) was taken in the episode, after the change
    world: str = "shortcut"
    bonus: str = "planning"

    def first_use(self) -> np.ndarray:
        """(n_kappa, n_experiments): episodes after the door opened until the first use (0: at once);
        -1 when never."""
        used = self.door_used[:, :, self.door_episode :]
        return np.where(used.any(axis=2), used.argmax(axis=2), -1)

    def adoption(self, window: int = 10, share: float = 0.8) -> np.ndarray:
        """(n_kappa, n_experiments): episodes after the door opened until the agent has adopted the
        shortcut: the first episode that takes it and from which at least ``share`` of ``window``
        episodes (it and the next ones) take it; -1 when never (within the run)."""
        return _settled(self.door_used[:, :, self.door_episode :], window, share)

    def found_fraction(self) -> np.ndarray:
        """(n_kappa,) share of experiments that ever took the shortcut."""
        return (self.first_use() >= 0).mean(axis=1)

    def use_rate(self, start: int | None = None, stop: int | None = None) -> np.ndarray:
        """(n_kappa,) share of episodes start..stop-1 (default: the last 100) that took the shortcut."""
        n = self.steps.shape[2]
        start = max(self.door_episode, n - 100) if start is None else start
        stop = n if stop is None else stop
        return self.door_used[:, :, start:stop].mean(axis=(1, 2))

    # ---- the blocking world (and any change): back to good episodes

    def clean(self, max_steps: int | None = None) -> np.ndarray:
        """(n_kappa, n_experiments, n_episodes) bool: the episode reached the goal without a penalty
        (its rewards add up to +1: no red cell, no closed door) in at most ``max_steps`` steps
        (None: any number)."""
        ok = self.reward_sums == 1.0
        return ok if max_steps is None else ok & (self.steps <= max_steps)

    def recovery(self, window: int = 10, share: float = 0.8, max_steps: int | None = None) -> np.ndarray:
        """(n_kappa, n_experiments): episodes after the change until the agent has recovered: the first
        episode that is ``clean(max_steps)`` and from which at least ``share`` of ``window`` episodes
        (it and the next ones) are; -1 when never (within the run)."""
        return _settled(self.clean(max_steps)[:, :, self.door_episode :], window, share)

    def bumps(self) -> np.ndarray:
        """(n_kappa, n_experiments) times the pair (64, up) was taken after the change (in the blocking
        world: bumps into the closed door)."""
        taken = self.door_used if self.door_taken is None else self.door_taken
        return taken[:, :, self.door_episode :].sum(axis=2)


def _settled(flags, window: int, share: float) -> np.ndarray:
    """(n_kappa, n_experiments): the first episode whose flag is set and from which at least ``share``
    of ``window`` episodes (it and the next ones) have it; -1 when never. flags: (..., n_episodes)."""
    flags = np.asarray(flags, bool)
    n = flags.shape[2]
    if n < window:
        return np.full(flags.shape[:2], -1)
    counts = np.cumsum(np.concatenate([np.zeros(flags.shape[:2] + (1,)), flags], axis=2), axis=2)
    ok = (counts[:, :, window:] - counts[:, :, :-window]) >= share * window - 1e-9
    ok &= flags[:, :, : n - window + 1]  # and the episode itself has it
    return np.where(ok.any(axis=2), ok.argmax(axis=2), -1)


WORLDS = ("shortcut", "blocking")
BONUSES = ("planning", "action")


def _choice(value, name, allowed, meaning):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed} ({meaning}), got {value!r}.")
    return value


@_engine.takes_run_settings
def simulate_dyna_plus(
    kappas=(0.0, 1e-3, 1e-2, 1e-1),
    n_experiments=20,
    n_episodes=400,
    *,
    door_episode=200,
    k=10,
    settings: _engine.RunSettings,
    world="shortcut",
    bonus="planning",
) -> DynaPlusResult:
    """Dyna-Q+ (kappa > 0) and Dyna-Q (kappa = 0) when the door (64, up) changes, without demonstration.

    ``world="shortcut"``: the door is closed (a wall, -1) and opens at
    ``door_episode``. ``world="blocking"`` (Sutton & Barto's Example 8.2, with
    walls that cost -1 instead of stopping the agent): the door is open (the
    9-step route) and closes at ``door_episode``, leaving the 19-step route
    through the gap at 14 as the best. Nobody tells the agent.
    ``bonus="planning"`` (Dyna-Q+): in planning the reward is
    ``r + kappa * sqrt(tau)``, ``tau`` the real steps since the pair was last
    tried. ``bonus="action"`` (Exercise 8.4): planning uses the model's reward,
    and the greedy action is the first with the largest
    ``Q(s, a) + kappa * sqrt(tau(s, a))``. With ``kappa = 0`` both are Dyna-Q.
    """
    run = _run(n_experiments, n_episodes, settings)
    world = _choice(world, "world", WORLDS, "the door opens, or the open door closes")
    bonus = _choice(bonus, "bonus", BONUSES, "where the bonus kappa * sqrt(tau) goes: Dyna-Q+ or Exercise 8.4")
    kappas = _sequence(kappas, "kappas", lambda v: _engine._real(v, "kappa", 0.0, 1e6))
    k = _engine._integer(k, "k", 0, _engine.MAX_K)
    door_episode = _engine._integer(door_episode, "door_episode", 0, run.n_episodes - 1)
    run.choose()
    nxt, rew = _tables(None)  # closed, then open
    if world == "blocking":  # open, then closed
        nxt, rew = np.roll(nxt, N_PAIRS), np.roll(rew, N_PAIRS)
    grid = run.world(nxt, rew)
    in_action = bonus == "action"
    shape = (len(kappas), run.n_experiments, run.n_episodes)
    steps, rewards, door = np.zeros(shape), np.zeros(shape), np.zeros(shape, np.int64)
    values = np.zeros(shape[:2] + (N_STATES, N_ACTIONS))
    first = np.zeros(2, np.int64)

    def one(i, e):
        work = _buffers(run.backend, "dyna")
        out = (steps[i, e], rewards[i, e], door[i, e], first)
        run.kernels.run_dyna(
            grid, DOOR_PAIR, door_episode, k, kappas[i], run.rates, run.seeds[e], 0, work, out, in_action
        )
        values[i, e] = np.reshape(work[0], (N_STATES, N_ACTIONS))

    desc = "Dyna-Q+" if bonus == "planning" else "bonus in action selection"
    seconds = run.each(one, desc, len(kappas), run.n_experiments)
    return DynaPlusResult(
        steps, rewards, door > 0, values, kappas, k, door_episode, run.backend, seconds, door, world, bonus
    )


# ------------------------------------------------------------------ prioritized sweeping vs uniform


@dataclass
class SweepResult:
    """``simulate_uniform`` / ``simulate_prioritized``; arrays indexed [setting index, experiment, ...]."""

    method: str  # "uniform" (Dyna-Q) or "prioritized"
    settings: tuple  # k (uniform) or n (prioritized) of each row
    steps: np.ndarray  # (n_settings, n_experiments, n_episodes)
    reward_sums: np.ndarray
    updates: np.ndarray  # value updates (real + planning) made up to the end of each episode
    first_good_updates: np.ndarray  # (n_settings, n_experiments) updates when first near-optimal; -1 never
    first_good_episode: np.ndarray  # same, the episode
    values: np.ndarray  # (n_settings, n_experiments, n_states, n_actions) final values
    theta: float | None
    backend: str
    seconds: float

    def updates_to_good(self, fill=np.nan) -> np.ndarray:
        """first_good_updates as floats, ``fill`` where never reached."""
        out = self.first_good_updates.astype(float)
        out[self.first_good_updates < 0] = fill
        return out

    def reached_fraction(self) -> np.ndarray:
        return (self.first_good_updates >= 0).mean(axis=1)


def _sweep(method, settings, theta, run: _Run) -> SweepResult:
    """``simulate_uniform`` (``method="uniform"``, ``settings`` the k values) or ``simulate_prioritized``
    (``"prioritized"``, the n values, threshold ``theta``), after ``_run`` checked the common settings."""
    what = "planning steps k" if method == "uniform" else "planning updates n"
    settings = _sequence(settings, what, lambda v: _engine._integer(v, f"Each {what}", 0, _engine.MAX_K))
    run.choose()
    grid = run.world(*_tables(False))
    good_len = optimal_path_length(False) + 1
    n_episodes = run.n_episodes
    shape = (len(settings), run.n_experiments, n_episodes)
    steps, rewards, updates = np.zeros(shape), np.zeros(shape), np.zeros(shape, np.int64)
    first = np.zeros((len(settings), run.n_experiments, 2), np.int64)
    values = np.zeros((len(settings), run.n_experiments, N_STATES, N_ACTIONS))

    def one(i, e):
        if method == "uniform":
            work = _buffers(run.backend, "dyna")
            out = (steps[i, e], rewards[i, e], np.zeros(n_episodes, np.int64), first[i, e])
            run.kernels.run_dyna(grid, -1, -1, settings[i], 0.0, run.rates, run.seeds[e], good_len, work, out)
            updates[i, e] = np.cumsum(steps[i, e]).astype(np.int64) * (settings[i] + 1)
        else:
            work = _buffers(run.backend, "prioritized")
            out = (steps[i, e], rewards[i, e], updates[i, e], first[i, e])
            run.kernels.run_prioritized(grid, settings[i], theta, run.rates, run.seeds[e], good_len, work, out)
        values[i, e] = np.reshape(work[0], (N_STATES, N_ACTIONS))

    seconds = run.each(one, method, len(settings), run.n_experiments)
    good_updates, good_episode = first[..., 0].copy(), first[..., 1].copy()
    return SweepResult(
        method, settings, steps, rewards, updates, good_updates, good_episode, values, theta, run.backend, seconds
    )


@_engine.takes_run_settings
def simulate_uniform(
    planning_steps=(5,),
    n_experiments=20,
    n_episodes=50,
    *,
    settings: _engine.RunSettings,
) -> SweepResult:
    """Uniform Dyna-Q (k planning updates per step, pairs drawn uniformly) in the closed world,
    recording the value updates made when the greedy policy is first near-optimal."""
    run = _run(n_experiments, n_episodes, settings)
    return _sweep("uniform", planning_steps, None, run)


@_engine.takes_run_settings
def simulate_prioritized(
    n_updates=(5,),
    n_experiments=20,
    n_episodes=50,
    *,
    theta=1e-4,
    settings: _engine.RunSettings,
) -> SweepResult:
    """Prioritized sweeping (at most n updates per step from the queue, threshold theta) in the
    closed world, recording the value updates made when the greedy policy is first near-optimal."""
    theta = _engine._real(theta, "theta", 0.0, 1e6)
    run = _run(n_experiments, n_episodes, settings)
    return _sweep("prioritized", n_updates, theta, run)


# ------------------------------------------------------------------ slippery world


@dataclass
class SlipperyResult:
    """``simulate_slippery``; arrays indexed [slip index, model index, experiment, ...].

    ``k`` is the planning budget per real step in the unit ``budget``: planning
    updates (``"updates"``) or evaluations of max_a' Q(s', a') (``"evaluations"``).
    ``planning_updates`` and ``evaluations``: what each run actually made in
    planning (real steps' updates not included); ``real_steps()`` the real steps.
    """

    slips: tuple
    models: tuple  # among MODELS, in the order asked
    k: int
    steps: np.ndarray  # (n_slip, n_model, n_experiments, n_episodes)
    reward_sums: np.ndarray
    values: np.ndarray  # (n_slip, n_model, n_experiments, n_states, n_actions) final values
    tried: np.ndarray  # (n_slip, n_model, n_experiments, n_states, n_actions) real tries
    gamma: float
    backend: str
    seconds: float
    budget: str = "updates"
    planning_updates: np.ndarray | None = None  # (n_slip, n_model, n_experiments) int
    evaluations: np.ndarray | None = None  # (n_slip, n_model, n_experiments) int

    def real_steps(self) -> np.ndarray:
        """(n_slip, n_model, n_experiments) real steps of each run."""
        return self.steps.sum(axis=-1).astype(np.int64)

    def updates_per_step(self) -> np.ndarray:
        """(n_slip, n_model, n_experiments) planning updates per real step."""
        return self.planning_updates / self.real_steps()

    def evaluations_per_step(self) -> np.ndarray:
        """(n_slip, n_model, n_experiments) max-Q evaluations (planning) per real step."""
        return self.evaluations / self.real_steps()


@_engine.takes_run_settings
def simulate_slippery(
    slips=(0.2,),
    models=MODELS,
    k=10,
    n_experiments=20,
    n_episodes=100,
    *,
    budget="updates",
    settings: _engine.RunSettings,
) -> SlipperyResult:
    """Dyna-Q in the slippery world (shortcut closed; with probability ``slip`` the chosen action is
    replaced by a uniformly random action), with each of ``models``:

    * ``"cached"``: the last outcome of each pair, sample updates (the tutorial's model);
    * ``"counting-sample"``: the counts, sample updates (a next state drawn with the observed frequencies);
    * ``"counting"``: the counts, expected updates (all next states seen, weighted by their frequencies).

    ``budget="updates"``: ``k`` planning updates per real step. ``budget="evaluations"``: ``k``
    evaluations of max_a' Q(s', a') per real step on average (a sample update costs 1, an expected
    update over b next states seen costs b), kept as a running credit (see ``engine.further_kernels.run_slippery``).
    """
    run = _run(n_experiments, n_episodes, settings)
    slips = _sequence(slips, "slips", lambda v: _engine._real(v, "slip probability", 0.0, 1.0))

    def check_model(m):
        if not isinstance(m, str) or m not in MODELS:
            raise ValueError(
                f"models must be among {MODELS} ("
                + "; ".join(f"{name!r}: {words}" for name, words in MODEL_NAMES.items())
                + f"), got {m!r}."
            )
        return m

    models = _sequence(models, "models", check_model)
    budget = _choice(
        budget, "budget", BUDGETS, "k counts planning updates, or evaluations of max Q(s', a') per real step"
    )
    k = _engine._integer(k, "k", 0, _engine.MAX_K)
    run.choose()
    grid = run.world(*_tables(False))
    shape = (len(slips), len(models), run.n_experiments)
    steps, rewards = np.zeros(shape + (run.n_episodes,)), np.zeros(shape + (run.n_episodes,))
    values = np.zeros(shape + (N_STATES, N_ACTIONS))
    tried = np.zeros(shape + (N_STATES, N_ACTIONS), np.int64)
    work_done = np.zeros(shape + (2,), np.int64)
    evals = budget == "evaluations"

    def one(i, m, e):
        work = _buffers(run.backend, "slippery")
        q, tries, done = work[0], work[9], work[10]
        setting = (slips[i], MODELS.index(models[m]), k, evals)
        out = (steps[i, m, e], rewards[i, m, e], done)
        run.kernels.run_slippery(grid, *setting, run.rates, run.seeds[e], work[:10], out)
        values[i, m, e] = np.reshape(q, (N_STATES, N_ACTIONS))
        tried[i, m, e] = np.reshape(tries, (N_STATES, N_ACTIONS))
        work_done[i, m, e] = done

    seconds = run.each(one, "slippery world", len(slips), len(models), run.n_experiments)
    updates, evaluations = work_done[..., 0].copy(), work_done[..., 1].copy()
    return SlipperyResult(
        slips,
        models,
        k,
        steps,
        rewards,
        values,
        tried,
        run.rates[2],
        run.backend,
        seconds,
        budget,
        updates,
        evaluations,
    )
