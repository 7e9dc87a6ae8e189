"""Record many runs of the reference loop, for the fast engine's equivalence tests.

    python tests/data/make_reference_runs.py          # about 7 minutes on 2 cores

Runs the package's ``agent.learn_environment`` (the tutorial's loop, checked
step for step against it in test_agent.py) with the instructor's reference
solutions from source/, once per seed (``np.random.seed(seed)``), and saves
steps per episode and the final value table of every run to
``reference_runs.npz`` next to this file. ``tests/test_engine_statistics.py``
compares the fast engine with these runs. Re-record them when the agent loop,
the world or the reference solutions change.
"""

import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from dynaq_course.agent import learn_environment  # noqa: E402
from dynaq_course.checks.loader import load_exercise  # noqa: E402
from dynaq_course.grading.editions import ASSIGNMENT  # noqa: E402
from dynaq_course.world import QuentinsWorld  # noqa: E402

PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
MAX_STEPS = 1000
# name: (k, n_episodes, shortcut_episode, n_runs, first seed)
SETTINGS = {
    "sweep_k0": (0, 100, None, 300, 1_000_000),
    "sweep_k1": (1, 100, None, 300, 1_100_000),
    "sweep_k10": (10, 100, None, 200, 1_200_000),
    "sweep_k100": (100, 100, None, 50, 1_300_000),
    "shortcut_k0": (0, 400, 200, 200, 1_400_000),
    "shortcut_k10": (10, 400, 200, 60, 1_500_000),
}
_FUNCTIONS = {}


def _run(job):
    name, index, seed = job
    k, n_episodes, shortcut_episode, _, _ = SETTINGS[name]
    np.random.seed(seed)
    value, _, steps = learn_environment(
        QuentinsWorld(),
        _FUNCTIONS["update"],
        _FUNCTIONS["planning"],
        dict(PARAMS, k=k),
        MAX_STEPS,
        n_episodes,
        shortcut_episode=shortcut_episode,
    )
    return name, index, steps, value


def main():
    source = ROOT / "source" / ASSIGNMENT
    _FUNCTIONS["update"] = load_exercise("dyna_q_model_update", source, verbose=False)
    _FUNCTIONS["planning"] = load_exercise("dyna_q_planning", source, verbose=False)
    jobs = [(name, i, first + i) for name, (k, _, _, n, first) in SETTINGS.items() for i in range(n)]
    jobs.sort(key=lambda job: -(SETTINGS[job[0]][0] + 1) * SETTINGS[job[0]][1])  # long runs first
    out = {
        name: (np.zeros((n, n_ep), np.int16), np.zeros((n, 100, 4), np.float32))
        for name, (_, n_ep, _, n, _) in SETTINGS.items()
    }
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for done, (name, index, steps, value) in enumerate(pool.imap_unordered(_run, jobs), 1):
            out[name][0][index] = steps
            out[name][1][index] = value
            if done % 50 == 0:
                print(f"{done}/{len(jobs)} runs, {time.perf_counter() - start:.0f} s", flush=True)
    arrays = {}
    for name, (steps, values) in out.items():
        k, n_episodes, shortcut_episode, n, first = SETTINGS[name]
        arrays[f"{name}_steps"] = steps
        arrays[f"{name}_values"] = values
        arrays[f"{name}_settings"] = np.array(
            [k, n_episodes, -1 if shortcut_episode is None else shortcut_episode, n, first]
        )
    np.savez_compressed(HERE / "reference_runs.npz", **arrays)
    print(f"wrote {HERE / 'reference_runs.npz'} ({len(jobs)} runs, {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
