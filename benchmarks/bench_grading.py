"""Benchmark: sequential `nbgrader autograde` vs the parallel grading command, in one run.

    python benchmarks/bench_grading.py --n 20            # full assignment (5 notebooks)
    python benchmarks/bench_grading.py --n 10 --mini     # notebooks 02+03 only (quicker)
    python benchmarks/bench_grading.py --n 20 --jobs 2 --sandbox off

Generates N submissions (a mix of right, wrong and broken work), makes two
identical course copies, grades one with plain `nbgrader autograde <a>` (one
submission after the other, nbgrader's own command) and the other with
`python -m dynaq_course.grade <a>`, and prints seconds, submissions per minute,
the ratio, and whether both gave the same grades where both graded. Timings on a
shared machine are noisy: compare the two numbers of the same run.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("MPLBACKEND", "Agg")

from course_copy import ASSIGNMENT, nbgrader, nbgrader_env  # noqa: E402
from grade_course import gradebook_rows, submit  # noqa: E402
from shared_courses import cut_to_mini  # noqa: E402

KINDS = [
    "all_right",
    "wrong_model_update",
    "right_other_style",
    "wrong_planning",
    "untouched",
    "all_right",
    "invalid_json",
    "all_right",
    "wrong_planning",
    "right_other_style",
]  # 1 in 10 broken


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
        folder = submit(course, student, "all_right" if kind == "invalid_json" else kind)
        if kind == "invalid_json":
            (folder / "02_model_update.ipynb").write_text('{"cells": [ broken')
        kinds[student] = kind
    return kinds


def timed(cmd: list, cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10, help="number of submissions")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes of the parallel command")
    p.add_argument("--sandbox", default="auto", choices=["auto", "require", "off"])
    p.add_argument("--mini", action="store_true", help="notebooks 02 and 03 only")
    p.add_argument("--keep", action="store_true", help="keep the temporary courses")
    p.add_argument("--json", type=Path, help="also write the numbers as JSON")
    a = p.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        course, env = make_course(base / "template", a.mini)
        kinds = add_submissions(course, a.n)
        plain, ours = base / "plain", base / "ours"
        shutil.copytree(course, plain)
        shutil.copytree(course, ours)
        print(
            f"{a.n} submissions ({'notebooks 02+03' if a.mini else 'all 5 notebooks'}), "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )

        t_plain, proc = timed([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], plain, env)
        print(
            f"nbgrader autograde (sequential):       {t_plain:7.1f} s  "
            f"{60 * a.n / t_plain:6.1f} submissions/min  (exit {proc.returncode})",
            flush=True,
        )
        t_ours, proc2 = timed(
            [
                sys.executable,
                "-m",
                "dynaq_course.grade",
                ASSIGNMENT,
                "--no-progress",
                "--jobs",
                str(a.jobs),
                "--sandbox",
                a.sandbox,
            ],
            ours,
            env,
        )
        print(
            f"dynaq_course.grade --jobs {a.jobs} --sandbox {a.sandbox}: {t_ours:7.1f} s  "
            f"{60 * a.n / t_ours:6.1f} submissions/min  (exit {proc2.returncode})",
            flush=True,
        )
        print(f"ratio (nbgrader time / parallel time): {t_plain / t_ours:.2f}x")
        if a.n:
            print(
                f"projected for 100 submissions: nbgrader {100 * t_plain / a.n / 60:.1f} min, "
                f"parallel {100 * t_ours / a.n / 60:.1f} min"
            )

        rows_plain, rows_ours = gradebook_rows(plain)["grades"], gradebook_rows(ours)["grades"]
        broken = {s for s, k in kinds.items() if k == "invalid_json"}
        compared = [k for k in rows_plain if k[0] not in broken]
        same = sum(rows_plain[k]["auto_score"] == rows_ours.get(k, {}).get("auto_score") for k in compared)
        print(
            f"same auto scores on {same}/{len(compared)} grade cells of the submissions both graded "
            f"({len(broken)} broken submission(s) left out: nbgrader drops them whole)"
        )
        if a.json:
            a.json.write_text(
                json.dumps(
                    dict(
                        n=a.n,
                        jobs=a.jobs,
                        sandbox=a.sandbox,
                        mini=a.mini,
                        nbgrader_seconds=t_plain,
                        parallel_seconds=t_ours,
                        ratio=t_plain / t_ours,
                        same=same,
                        compared=len(compared),
                    )
                )
            )
        if proc2.returncode not in (0, 1):
            print(proc2.stdout[-3000:], proc2.stderr[-3000:])
        summary = [ln for ln in proc2.stdout.splitlines() if "graded in" in ln or "COULD NOT" in ln]
        print("\n".join(summary))
    finally:
        if a.keep:
            print(f"courses kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
