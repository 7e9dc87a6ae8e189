"""Benchmark: the tutorial's loop against the fast engine, in one process, repeated and interleaved.

    python benchmarks/bench_engine.py --repeats 3       # about 6 minutes on 2 cores; most of it is the loops
    python benchmarks/bench_engine.py --repeats 1 --skip-course-loop --notebook-runs 0   # about 1 minute

Everything runs in this one process (the Run All of Section 4 in kernels it
starts), so a ratio compares two timings taken minutes apart on the same
machine, under the same load. Each repeat does, in this order:

1. the fast engine on the tutorial's k sweep (k in {0, 1, 10, 100}, 10
   experiments x 100 episodes): a block of numba runs;
2. the tutorial's loop on the same sweep (``tutorial_loop.k_sweep``: the
   tutorial's own code, re-implemented operation for operation, seed 1);
3. a second block of numba runs, then a block of plain-Python engine runs;
4. the course's loop on the same sweep (``run_k_sweep`` with the reference
   solutions: what the notebooks run with a learner's functions), unless
   ``--skip-course-loop``;
5. the tutorial's shortcut experiment (k = 0 and 10, one run each, 400
   episodes, door at 200): numba block, tutorial's loop, numba block, Python block,
   and the course's loop.

Every run of a kind does the same work: the loops always start from
``np.random.seed(1)`` (the tutorial's seed) and the engine always runs with
``seed=1``, so the spread between repeats is the machine's noise, not the
agents' luck. A repeat's engine time is the median of its runs; the ratio of a
repeat is its loop time over its engine time; the headline ratio is the median
loop time over the median engine time. Then, once: a slider move of the k-sweep
explorer (compute + redraw) and, unless ``--notebook-runs 0``, Section 4's
worked-solutions notebook (``solutions/04_how_much_to_plan.ipynb``) run top to
bottom in fresh kernels.

Every time is wall-clock (``time.perf_counter``). Cost per Q-update: seconds
divided by the number of Q-learning updates the run made (one per real step, k
per planning call, one per shortcut demonstration). The machine, the versions
and the load average (before and after) are printed first and last: on a shared
machine the load is part of the result.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import tutorial_loop  # noqa: E402

from dynaq_course import engine  # noqa: E402

SWEEP_KS = (0, 1, 10, 100)
SHORTCUT_KS = (0, 10)
SWEEP = dict(planning_steps=SWEEP_KS, n_experiments=10, n_episodes=100)
SHORTCUT = dict(planning_steps=SHORTCUT_KS, n_experiments=1, n_episodes=400, shortcut_episode=200)
SEED = 1
GOALS = {
    "numba": 1000.0,
    "python": 40.0,
    "shortcut": 300.0,
    "slider_s": 0.150,
    "run_all_fraction": 0.1,
    "run_all_s": 4.0,
}


# ------------------------------------------------------------------ the machine


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the same string on every core)."""
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: how busy the shared machine was."""
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def git_commit() -> str:
    """The checkout's commit, marked if files differ from it (benchmarks of uncommitted code say so)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def machine_lines() -> list[str]:
    """What the timings were taken on: date, CPU, core count, versions, commit, load."""
    import numba

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"date: {now}; commit {git_commit()}",
        f"machine: {os.cpu_count()} CPUs (usable here: {len(os.sched_getaffinity(0))}), {cpu_model()}",
        f"versions: Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}",
        f"load average (1, 5, 15 min): {load_average()}",
    ]


# ------------------------------------------------------------------ statistics


@dataclass
class Spread:
    """Median, smallest and largest of some timings (seconds) or ratios."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values) -> Spread:
        values = [float(v) for v in values]
        if not values:
            raise ValueError("no values to summarise")
        return cls(statistics.median(values), min(values), max(values), len(values))


def seconds_text(seconds: float) -> str:
    """Seconds in the unit that reads best: ms below 10 s."""
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def spread_text(spread: Spread, of: str = "runs") -> str:
    """'median (median of n <of>; low to high)', or just the value when there is one."""
    if spread.n == 1:
        return f"{seconds_text(spread.median)} (n = 1)"
    return (
        f"{seconds_text(spread.median)} (median of {spread.n} {of}; "
        f"{seconds_text(spread.low)} to {seconds_text(spread.high)})"
    )


def count_updates(steps, ks, shortcut: bool = False) -> int:
    """Q-learning updates made by runs with these steps per episode (axis 0 indexes k)."""
    steps = np.asarray(steps)
    if steps.shape[0] != len(ks):
        raise ValueError(f"steps has {steps.shape[0]} rows, one per k expected ({len(ks)})")
    per_k = steps.reshape(len(ks), -1).sum(axis=1)
    runs = steps.reshape(len(ks), -1, steps.shape[-1]).shape[1]
    total = sum(int(n) * (k + 1) for n, k in zip(per_k, ks))
    return int(total + (len(ks) * runs if shortcut else 0))


def verdict(value: float, goal: float, above: bool = True) -> str:
    ok = value >= goal if above else value <= goal
    return "meets the goal" if ok else "MISSES the goal"


# ------------------------------------------------------------------ timing


def timed(function):
    """(wall seconds, CPU seconds of this process, result) of one call.

    Wall-clock time is what a learner waits; CPU time is what the work costs.
    On a busy machine a minute-long loop is descheduled for part of its wall
    time while a 20 ms engine run often is not, so the wall-clock ratio grows
    with the load; the CPU-time ratio does not, and is printed beside it.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def engine_runs(backend: str, runs: int, settings: dict) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of ``runs`` identical engine runs (seed 1), and their Q-update count."""
    walls, cpus, n_updates = [], [], None
    for _ in range(runs):
        wall, cpu, result = timed(lambda: engine.simulate(seed=SEED, backend=backend, progress=False, **settings))
        walls.append(wall)
        cpus.append(cpu)
        n_updates = result.q_updates
    return walls, cpus, n_updates


@dataclass
class Series:
    """The timings of one kind of run across repeats (engine kinds: one block median per repeat)."""

    label: str
    per_repeat: list
    cpu_per_repeat: list
    all_runs: list
    q_updates: int = 0

    def add(self, walls: list[float], cpus: list[float], q_updates: int) -> float:
        self.all_runs.extend(walls)
        self.per_repeat.append(statistics.median(walls))
        self.cpu_per_repeat.append(statistics.median(cpus))
        self.q_updates = q_updates
        return self.per_repeat[-1]


def new_series(label: str) -> Series:
    return Series(label, [], [], [])


def course_functions():
    """The reference solutions of the two exercises, read from source/ like a learner's notebook."""
    from dynaq_course.checks.loader import load_exercise
    from dynaq_course.grading.editions import ASSIGNMENT

    source = ROOT / "source" / ASSIGNMENT
    return (
        load_exercise("dyna_q_model_update", source, verbose=False),
        load_exercise("dyna_q_planning", source, verbose=False),
    )


def course_k_sweep(update, planning):
    from dynaq_course.lesson.experiments import run_k_sweep

    np.random.seed(SEED)
    return run_k_sweep(update, planning, progress=False)


def course_shortcut(update, planning):
    from dynaq_course.lesson.experiments import run_shortcut_experiment

    np.random.seed(SEED)
    return run_shortcut_experiment(update, planning, progress=False)


def one_repeat(index: int, series: dict, engine_runs_per_block: int, python_runs: int, course) -> None:
    """One interleaved round: engine, loop, engine, Python engine, course's loop; sweep then shortcut."""
    print(f"repeat {index + 1} (load average {load_average()})", flush=True)
    for name, settings, ks, loop, course_loop, shortcut in (
        ("sweep", SWEEP, SWEEP_KS, tutorial_loop.k_sweep, course_k_sweep, False),
        ("shortcut", SHORTCUT, SHORTCUT_KS, tutorial_loop.shortcut_experiment, course_shortcut, True),
    ):
        before, cpu_before, n_engine = engine_runs("numba", engine_runs_per_block, settings)
        wall, cpu, steps = timed(loop)
        steps = steps[:, None, :] if shortcut else steps
        after, cpu_after, _ = engine_runs("numba", engine_runs_per_block, settings)
        t_numba = series[f"{name} numba"].add(before + after, cpu_before + cpu_after, n_engine)
        t_loop = series[f"{name} tutorial"].add([wall], [cpu], count_updates(steps, ks, shortcut))
        python, cpu_python, n_python = engine_runs("python", python_runs, settings)
        t_python = series[f"{name} python"].add(python, cpu_python, n_python)
        text = (
            f"  {name:8s} tutorial's loop {seconds_text(t_loop):>10s} (CPU {seconds_text(cpu)})   "
            f"numba {seconds_text(t_numba):>8s} (median of {len(before + after)})   "
            f"Python engine {seconds_text(t_python):>9s}   "
            f"loop/numba {t_loop / t_numba:5.0f}x   loop/Python {t_loop / t_python:5.1f}x"
        )
        if course is not None:
            wall, cpu, steps = timed(functools.partial(course_loop, *course))
            series[f"{name} course"].add([wall], [cpu], count_updates(steps, ks, shortcut))
            text += f"   course's loop {seconds_text(wall)} (CPU {seconds_text(cpu)})"
        print(text, flush=True)


# ------------------------------------------------------------------ slider and notebook


def slider_moves(backend: str, moves: int) -> dict:
    """Compute and redraw seconds of ``moves`` slider moves at k = 100, epsilon = 0.05 (fresh seeds)."""
    from dynaq_course.lesson.widgets import Explorer

    explorer = Explorer("k_sweep", k=100, epsilon=0.05, backend=backend)
    explorer.timings.clear()
    for i in range(moves):
        explorer.seed = 1000 + i  # a fresh run each time, as a move to a new setting
        explorer.update()
    return {
        "compute": Spread.of(c for c, _ in explorer.timings),
        "redraw": Spread.of(d for _, d in explorer.timings),
        "total": Spread.of(c + d for c, d in explorer.timings),
        "q_updates": explorer.last["result"].q_updates,
    }


def run_notebook(name: str = "04_how_much_to_plan.ipynb") -> float:
    """Seconds from starting a fresh kernel to the last cell of a worked-solutions notebook done.

    The notebooks of solutions/ are copied to a scratch folder (Section 4 reads
    the learner's functions from the notebooks of Sections 2 and 3 next to it)
    and run as a learner runs them: progress bars on, inline figures.
    """
    import nbformat
    from nbclient import NotebookClient

    from dynaq_course.grading.editions import environment

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in (ROOT / "solutions").glob("*.ipynb"):
            shutil.copy(path, folder / path.name)
        if not (folder / name).exists():
            raise FileNotFoundError(f"solutions/{name} is missing")
        nb = nbformat.read(folder / name, as_version=4)
        with environment(DYNAQ_NO_PROGRESS=None, MPLBACKEND="module://matplotlib_inline.backend_inline"):
            client = NotebookClient(
                nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
            )
            start = time.perf_counter()
            with client.setup_kernel():
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
                done = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    if errors:
        raise RuntimeError(f"{name} raised {errors[0].ename}: {errors[0].evalue}")
    return done


# ------------------------------------------------------------------ report


def ratio_line(label: str, loop: Series, fast: Series, goal: float | None = None) -> str:
    """Median loop time / median engine time (wall clock), per-repeat ratios, the same in CPU time."""
    ratio = statistics.median(loop.per_repeat) / statistics.median(fast.per_repeat)
    cpu_ratio = statistics.median(loop.cpu_per_repeat) / statistics.median(fast.cpu_per_repeat)
    each = [a / b for a, b in zip(loop.per_repeat, fast.per_repeat)]
    digits = 0 if ratio >= 100 else 1
    text = (
        f"  {label:<36s} {ratio:7.{digits}f}x   per repeat: "
        + ", ".join(f"{r:.{digits}f}x" for r in each)
        + f";   CPU time: {cpu_ratio:.{digits}f}x"
    )
    if goal is not None:
        text += f"   (goal >= {goal:.0f}x: {verdict(ratio, goal)})"
    return text


def positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=3,
        help="interleaved rounds of loop and engine runs (default 3; at least 1)",
    )
    parser.add_argument(
        "--engine-runs",
        type=positive_int,
        default=5,
        help="numba runs before and after each loop, per repeat (default 5)",
    )
    parser.add_argument(
        "--python-runs", type=positive_int, default=3, help="plain-Python engine runs per repeat (default 3)"
    )
    parser.add_argument("--skip-course-loop", action="store_true", help="do not time the course's loop")
    parser.add_argument(
        "--slider-moves",
        type=positive_int,
        default=30,
        help="numba slider moves to time (default 30; the Python engine gets a sixth)",
    )
    parser.add_argument(
        "--notebook-runs",
        type=positive_int,
        default=3,
        help="Run Alls of Section 4 in fresh kernels (default 3; 0 skips)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.engine_runs < 1 or args.python_runs < 1:
        parser.error("--repeats, --engine-runs and --python-runs must be at least 1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["DYNAQ_NO_PROGRESS"] = "1"  # no progress bars in the timings

    for text in machine_lines():
        print(text)
    print()

    print("fast engine warm-up (once per process; not part of any timing below)")
    for backend in ("numba", "python"):
        seconds = engine.warm_up(backend)
        what = "load the cached machine code (or compile) + first call" if backend == "numba" else "first call"
        print(f"  {backend}: {what}: {seconds_text(seconds)}")
    print()

    course = None if args.skip_course_loop else course_functions()
    kinds = ("tutorial", "numba", "python") + (() if course is None else ("course",))
    series = {f"{name} {kind}": new_series(f"{name} {kind}") for name in ("sweep", "shortcut") for kind in kinds}
    print(
        f"repeats: {args.repeats}; k sweep = k in {{0, 1, 10, 100}} x 10 experiments x 100 episodes; shortcut = "
        "k in {0, 10} x 1 run x 400 episodes, door opens at episode 200",
        flush=True,
    )
    for index in range(args.repeats):
        one_repeat(index, series, args.engine_runs, args.python_runs, course)
    print()

    print("times (each repeat's engine time is the median of its runs; the range is over repeats)")
    for key, what in (
        ("tutorial", "tutorial's loop (tutorial_loop.py)"),
        ("course", "course's loop"),
        ("numba", "fast engine, numba"),
        ("python", "fast engine, plain Python"),
    ):
        for name in ("sweep", "shortcut"):
            if f"{name} {key}" not in series:
                continue
            s = series[f"{name} {key}"]
            spread, cpu = Spread.of(s.per_repeat), Spread.of(s.cpu_per_repeat)
            ns = 1e9 * spread.median / s.q_updates
            print(
                f"  {name + ', ' + what:<46s} {spread_text(spread, 'repeats'):<44s} "
                f"{s.q_updates / 1e6:5.2f} M Q-updates, {ns:8.1f} ns each; "
                f"CPU {seconds_text(cpu.median)} ({seconds_text(cpu.low)} to {seconds_text(cpu.high)})"
            )
    for name in ("sweep", "shortcut"):
        runs = Spread.of(series[f"{name} numba"].all_runs)
        print(
            f"  {name}, numba, every single run: {runs.n} runs, {seconds_text(runs.low)} to {seconds_text(runs.high)}"
        )
    print()

    print("slider move: k = 100, epsilon = 0.05, Q-learning + Dyna-Q x 10 experiments x 100 episodes")
    slider = {}
    for backend, moves in (("numba", args.slider_moves), ("python", max(1, args.slider_moves // 6))):
        if moves == 0:
            continue
        slider[backend] = timing = slider_moves(backend, moves)
        ns = 1e9 * timing["compute"].median / timing["q_updates"]
        print(f"  {backend}: compute {spread_text(timing['compute'])}, {ns:.1f} ns per Q-update")
        print(f"  {backend}: redraw  {spread_text(timing['redraw'])}")
        print(f"  {backend}: compute + redraw {spread_text(timing['total'])}")
    print()

    notebook = None
    if args.notebook_runs:
        print(
            "Section 4, solutions/04_how_much_to_plan.ipynb, Run All in a fresh kernel (kernel start included)",
            flush=True,
        )
        notebook = Spread.of(run_notebook() for _ in range(args.notebook_runs))
        print(f"  kernel start -> last cell done: {spread_text(notebook)}")
        print()

    print("ratios: median loop time / median engine time, wall clock (one process; goal in brackets)")
    print(
        ratio_line("k sweep, tutorial's loop / numba", series["sweep tutorial"], series["sweep numba"], GOALS["numba"])
    )
    print(
        ratio_line(
            "k sweep, tutorial's loop / Python", series["sweep tutorial"], series["sweep python"], GOALS["python"]
        )
    )
    if course is not None:
        print(ratio_line("k sweep, course's loop / numba", series["sweep course"], series["sweep numba"]))
        print(ratio_line("k sweep, course's loop / Python", series["sweep course"], series["sweep python"]))
        print(ratio_line("k sweep, tutorial's / course's loop", series["sweep tutorial"], series["sweep course"]))
    print(
        ratio_line(
            "shortcut, tutorial's loop / numba",
            series["shortcut tutorial"],
            series["shortcut numba"],
            GOALS["shortcut"],
        )
    )
    print(ratio_line("shortcut, tutorial's loop / Python", series["shortcut tutorial"], series["shortcut python"]))
    if course is not None:
        print(ratio_line("shortcut, course's loop / numba", series["shortcut course"], series["shortcut numba"]))
    if "numba" in slider:
        total = slider["numba"]["total"].median
        print(
            f"  slider compute + redraw, numba: {total * 1000:.0f} ms "
            f"(goal <= {GOALS['slider_s'] * 1000:.0f} ms: {verdict(total, GOALS['slider_s'], above=False)})"
        )
    if notebook is not None:
        loop = statistics.median(series["sweep tutorial"].per_repeat)
        fraction = notebook.median / loop
        print(
            f"  Section 4 Run All / tutorial's sweep: {fraction:.3f} (goal < {GOALS['run_all_fraction']}: "
            f"{verdict(fraction, GOALS['run_all_fraction'], above=False)}); Run All {notebook.median:.1f} s "
            f"(hoped-for ~{GOALS['run_all_s']:.0f} s: {verdict(notebook.median, GOALS['run_all_s'], above=False)})"
        )
    print()
    print(f"load average at the end (1, 5, 15 min): {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
