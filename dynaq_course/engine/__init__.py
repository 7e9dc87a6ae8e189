"""The fast engine: the same Dyna-Q agent on the same world, many experiments at once.

``agent.learn_environment`` runs the student's own functions, one Python call per
step and per planning update: the tutorial's k sweep (k in {0, 1, 10, 100}, 10
experiments of 100 episodes) takes tens of seconds that way. This module is a
second implementation of the same agent for sweeps and sliders:

* same world (``world.NEXT_STATE_TABLE`` / ``world.REWARD_TABLE``, shortcut
  included), same hyperparameters, same rules: values start at 1; epsilon-greedy
  with ties to the first best action; one Q-learning update per real step with
  nothing bootstrapped after the goal; the model keeps the last (reward, next
  state) of every tried pair; ``k`` planning updates per step, each from a pair
  drawn uniformly among the pairs observed so far; an episode ends with the
  step taken from the goal or after ``max_steps``; the shortcut experiment
  opens the door at ``shortcut_episode`` and shows the agent (64, up) once;
* its own random numbers: every experiment has its own seeded stream, so a run
  is repeatable (same seed, same backend, same numbers) but does not reproduce
  ``np.random``'s stream. It matches the reference loop in distribution, which
  ``tests/test_engine_statistics.py`` checks over many seeds.

Two backends, chosen automatically (or with ``DYNAQ_ENGINE=numba|python``):

* ``"numba"``: a compiled kernel, about 10 ns per Q-update. Compiled once (a few
  seconds) and cached on disk; later kernels load it in well under a second.
* ``"python"``: plain Python and NumPy, for machines where numba cannot be
  installed (e.g. Pyodide/JupyterLite); about 30x slower than numba, and still
  tens of times faster than the tutorial's loop.

While nbgrader runs a notebook the automatic choice is ``"python"``: grading
kernels then never load the compiler (the experiments are shortened there).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import numbers
import os
import time
from dataclasses import dataclass, field, fields

import numpy as np

from dynaq_course import world as _world
from dynaq_course.params import MAX_STEPS, TUTORIAL_PARAMS, show_progress
from dynaq_course.params import grading_now as _grading_now

ENGINE_ENV = "DYNAQ_ENGINE"
BACKENDS = ("numba", "python")
MAX_K = 100_000
CHUNK_SECONDS = 0.2  # a progress bar moves at least this often
PROGRESS_DELAY = 1.0  # a progress bar appears only for runs longer than this

_compiled = {}  # module name -> the imported module of compiled kernels, or its import error
_warm = set()
_announced = set()


# ------------------------------------------------------------------ backends


def _load_numba(module: str = "_numba"):
    """The compiled kernels' module ``dynaq_course.engine.<module>`` (``"_numba"``: this engine's,
    ``"_further_numba"``: Section 6's), imported once; None when the import fails
    (``_numba_error(module)`` keeps the error)."""
    if module not in _compiled:
        try:
            _compiled[module] = importlib.import_module(f"dynaq_course.engine.{module}")
        except Exception as err:  # noqa: BLE001 - ImportError, or a broken numba/llvmlite install
            _compiled[module] = err
    loaded = _compiled[module]
    return None if isinstance(loaded, Exception) else loaded


def _numba_error(module: str = "_numba") -> Exception | None:
    """Why ``_load_numba(module)`` returned None (None when it loaded or was not tried yet)."""
    loaded = _compiled.get(module)
    return loaded if isinstance(loaded, Exception) else None


def numba_available() -> bool:
    return _load_numba() is not None


def _announce(key: str, message: str) -> None:
    if key not in _announced:
        _announced.add(key)
        print(message)


def choose_backend(backend: str | None = None) -> str:
    """``backend``, else ``$DYNAQ_ENGINE``, else numba when it can be imported."""
    requested = backend if backend is not None else os.environ.get(ENGINE_ENV, "auto")
    requested = str(requested).strip().lower() or "auto"
    if requested not in BACKENDS + ("auto",):
        source = "backend" if backend is not None else ENGINE_ENV
        raise ValueError(f"{source} must be one of 'auto', 'numba', 'python'; got {requested!r}.")
    if requested == "python":
        return "python"
    if requested == "numba":
        if _load_numba() is None:
            raise ImportError(
                f"The numba engine was requested but numba cannot be imported here "
                f"({_numba_error()}). Install it (pip install numba) or use backend='python'."
            )
        return "numba"
    if _grading_now():
        return "python"
    if _load_numba() is None:
        _announce(
            "fallback",
            "Fast engine: numba is not available here "
            f"({type(_numba_error()).__name__}: {_numba_error()}), so the experiments run on the "
            "plain-Python engine: slower than with numba, still much faster than the loop "
            "that runs your functions.",
        )
        return "python"
    return "numba"


def warm_up(backend: str | None = None, verbose: bool = False) -> float:
    """Load (or, the first time on this machine, compile) the engine; returns seconds.

    Later calls are free. The widgets call this when they are built, so that
    moving a slider never pays for it.
    """
    backend = choose_backend(backend)
    if backend in _warm:
        return 0.0
    start = time.perf_counter()
    simulate([1], n_experiments=1, n_episodes=2, seed=0, backend=backend, progress=False)
    seconds = time.perf_counter() - start
    _warm.add(backend)
    if verbose and seconds > 1.0:
        print(
            f"Fast engine: ready in {seconds:.1f} s (compiled the first time on this machine, then loaded from disk)."
        )
    return seconds


# ------------------------------------------------------------------ validation


def _integer(value, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    if not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    number = int(value)
    if number < low or (high is not None and number > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}.")
    return number


def _real(value, name: str, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}.")
    number = float(value)
    if not math.isfinite(number) or number > high or number < low or (low_open and number == low):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}.")
    return number


def _planning_steps(planning_steps) -> tuple[int, ...]:
    if isinstance(planning_steps, (numbers.Real, np.integer)) and not isinstance(planning_steps, bool):
        planning_steps = [planning_steps]
    try:
        values = list(planning_steps)
    except TypeError:
        raise ValueError(f"planning_steps must be a list of k values, got {planning_steps!r}.") from None
    if not values:
        raise ValueError("planning_steps is empty: give at least one k.")
    return tuple(_integer(k, "Each planning step count k", 0, MAX_K) for k in values)


def check_settings(
    planning_steps,
    n_experiments,
    n_episodes,
    *,
    epsilon=TUTORIAL_PARAMS["epsilon"],
    alpha=TUTORIAL_PARAMS["alpha"],
    gamma=TUTORIAL_PARAMS["gamma"],
    max_steps=MAX_STEPS,
    shortcut_episode=None,
):
    """Validate an experiment's settings (ValueError with a clear message); return them normalised:
    (ks, n_experiments, n_episodes, epsilon, alpha, gamma, max_steps, shortcut_episode)."""
    ks = _planning_steps(planning_steps)
    n_experiments = _integer(n_experiments, "n_experiments", 1)
    n_episodes = _integer(n_episodes, "n_episodes", 1)
    max_steps = _integer(max_steps, "max_steps", 1)
    epsilon = _real(epsilon, "epsilon", 0.0, 1.0)
    alpha = _real(alpha, "alpha", 0.0, 1.0, low_open=True)
    gamma = _real(gamma, "gamma", 0.0, 1.0)
    if shortcut_episode is not None:
        shortcut_episode = _integer(shortcut_episode, "shortcut_episode", 0, n_episodes - 1)
    return ks, n_experiments, n_episodes, epsilon, alpha, gamma, max_steps, shortcut_episode


def _seeds(seed, n_experiments: int) -> list[np.random.SeedSequence]:
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    elif seed is None:
        root = np.random.SeedSequence()
    else:
        root = np.random.SeedSequence(_integer(seed, "seed", 0))
    return root.spawn(n_experiments)


# ------------------------------------------------------------------ results


@dataclass
class EngineResult:
    """What ``simulate`` returns. Arrays are indexed [k index, experiment, ...]."""

    steps: np.ndarray  # (n_k, n_experiments, n_episodes) steps per episode
    reward_sums: np.ndarray  # (n_k, n_experiments, n_episodes) total reward per episode
    values: np.ndarray  # (n_k, n_experiments, n_states, n_actions) final values
    planning_steps: tuple
    epsilon: float
    alpha: float
    gamma: float
    max_steps: int
    shortcut_episode: int | None
    backend: str
    seconds: float
    q_updates: int = field(default=0)

    @property
    def ns_per_update(self) -> float:
        return 1e9 * self.seconds / max(self.q_updates, 1)


def _count_updates(steps: np.ndarray, ks, shortcut_episode) -> int:
    per_k = steps.sum(axis=(1, 2))
    total = int(sum(int(n) * (k + 1) for n, k in zip(per_k, ks)))
    if shortcut_episode is not None:
        total += steps.shape[0] * steps.shape[1]  # the one demonstration per experiment
    return total


# ------------------------------------------------------------------ running


def _progress_bar(total: int, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", delay=PROGRESS_DELAY, disable=not show_progress(progress))


class _Report:
    """Progress of a run: the tqdm bar and the caller's callback."""

    def __init__(self, bar, total, callback):
        self.bar, self.total, self.callback, self.done = bar, total, callback, 0

    def update(self, n):
        self.done += n
        self.bar.update(n)
        if self.callback is not None:
            self.callback(self.done, self.total)


def _run_numba(jobs, seeds, epsilon, alpha, gamma, max_steps, n_episodes, shortcut_episode, out, bar):
    kernel = _load_numba().run_batch
    steps, rewards, values = out
    ks = np.ascontiguousarray([k for k, _ in jobs], dtype=np.int64)
    epsilons = np.full(len(jobs), epsilon, dtype=np.float64)
    states = np.empty((len(jobs), 4), dtype=np.uint64)
    for j, (_, e) in enumerate(jobs):
        state = seeds[e].generate_state(4, np.uint64)
        if not state.any():  # xoshiro's one forbidden state (probability 2**-256)
            state[0] = 1
        states[j] = state
    shortcut = -1 if shortcut_episode is None else shortcut_episode
    done, chunk = 0, 1
    while done < len(jobs):
        stop = min(len(jobs), done + chunk)
        start = time.perf_counter()
        kernel(
            _world.NEXT_STATE_TABLE,
            _world.REWARD_TABLE,
            _world.START_STATE,
            _world.SHORTCUT_FROM,
            _world.SHORTCUT_ACTION,
            ks[done:stop],
            epsilons[done:stop],
            states[done:stop],
            alpha,
            gamma,
            max_steps,
            n_episodes,
            shortcut,
            steps[done:stop],
            rewards[done:stop],
            values[done:stop],
        )
        elapsed = time.perf_counter() - start
        bar.update(stop - done)
        per_job = elapsed / (stop - done)
        chunk = max(1, min(4 * chunk, int(CHUNK_SECONDS / per_job) if per_job > 0 else 4 * chunk))
        done = stop


_PY_TABLES = None


def _python_tables():
    global _PY_TABLES
    if _PY_TABLES is None:
        n_states = _world.N_STATES
        nxt = [[n_states if v < 0 else int(v) for v in table.ravel()] for table in _world.NEXT_STATE_TABLE]
        rew = [table.ravel().tolist() for table in _world.REWARD_TABLE]
        _PY_TABLES = (nxt, rew)
    return _PY_TABLES


def _run_python(jobs, seeds, epsilon, alpha, gamma, max_steps, n_episodes, shortcut_episode, out, bar):
    from dynaq_course.engine import _python as _engine_python

    steps, rewards, values = out
    nxt, rew = _python_tables()
    shortcut_pair = _world.SHORTCUT_FROM * _world.N_ACTIONS + _world.SHORTCUT_ACTION
    world = (nxt, rew, _world.N_STATES, _world.N_ACTIONS, _world.START_STATE, shortcut_pair)
    rates = (epsilon, alpha, gamma, max_steps, n_episodes, -1 if shortcut_episode is None else shortcut_episode)
    for j, (k, e) in enumerate(jobs):
        s, r, q = _engine_python.run_one(world, rates, k, seeds[e])
        steps[j] = s
        rewards[j] = r
        values[j] = np.reshape(q, (_world.N_STATES, _world.N_ACTIONS))
        bar.update(1)


@dataclass(frozen=True)
class RunSettings:
    """How a simulation runs, apart from what it simulates: the keyword-only parameters that ``simulate``
    and Section 6's ``simulate_*`` (``going_further.engine``) all take, with their defaults.

    * ``epsilon``, ``alpha``, ``gamma``: the agent's exploration rate, step size and discount
      (the tutorial's 0.05, 0.5 and 0.8 by default);
    * ``max_steps``: an episode that has not reached the goal ends after this many steps;
    * ``seed``: an int or a ``np.random.SeedSequence`` makes the result repeatable on a given
      backend; None draws fresh entropy;
    * ``backend``: ``"numba"``, ``"python"`` or None (``choose_backend``: ``$DYNAQ_ENGINE``, else
      numba when it can be imported);
    * ``progress``: a progress bar appears for runs longer than about a second;
    * ``callback``: ``callback(done, total)``, if given, is called as experiments finish (the
      widgets use it).
    """

    epsilon: float = TUTORIAL_PARAMS["epsilon"]
    alpha: float = TUTORIAL_PARAMS["alpha"]
    gamma: float = TUTORIAL_PARAMS["gamma"]
    max_steps: int = MAX_STEPS
    seed: object = None
    backend: str | None = None
    progress: bool = True
    callback: object = None

    def rates(self) -> dict:
        """The agent's settings, by name: epsilon, alpha, gamma and max_steps."""
        return {"epsilon": self.epsilon, "alpha": self.alpha, "gamma": self.gamma, "max_steps": self.max_steps}


def takes_run_settings(simulate):
    """``simulate`` with each field of ``RunSettings`` as a keyword-only parameter of its own.

    ``simulate`` declares one keyword-only parameter ``settings``; the function returned takes, in
    its place, every field of ``RunSettings`` by name with its default (help() and
    ``inspect.signature`` show them), gathers them into a ``RunSettings`` and passes that on. Its
    docstring ends with ``RunSettings``' list of what they mean.
    """
    signature = inspect.signature(simulate)
    names = [f.name for f in fields(RunSettings)]
    own = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default) for f in fields(RunSettings)]
    parameters = []
    for parameter in signature.parameters.values():
        parameters += own if parameter.name == "settings" else [parameter]

    @functools.wraps(simulate)
    def with_settings(*args, **kwargs):
        settings = RunSettings(**{name: kwargs.pop(name) for name in names if name in kwargs})
        return simulate(*args, settings=settings, **kwargs)

    with_settings.__signature__ = signature.replace(parameters=parameters)
    with_settings.__doc__ = inspect.cleandoc(simulate.__doc__) + "\n\n" + inspect.getdoc(RunSettings)
    return with_settings


@takes_run_settings
def simulate(
    planning_steps=(0, 1, 10, 100),
    n_experiments=10,
    n_episodes=100,
    *,
    settings: RunSettings,
    shortcut_episode=None,
    desc="fast engine",
) -> EngineResult:
    """Run ``n_experiments`` independent Dyna-Q agents for every k in ``planning_steps``.

    Experiment ``e`` uses the same random stream for every k (common random
    numbers: comparisons between k values are less noisy); experiments are
    independent of one another. With ``shortcut_episode`` the shortcut opens at
    that episode (0-based) and each agent is shown (64, up) once, as in
    ``run_shortcut_experiment``. ``desc`` labels the progress bar.
    """
    ks, n_experiments, n_episodes, epsilon, alpha, gamma, max_steps, shortcut_episode = check_settings(
        planning_steps, n_experiments, n_episodes, shortcut_episode=shortcut_episode, **settings.rates()
    )
    backend = choose_backend(settings.backend)
    seeds = _seeds(settings.seed, n_experiments)

    jobs = [(k, e) for k in ks for e in range(n_experiments)]
    shape = (len(jobs), n_episodes)
    out = (np.zeros(shape), np.zeros(shape), np.zeros((len(jobs), _world.N_STATES, _world.N_ACTIONS)))
    runner = _run_numba if backend == "numba" else _run_python
    start = time.perf_counter()
    with _progress_bar(len(jobs), desc, settings.progress) as bar:
        report = _Report(bar, len(jobs), settings.callback)
        runner(jobs, seeds, epsilon, alpha, gamma, max_steps, n_episodes, shortcut_episode, out, report)
    seconds = time.perf_counter() - start
    steps, rewards, values = (a.reshape((len(ks), n_experiments) + a.shape[1:]) for a in out)
    return EngineResult(
        steps=steps,
        reward_sums=rewards,
        values=values,
        planning_steps=ks,
        epsilon=epsilon,
        alpha=alpha,
        gamma=gamma,
        max_steps=max_steps,
        shortcut_episode=shortcut_episode,
        backend=backend,
        seconds=seconds,
        q_updates=_count_updates(steps, ks, shortcut_episode),
    )
