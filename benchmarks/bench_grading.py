"""Benchmark: plain `nbgrader autograde` vs the grade command, side by side in one run.

    python benchmarks/bench_grading.py --n 10                # full assignment (5 notebooks)
    python benchmarks/bench_grading.py --n 10 --mini         # notebooks 02+03 only (quicker)
    python benchmarks/bench_grading.py --n 10 --jobs 2 --sandbox off
    python benchmarks/bench_grading.py --profile             # one submission, per stage (grading_profile)

Generates N submissions (a mix of right, wrong, untouched, broken and slow work),
makes identical course copies and grades them with (1) plain `nbgrader autograde
<a>` (one submission after the other, nbgrader's own command), (2) `python -m
dynaq_course.grade <a> --run all` (every cell of every notebook, as before
``--run graded`` existed) and (3) `python -m dynaq_course.grade <a>` (its default,
``--run graded``). For each it prints the wall time, the machine's busy CPU
seconds per submission (/proc/stat, all processes, less the idle background
measured just before), the ratio to plain nbgrader's wall time, the projection for
100 and 500 submissions at this run's pace, and whether the grades equal plain
nbgrader's where both graded. Timings on a shared machine are noisy: compare the
numbers of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("MPLBACKEND", "Agg")

from course_copy import ASSIGNMENT, PLANNING_NB, nbgrader, nbgrader_env  # noqa: E402
from grade_course import append_to_cell, gradebook_rows, submit  # noqa: E402
from grading_profile import busy_cpu  # noqa: E402
from shared_courses import cut_to_mini  # noqa: E402

from dynaq_course.grading.graded_run import RUN_CHOICES  # noqa: E402

KINDS = [
    "all_right",
    "wrong_model_update",
    "right_other_style",
    "wrong_planning",
    "untouched",
    "all_right",
    "invalid_json",
    "slow",
    "wrong_planning",
    "right_other_style",
]  # 1 in 10 broken, 1 in 10 slow
SLOW_SECONDS = 2  # CPU seconds the slow submission's planning cell spends before it defines the function


def make_course(base: Path, mini: bool) -> tuple[Path, dict]:
    from course_copy import make_course_copy

    course = make_course_copy(base / "course")
    if mini:
        cut_to_mini(course)  # notebooks 02 and 03, their graded cells only
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")
    return course, env


def add_submissions(course: Path, n: int) -> dict:
    kinds = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        student = f"s{i:03d}_{kind}"
        work = "all_right" if kind in ("invalid_json", "slow") else kind
        folder = submit(course, student, work, edit=_slow if kind == "slow" else None)
        if kind == "invalid_json":
            (folder / "02_model_update.ipynb").write_text('{"cells": [ broken')
        kinds[student] = kind
    return kinds


def _slow(notebooks: dict) -> None:
    """A correct answer whose cell first spends SLOW_SECONDS of CPU (as an inefficient one might)."""
    append_to_cell(
        notebooks[PLANNING_NB],
        "dyna_q_planning",
        f"import time as _time\n_end = _time.process_time() + {SLOW_SECONDS}\n"
        "while _time.process_time() < _end:\n    pass",
    )


def background_rate(seconds: float = 5.0) -> float:
    """Busy CPU seconds per second while this benchmark waits: what other processes use."""
    before = busy_cpu()
    time.sleep(seconds)
    return (busy_cpu() - before) / seconds


@dataclass
class Timing:
    label: str
    wall: float
    cpu: float  # busy CPU seconds of the machine during the command, less the background
    proc: subprocess.CompletedProcess


def timed(label: str, cmd: list, cwd: Path, env: dict, background: float) -> Timing:
    start, busy = time.perf_counter(), busy_cpu()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return Timing(label, wall, max(0.0, busy_cpu() - busy - background * wall), proc)


def same_grades(reference: Path, other: Path, left_out: set) -> tuple[int, int]:
    """(grade cells with the same auto score as in ``reference``, grade cells compared)."""
    rows_ref, rows = gradebook_rows(reference)["grades"], gradebook_rows(other)["grades"]
    compared = [k for k in rows_ref if k[0] not in left_out]
    return sum(rows_ref[k]["auto_score"] == rows.get(k, {}).get("auto_score") for k in compared), len(compared)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10, help="number of submissions")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes of the parallel command")
    p.add_argument("--sandbox", default="auto", choices=["auto", "require", "off"])
    p.add_argument("--mini", action="store_true", help="notebooks 02 and 03 only")
    p.add_argument("--keep", action="store_true", help="keep the temporary courses")
    p.add_argument("--json", type=Path, help="also write the numbers as JSON")
    p.add_argument("--profile", action="store_true", help="profile one submission, per stage")
    p.add_argument("--run", default="graded", choices=RUN_CHOICES, help="with --profile: its --run")
    p.add_argument("--kind", default="all_right", help="with --profile: its kind")
    a = p.parse_args(argv)
    if a.profile:
        import grading_profile

        base = Path(tempfile.mkdtemp(prefix="grading-profile-"))
        try:
            return grading_profile.run(a.kind, a.sandbox, base, a.run)
        finally:
            shutil.rmtree(base, ignore_errors=True)

    base = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        course, env = make_course(base / "template", a.mini)
        kinds = add_submissions(course, a.n)
        copies = {name: base / name for name in ("plain", "all", "graded")}
        for folder in copies.values():
            shutil.copytree(course, folder)
        background = background_rate()
        print(
            f"{a.n} submissions ({'notebooks 02+03' if a.mini else 'all 5 notebooks'}; kinds: "
            f"{', '.join(sorted(set(kinds.values())))}), {os.cpu_count()} cores, "
            f"idle background {background:.2f} CPU s/s",
            flush=True,
        )
        grade = [sys.executable, "-m", "dynaq_course.grade", ASSIGNMENT, "--no-progress", "--jobs", str(a.jobs)]
        grade += ["--sandbox", a.sandbox]
        runs = [
            timed(
                "nbgrader autograde (one after the other)",
                [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                copies["plain"],
                env,
                background,
            ),
            timed(f"grade --jobs {a.jobs} --run all", [*grade, "--run", "all"], copies["all"], env, background),
            timed(f"grade --jobs {a.jobs} (--run graded)", grade, copies["graded"], env, background),
        ]
        broken = {s for s, k in kinds.items() if k == "invalid_json"}
        plain = runs[0]
        print(f"\n{'':42s} {'wall s':>8s} {'CPU s/sub':>9s} {'ratio':>6s} {'100 subs':>9s} {'500 subs':>9s}  grades")
        numbers = []
        for run, folder in zip(runs, copies.values()):
            same, compared = same_grades(copies["plain"], folder, broken)
            per, cpu = run.wall / max(a.n, 1), run.cpu / max(a.n, 1)
            print(
                f"{run.label:42s} {run.wall:8.1f} {cpu:9.2f} {plain.wall / run.wall:5.2f}x "
                f"{100 * per / 60:6.1f} min {500 * per / 60:6.1f} min  "
                f"{same}/{compared} as nbgrader (exit {run.proc.returncode})"
            )
            numbers.append(dict(label=run.label, wall=run.wall, cpu_per_submission=cpu, same=same, compared=compared))
        print(
            f"\nratio = plain nbgrader's wall time / this one's; projections at this run's pace on these "
            f"{os.cpu_count()} cores; {len(broken)} broken submission(s) left out of the grade comparison "
            "(nbgrader drops them whole)"
        )
        if a.json:
            a.json.write_text(json.dumps(dict(n=a.n, jobs=a.jobs, sandbox=a.sandbox, mini=a.mini, runs=numbers)))
        for run in runs[1:]:
            if run.proc.returncode not in (0, 1):
                print(run.proc.stdout[-3000:], run.proc.stderr[-3000:])
            print("\n".join(ln for ln in run.proc.stdout.splitlines() if "graded in" in ln or "COULD NOT" in ln))
    finally:
        if a.keep:
            print(f"courses kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
