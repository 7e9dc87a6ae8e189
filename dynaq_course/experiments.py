"""The tutorial's experiments, run with the student's (or any) Dyna-Q functions.

* ``run_k_sweep``: how much to plan (k in {0, 1, 10, 100}).
* ``run_shortcut_experiment``: Q-learning against Dyna-Q when a shortcut opens.

Both return steps per episode with shape (len(planning_steps), n_experiments,
n_episodes) and show a progress bar. Under nbgrader (``NBGRADER_EXECUTION`` set)
nothing here is graded, so they run a much shorter version and say so, to keep
grading fast.
"""
from __future__ import annotations

import os

import numpy as np
from tqdm.auto import tqdm

from .agent import learn_environment
from .world import QuentinsWorld

TUTORIAL_PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
MAX_STEPS = 1000
GRADING_SIZE = {"n_experiments": 1, "n_episodes": 10, "shortcut_episode": 5}


def grading_now() -> bool:
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _show_progress(progress: bool) -> bool:
    """Progress bars unless switched off, grading, or building saved notebooks."""
    return progress and not grading_now() and not os.environ.get("DYNAQ_NO_PROGRESS")


def _shorten_for_grading(n_experiments: int, n_episodes: int) -> tuple[int, int]:
    if not grading_now():
        return n_experiments, n_episodes
    print("nbgrader is running this notebook: the experiment is shortened "
          f"({GRADING_SIZE['n_experiments']} experiment, {GRADING_SIZE['n_episodes']} episodes); "
          "nothing in it is graded.")
    return GRADING_SIZE["n_experiments"], min(n_episodes, GRADING_SIZE["n_episodes"])


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


def run_k_sweep(model_updater, planner, planning_steps=(0, 1, 10, 100), n_experiments=10,
                n_episodes=100, params=None, max_steps=MAX_STEPS, progress=True):
    """Steps per episode for each k, shape (len(planning_steps), n_experiments, n_episodes)."""
    ks = _validated(planning_steps, n_experiments, n_episodes)
    n_experiments, n_episodes = _shorten_for_grading(n_experiments, n_episodes)
    params = dict(TUTORIAL_PARAMS if params is None else params)
    env = QuentinsWorld()
    steps = np.zeros((len(ks), n_experiments, n_episodes))
    with tqdm(total=len(ks) * n_experiments, desc="k sweep", unit="run",
              disable=not _show_progress(progress)) as bar:
        for i, k in enumerate(ks):
            params["k"] = k
            for experiment in range(n_experiments):
                bar.set_postfix(k=k)
                steps[i, experiment] = learn_environment(
                    env, model_updater, planner, params, max_steps, n_episodes)[2]
                bar.update()
    return steps


def run_shortcut_experiment(model_updater, planner, planning_steps=(0, 10), n_experiments=1,
                            n_episodes=400, shortcut_episode=200, params=None,
                            max_steps=MAX_STEPS, progress=True):
    """Steps per episode when the shortcut opens at ``shortcut_episode``.

    Each run gets a fresh world (shortcut closed) and is shown the new
    transition once when the shortcut opens. Shape (len(planning_steps),
    n_experiments, n_episodes).
    """
    ks = _validated(planning_steps, n_experiments, n_episodes)
    if grading_now():
        n_experiments, n_episodes = _shorten_for_grading(n_experiments, n_episodes)
        shortcut_episode = GRADING_SIZE["shortcut_episode"]
    if not 0 <= shortcut_episode < n_episodes:
        raise ValueError(f"shortcut_episode must lie in 0..{n_episodes - 1}, got {shortcut_episode}.")
    params = dict(TUTORIAL_PARAMS if params is None else params)
    steps = np.zeros((len(ks), n_experiments, n_episodes))
    with tqdm(total=len(ks) * n_experiments, desc="shortcut experiment", unit="run",
              disable=not _show_progress(progress)) as bar:
        for i, k in enumerate(ks):
            params["k"] = k
            for experiment in range(n_experiments):
                bar.set_postfix(k=k)
                steps[i, experiment] = learn_environment(
                    QuentinsWorld(), model_updater, planner, params, max_steps, n_episodes,
                    shortcut_episode=shortcut_episode)[2]
                bar.update()
    return steps
