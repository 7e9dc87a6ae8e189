"""The tutorial's experiments, run with the student's (or any) Dyna-Q functions.

* ``run_k_sweep``: how much to plan (k in {0, 1, 10, 100}).
* ``run_shortcut_experiment``: Q-learning against Dyna-Q when a shortcut opens.

Both return steps per episode with shape (len(planning_steps), n_experiments,
n_episodes) and show a progress bar. Under nbgrader (``NBGRADER_EXECUTION`` set)
nothing here is graded, so they run a much shorter version and say so, to keep
grading fast.

The same experiments on the fast engine (``engine.py``: a second implementation
of the same agent, hundreds to thousands of times faster), and the check that
the two agree:

* ``fast_k_sweep``, ``fast_shortcut_experiment``: same arguments and result
  shape as above, plus ``seed``;
* ``compare_with_engine``: do the student's runs look like the fast engine's?
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from dynaq_course import engine
from dynaq_course.agent import learn_environment
from dynaq_course.params import MAX_STEPS, TUTORIAL_PARAMS, grading_now, show_progress
from dynaq_course.world import QuentinsWorld

GRADING_SIZE = {"n_experiments": 1, "n_episodes": 10, "shortcut_episode": 5}


def _shorten_for_grading(n_experiments: int, n_episodes: int) -> tuple[int, int]:
    if not grading_now():
        return n_experiments, n_episodes
    print(
        "nbgrader is running this notebook: the experiment is shortened "
        f"({GRADING_SIZE['n_experiments']} experiment, {GRADING_SIZE['n_episodes']} episodes); "
        "nothing in it is graded."
    )
    # The lesson's summaries average fixed episode windows, empty in a shortened run:
    # keep NumPy's "Mean of empty slice" warning out of the student's feedback.
    warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
    warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
    return GRADING_SIZE["n_experiments"], min(n_episodes, GRADING_SIZE["n_episodes"])


def episodes_to_run(n_episodes: int) -> int:
    """How many episodes a lesson cell should run: ``n_episodes``, or a few while nbgrader runs the notebook.

    For loops written out in a notebook (Section 3's Dyna-Q loop) that cannot be
    shortened inside the package: nothing in them is graded, so under nbgrader
    they run ``GRADING_SIZE['n_episodes']`` episodes and say so.
    """
    if not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a whole number of at least 1, got {n_episodes!r}.")
    return _shorten_for_grading(1, int(n_episodes))[1]


def _validated(planning_steps, n_experiments, n_episodes):
    ks = [int(k) for k in planning_steps]
    if any(k < 0 for k in ks):
        raise ValueError(f"Planning steps k must be 0 or more, got {list(planning_steps)}.")
    if n_experiments < 1 or n_episodes < 1:
        raise ValueError("n_experiments and n_episodes must be at least 1.")
    return ks


def run_dyna_q(model_updater, planner, k=10, n_episodes=500, params=None, max_steps=MAX_STEPS):
    """One Dyna-Q agent on Quentin's World: ``(value, reward_sums, episode_steps)``."""
    _validated([k], 1, n_episodes)
    _, n_episodes = _shorten_for_grading(1, n_episodes)
    params = dict(TUTORIAL_PARAMS if params is None else params, k=int(k))
    return learn_environment(QuentinsWorld(), model_updater, planner, params, max_steps, n_episodes)


def run_k_sweep(
    model_updater,
    planner,
    planning_steps=(0, 1, 10, 100),
    n_experiments=10,
    n_episodes=100,
    params=None,
    max_steps=MAX_STEPS,
    progress=True,
):
    """Steps per episode for each k, shape (len(planning_steps), n_experiments, n_episodes)."""
    ks = _validated(planning_steps, n_experiments, n_episodes)
    n_experiments, n_episodes = _shorten_for_grading(n_experiments, n_episodes)
    return _learner_runs(model_updater, planner, ks, n_experiments, n_episodes, params, max_steps, progress, "k sweep")


def run_shortcut_experiment(
    model_updater,
    planner,
    planning_steps=(0, 10),
    n_experiments=1,
    n_episodes=400,
    shortcut_episode=200,
    params=None,
    max_steps=MAX_STEPS,
    progress=True,
):
    """Steps per episode when the shortcut opens at ``shortcut_episode``.

    Each run gets a fresh world (shortcut closed) and is shown the new
    transition once when the shortcut opens. Shape (len(planning_steps),
    n_experiments, n_episodes).
    """
    ks = _validated(planning_steps, n_experiments, n_episodes)
    n_experiments, n_episodes, shortcut_episode = _shortcut_settings(n_experiments, n_episodes, shortcut_episode)
    return _learner_runs(
        model_updater,
        planner,
        ks,
        n_experiments,
        n_episodes,
        params,
        max_steps,
        progress,
        "shortcut experiment",
        shortcut_episode=shortcut_episode,
    )


def _shortcut_settings(n_experiments, n_episodes, shortcut_episode):
    """The shortcut experiment's size (shortened under nbgrader), with ``shortcut_episode`` checked."""
    if grading_now():
        n_experiments, n_episodes = _shorten_for_grading(n_experiments, n_episodes)
        shortcut_episode = GRADING_SIZE["shortcut_episode"]
    if not 0 <= shortcut_episode < n_episodes:
        raise ValueError(f"shortcut_episode must lie in 0..{n_episodes - 1}, got {shortcut_episode}.")
    return n_experiments, n_episodes, shortcut_episode


def _learner_runs(
    model_updater, planner, ks, n_experiments, n_episodes, params, max_steps, progress, desc, shortcut_episode=None
):
    """Steps per episode of ``n_experiments`` runs of the learner's agent for each k, each in a fresh world."""
    params = dict(TUTORIAL_PARAMS if params is None else params)
    steps = np.zeros((len(ks), n_experiments, n_episodes))
    with tqdm(total=len(ks) * n_experiments, desc=desc, unit="run", disable=not show_progress(progress)) as bar:
        for i, k in enumerate(ks):
            params["k"] = k
            for experiment in range(n_experiments):
                bar.set_postfix(k=k)
                steps[i, experiment] = learn_environment(
                    QuentinsWorld(),
                    model_updater,
                    planner,
                    params,
                    max_steps,
                    n_episodes,
                    shortcut_episode=shortcut_episode,
                )[2]
                bar.update()
    return steps


# ---------------------------------------------------------------- the fast engine


def _on_engine(
    planning_steps, n_experiments, n_episodes, params, max_steps, seed, progress, backend, desc, shortcut_episode=None
):
    """The fast engine's runs (``engine.EngineResult``) with the tutorial's (or ``params``') epsilon, alpha, gamma."""
    params = dict(TUTORIAL_PARAMS if params is None else params)
    return engine.simulate(
        planning_steps,
        n_experiments,
        n_episodes,
        shortcut_episode=shortcut_episode,
        max_steps=max_steps,
        seed=seed,
        backend=backend,
        progress=show_progress(progress),
        desc=desc,
        **{name: params[name] for name in ("epsilon", "alpha", "gamma")},
    )


def _on_the_fast_engine(experiment, name: str, desc: str):
    """``experiment`` (``run_k_sweep`` or ``run_shortcut_experiment``) on the fast engine, as the function ``name``.

    Its parameters are the experiment's, with the same defaults and in the same order, without the
    learner's two functions, plus ``seed`` (before ``progress``) and ``backend`` (last); the same
    checks and shortening under nbgrader; it returns the engine's steps per episode, same shape.
    """
    parameters = [
        p for p in inspect.signature(experiment).parameters.values() if p.name not in ("model_updater", "planner")
    ]
    names = [p.name for p in parameters]
    passed_on = {"planning_steps", "n_experiments", "n_episodes", "shortcut_episode", "params", "max_steps", "progress"}
    if not set(names) <= passed_on:  # a new parameter of the experiment must be passed on to the engine below
        raise TypeError(f"{name} does not pass on {sorted(set(names) - passed_on)} of {experiment.__name__}.")
    parameters.insert(
        names.index("progress"), inspect.Parameter("seed", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
    )
    parameters.append(inspect.Parameter("backend", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    signature = inspect.Signature(parameters)

    def on_engine(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{name}(): {err}") from None
        bound.apply_defaults()
        a = bound.arguments
        _validated(a["planning_steps"], a["n_experiments"], a["n_episodes"])
        if "shortcut_episode" in a:
            n_experiments, n_episodes, shortcut_episode = _shortcut_settings(
                a["n_experiments"], a["n_episodes"], a["shortcut_episode"]
            )
        else:
            n_experiments, n_episodes = _shorten_for_grading(a["n_experiments"], a["n_episodes"])
            shortcut_episode = None
        run = (a["planning_steps"], n_experiments, n_episodes, a["params"], a["max_steps"], a["seed"], a["progress"])
        return _on_engine(*run, a["backend"], desc, shortcut_episode=shortcut_episode).steps

    on_engine.__name__ = on_engine.__qualname__ = name
    on_engine.__signature__ = signature
    on_engine.__doc__ = (
        f"``{experiment.__name__}`` on the fast engine: the same parameters without ``model_updater`` and\n"
        "``planner``, plus ``seed`` (an int makes the run repeatable; None draws fresh entropy) and\n"
        "``backend`` (``'numba'``, ``'python'`` or None: ``engine.choose_backend``); the same rules\n"
        f"and result shape. ``{experiment.__name__}``'s own description:\n\n"
    ) + inspect.getdoc(experiment)
    return on_engine


fast_k_sweep = _on_the_fast_engine(run_k_sweep, "fast_k_sweep", "k sweep (fast engine)")
fast_shortcut_experiment = _on_the_fast_engine(
    run_shortcut_experiment, "fast_shortcut_experiment", "shortcut experiment (fast engine)"
)


@dataclass
class AgreementRow:
    k: int
    window: tuple  # (first episode, last episode + 1)
    yours: list  # per run: mean steps per episode in the window
    yours_mean: float
    engine_mean: float
    low: float  # the engine's range for an average of len(yours) runs
    high: float

    @property
    def agree(self) -> bool:
        return self.low <= self.yours_mean <= self.high


@dataclass
class Agreement:
    rows: list
    level: float
    n_engine: int
    backend: str

    @property
    def agree(self) -> bool:
        return all(row.agree for row in self.rows)


def compare_with_engine(
    steps,
    planning_steps,
    windows=None,
    shortcut_episode=None,
    params=None,
    max_steps=MAX_STEPS,
    n_engine=1000,
    level=0.998,
    seed=20240601,
    backend=None,
    verbose=True,
):
    """Do runs of your functions behave like the fast engine's agents? Prints the answer.

    ``steps`` is what ``run_k_sweep`` or ``run_shortcut_experiment`` returned for
    ``planning_steps`` (pass the same ``shortcut_episode``). For every k and every
    window of episodes (default: the first 20), the average number of steps per
    episode of your runs is compared with ``n_engine`` runs of the fast engine
    with the same settings: the fast engine's averages of as many runs as yours
    fall in a range (``level``, 99.8% by default: found by resampling its runs);
    your average agrees when it lies in that range. An agent that learns the
    same way lands outside it only about once in 500 times per check; one that,
    say, ignores k lands far outside.

    Under nbgrader nothing is compared (returns None).
    """
    if grading_now():
        print(
            "nbgrader is running this notebook: the comparison with the fast engine is skipped "
            "(nothing in it is graded)."
        )
        return None
    steps = np.asarray(steps, dtype=float)
    ks = _validated(planning_steps, 1, 1)
    if steps.ndim != 3 or steps.shape[0] != len(ks):
        raise ValueError(
            f"steps must have shape (len(planning_steps), n_runs, n_episodes) = "
            f"({len(ks)}, n_runs, n_episodes); got {steps.shape}."
        )
    n_runs, n_episodes = steps.shape[1:]
    if windows is None:
        windows = [(0, min(20, n_episodes))]
    windows = [(int(a), int(b)) for a, b in windows]
    if any(not 0 <= a < b <= n_episodes for a, b in windows):
        raise ValueError(f"Each window (first, stop) must satisfy 0 <= first < stop <= {n_episodes}; got {windows}.")
    backend = engine.choose_backend(backend)
    if backend == "python":
        n_engine = min(n_engine, 200)  # the plain-Python engine is slower: fewer runs, same check
    result = _on_engine(
        ks,
        n_engine,
        n_episodes,
        params,
        max_steps,
        seed,
        True,
        backend,
        "fast engine (for the comparison)",
        shortcut_episode=shortcut_episode,
    )
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    for i, k in enumerate(ks):
        for a, b in windows:
            yours = steps[i, :, a:b].mean(axis=1)
            theirs = result.steps[i, :, a:b].mean(axis=1)
            resampled = theirs[rng.integers(0, len(theirs), (20_000, n_runs))].mean(axis=1)
            low, high = np.quantile(resampled, [tail, 1 - tail])
            rows.append(
                AgreementRow(
                    k, (a, b), yours.tolist(), float(yours.mean()), float(theirs.mean()), float(low), float(high)
                )
            )
    agreement = Agreement(rows, level, n_engine, result.backend)
    if verbose:
        _print_agreement(agreement, n_runs)
    return agreement


def _print_agreement(agreement: Agreement, n_runs: int) -> None:
    runs = "your run" if n_runs == 1 else f"your {n_runs} runs"
    print(
        f"Average steps per episode: {runs} against {agreement.n_engine} runs of the fast engine ({agreement.backend})."
    )
    print(
        f"'engine range': where {agreement.level:.1%} of the fast engine's averages over "
        f"{n_runs} run{'s' if n_runs > 1 else ''} fall."
    )
    header = f"{'k':>5}  {'episodes':>9}  {'your runs':>18}  {'average':>7}  {'engine':>6}  {'engine range':>13}"
    print(header)
    for row in agreement.rows:
        episodes = f"{row.window[0]}-{row.window[1] - 1}"
        each = ", ".join(f"{v:.1f}" for v in row.yours)
        if len(each) > 18:
            each = each[:15] + "..."
        print(
            f"{row.k:>5}  {episodes:>9}  {each:>18}  {row.yours_mean:7.1f}  {row.engine_mean:6.1f}  "
            f"{row.low:6.1f}-{row.high:<6.1f}  {'agree' if row.agree else 'DISAGREE'}"
        )
    if agreement.agree:
        print(
            "Your functions and the fast engine agree: the experiments below, run on the fast engine, "
            "show what your agent does."
        )
    else:
        print(
            "Your functions and the fast engine DISAGREE on the rows marked above. Your agent learns "
            "differently from the tutorial's Dyna-Q: check Exercises 2 and 3 (run their self-checks), "
            "save those notebooks and run this notebook again. (A correct agent lands outside a range "
            "by bad luck only about once in 500 checks: re-run with another seed to be sure.)"
        )
