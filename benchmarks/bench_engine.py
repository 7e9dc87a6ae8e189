"""Benchmark: the tutorial's loop against the fast engine, in one process and one run.

    python benchmarks/bench_engine.py                  # about 4 minutes; most of it is the loops
    python benchmarks/bench_engine.py --skip-course-loop --skip-notebook

Measures, one after the other in this process:

1. the fast engine's warm-up (loading the cached numba kernel, or compiling it);
2. the tutorial's k sweep (k in {0, 1, 10, 100}, 10 experiments of 100 episodes)
   with the tutorial's own loop, re-implemented operation for operation in
   ``tutorial_loop.py``; then the same sweep with the course's loop
   (``agent.learn_environment`` and the reference solutions, what the notebooks
   run with a learner's functions);
3. the same sweep on the fast engine: numba (median of 20 runs) and the
   plain-Python fallback (median of 3);
4. the tutorial's shortcut experiment (k = 0 and 10, one run each, 400
   episodes, door at 200) with the tutorial's loop and on both engines;
5. one slider move of the k-sweep explorer at k = 100, epsilon = 0.05 (10
   experiments x 100 episodes): compute + redraw, median of 30 moves;
6. Section 4's notebook, Run All in a fresh kernel (kernel start included),
   against a tenth of the tutorial's sweep.

Every time is wall-clock (``time.perf_counter``). Cost per Q-update: seconds
divided by the number of Q-learning updates the run made (one per real step,
k per planning call, one per shortcut demonstration).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["DYNAQ_NO_PROGRESS"] = "1"          # no progress bars in the timings

import tutorial_loop  # noqa: E402

from dynaq_course import engine  # noqa: E402

SWEEP_KS = (0, 1, 10, 100)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def updates(steps: np.ndarray, ks, shortcut: bool = False) -> int:
    """Q-learning updates made by runs with these steps per episode (axis 0 = k)."""
    steps = np.asarray(steps)
    per_k = steps.reshape(len(ks), -1).sum(axis=1)
    runs = steps.reshape(len(ks), -1, steps.shape[-1]).shape[1]
    return int(sum(int(n) * (k + 1) for n, k in zip(per_k, ks)) + (len(ks) * runs if shortcut else 0))


def timed(function, repeats: int = 1):
    """(median seconds, last result, all seconds, all results)."""
    times, results = [], []
    for i in range(repeats):
        start = time.perf_counter()
        results.append(function(i))
        times.append(time.perf_counter() - start)
    return statistics.median(times), results[-1], times, results


def engine_timed(repeats: int, **settings):
    """Median seconds, median ns per Q-update and the median Q-update count of engine runs."""
    median, _, times, results = timed(lambda i: engine.simulate(seed=i, progress=False, **settings), repeats)
    ns = statistics.median(1e9 * t / r.q_updates for t, r in zip(times, results))
    return median, ns, int(statistics.median(r.q_updates for r in results))


def line(label: str, seconds: float, n_updates: int | None = None, ns: float | None = None) -> str:
    text = f"  {label:<56s} {seconds * 1000:10.1f} ms" if seconds < 10 else f"  {label:<56s} {seconds:10.2f} s "
    if n_updates:
        ns = 1e9 * seconds / n_updates if ns is None else ns
        text += f"   {n_updates / 1e6:5.2f} M Q-updates, {ns:9.1f} ns each"
    return text


def verdict(value: float, goal: float, above: bool = True) -> str:
    ok = value >= goal if above else value <= goal
    return "meets the goal" if ok else "MISSES the goal"


def run_notebook(name: str) -> tuple[float, float]:
    """Run a worked-solutions notebook in a fresh kernel: (start -> last cell done, incl. shutdown)."""
    import nbformat
    from nbclient import NotebookClient

    from dynaq_course.editions import build_solutions, course_root

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_solutions(course_root(), folder, execute=False)
        nb = nbformat.read(folder / name, as_version=4)
        os.environ.pop("DYNAQ_NO_PROGRESS", None)      # as a learner runs it: progress bars, live sliders
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})
        start = time.perf_counter()
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            done = time.perf_counter() - start
        total = time.perf_counter() - start
        os.environ["DYNAQ_NO_PROGRESS"] = "1"
        os.environ["MPLBACKEND"] = "Agg"
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        if errors:
            raise RuntimeError(f"{name} raised {errors[0].ename}: {errors[0].evalue}")
    return done, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-course-loop", action="store_true", help="do not time the course's loop")
    parser.add_argument("--skip-notebook", action="store_true", help="do not time Section 4's Run All")
    args = parser.parse_args(argv)

    import numba  # noqa: F401  (for the version line; the engine imports it itself)

    print(f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}; "
          f"Python {platform.python_version()}, numpy {np.__version__}, numba {sys.modules['numba'].__version__}")
    print()

    # 1. warm-up --------------------------------------------------------------------------
    print("fast engine warm-up (once per kernel; not part of any timing below)")
    for backend in ("numba", "python"):
        seconds = engine.warm_up(backend)
        what = "load the cached machine code (or compile) + first call" if backend == "numba" else "first call"
        print(line(f"{backend}: {what}", seconds))
    print()

    # 2. the engine, fresh -------------------------------------------------------------------
    sweep = dict(planning_steps=SWEEP_KS, n_experiments=10, n_episodes=100)
    short = dict(planning_steps=(0, 10), n_experiments=1, n_episodes=400, shortcut_episode=200)
    print("fast engine (measured first, and again after the loops below)")
    t_numba, ns_numba, n_sweep = engine_timed(20, backend="numba", **sweep)
    print(line("k sweep, numba (median of 20 seeds)", t_numba, n_sweep, ns_numba))
    t_python, ns_python, n = engine_timed(3, backend="python", **sweep)
    print(line("k sweep, plain Python/NumPy (median of 3 seeds)", t_python, n, ns_python))
    t_numba_short, ns, n = engine_timed(50, backend="numba", **short)
    print(line("shortcut, numba (median of 50 seeds)", t_numba_short, n, ns))
    t_python_short, ns, n = engine_timed(5, backend="python", **short)
    print(line("shortcut, plain Python/NumPy (median of 5 seeds)", t_python_short, n, ns))
    print()

    from dynaq_course.widgets import Explorer

    print("slider move: k = 100, epsilon = 0.05, Q-learning + Dyna-Q x 10 experiments x 100 episodes")
    slider = {}
    for backend, moves in (("numba", 30), ("python", 5)):
        explorer = Explorer("k_sweep", k=100, epsilon=0.05, backend=backend)
        explorer.timings.clear()
        for i in range(moves):
            explorer.seed = 1000 + i            # a fresh run each time
            explorer.update()
        compute = statistics.median(c for c, _ in explorer.timings)
        draw = statistics.median(d for _, d in explorer.timings)
        total = statistics.median(c + d for c, d in explorer.timings)
        slider[backend] = total
        print(line(f"{backend}: compute (median of {moves})", compute, explorer.last["result"].q_updates))
        print(line(f"{backend}: redraw, PNG into the image widget", draw))
        print(line(f"{backend}: compute + redraw", total))
    print()

    # 3. the loops ------------------------------------------------------------------------
    print("k sweep: k in {0, 1, 10, 100} x 10 experiments x 100 episodes, np.random.seed(1)")
    print("  (the loops take a few minutes)", flush=True)
    t_tutorial, steps, _, _ = timed(lambda i: tutorial_loop.k_sweep())
    n_tutorial = updates(steps, SWEEP_KS)
    print(line("tutorial's loop (re-implemented, tutorial_loop.py)", t_tutorial, n_tutorial), flush=True)
    t_course = t_course_short = None
    if not args.skip_course_loop:
        from dynaq_course.editions import ASSIGNMENT
        from dynaq_course.exercises import load_exercise
        from dynaq_course.experiments import run_k_sweep, run_shortcut_experiment

        source = ROOT / "source" / ASSIGNMENT
        update = load_exercise("dyna_q_model_update", source, verbose=False)
        planning = load_exercise("dyna_q_planning", source, verbose=False)
        np.random.seed(1)
        t_course, steps, _, _ = timed(lambda i: run_k_sweep(update, planning, progress=False))
        print(line("course's loop (learn_environment + reference solutions)", t_course,
                   updates(steps, SWEEP_KS)), flush=True)
    print()
    print("shortcut experiment: k in {0, 10} x 1 run x 400 episodes, door opens at episode 200")
    t_tut_short, steps, _, _ = timed(lambda i: tutorial_loop.shortcut_experiment())
    print(line("tutorial's loop", t_tut_short, updates(steps[:, None, :], (0, 10), shortcut=True)))
    if not args.skip_course_loop:
        np.random.seed(1)
        t_course_short, steps, _, _ = timed(lambda i: run_shortcut_experiment(update, planning, progress=False))
        print(line("course's loop", t_course_short, updates(steps, (0, 10), shortcut=True)))
    print()

    # 4. the engine again -----------------------------------------------------------------
    print("fast engine again, after the loops")
    t_numba_after, ns_after, n = engine_timed(20, backend="numba", **sweep)
    print(line("k sweep, numba (median of 20 seeds)", t_numba_after, n, ns_after))
    t_short_after, ns, n = engine_timed(50, backend="numba", **short)
    print(line("shortcut, numba (median of 50 seeds)", t_short_after, n, ns))
    # the ratios below use the slower of the two measurements
    if t_numba_after > t_numba:
        t_numba, ns_numba = t_numba_after, ns_after
    t_numba_short = max(t_numba_short, t_short_after)
    print()

    # 5. notebook -------------------------------------------------------------------------
    notebook = None
    if not args.skip_notebook:
        print("Section 4 notebook (worked solutions), Run All in a fresh kernel, kernel start included")
        runs = [run_notebook("04_how_much_to_plan.ipynb") for _ in range(5)]
        notebook = statistics.median(done for done, _ in runs)
        print(line("kernel start -> last cell done (median of 5)", notebook))
        print(f"  {'  each run':<56s} " + ", ".join(f"{done:.1f}" for done, _ in runs) + " s")
        print(line("... and kernel shut down (median of 5)", statistics.median(total for _, total in runs)))
        print()

    # ratios ------------------------------------------------------------------------------
    print("ratios (goal in brackets)")
    print(f"  k sweep, tutorial's loop / numba engine:         {t_tutorial / t_numba:10.0f}x  (>= 1000x: "
          f"{verdict(t_tutorial / t_numba, 1000)})")
    if t_course:
        print(f"  k sweep, course's loop / numba engine:           {t_course / t_numba:10.0f}x")
    print(f"  k sweep, tutorial's loop / Python engine:        {t_tutorial / t_python:10.1f}x  (>= 40x: "
          f"{verdict(t_tutorial / t_python, 40)})")
    if t_course:
        print(f"  k sweep, course's loop / Python engine:          {t_course / t_python:10.1f}x")
    print(f"  shortcut, tutorial's loop / numba engine:        {t_tut_short / t_numba_short:10.0f}x  (>= 300x: "
          f"{verdict(t_tut_short / t_numba_short, 300)})")
    print(f"  shortcut, tutorial's loop / Python engine:       {t_tut_short / t_python_short:10.1f}x")
    if t_course_short:
        print(f"  shortcut, course's loop / numba engine:          {t_course_short / t_numba_short:10.0f}x")
    print(f"  slider compute + redraw, numba:                  {slider['numba'] * 1000:10.0f} ms (<= 150 ms: "
          f"{verdict(slider['numba'], 0.150, above=False)})")
    print(f"  slider compute + redraw, Python engine:          {slider['python'] * 1000:10.0f} ms")
    print(f"  ns per Q-update (k sweep): tutorial's loop {1e9 * t_tutorial / n_tutorial:,.0f}, "
          f"numba engine {ns_numba:.1f}, Python engine {ns_python:.0f}")
    if notebook:
        print(f"  Section 4 Run All / tutorial's sweep cell:       {notebook / t_tutorial:10.3f}   (< 0.1: "
              f"{verdict(notebook / t_tutorial, 0.1, above=False)}); Run All {notebook:.1f} s "
              f"(the brief's ~4 s: {verdict(notebook, 4.0, above=False)})")
        if t_course:
            print(f"  Section 4 Run All / course's sweep:              {notebook / t_course:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
