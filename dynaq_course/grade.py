"""Grade every submission of an assignment in parallel (instructors).

    python -m dynaq_course.grade dyna_q                 # all cores, only what is new or failed
    python -m dynaq_course.grade dyna_q --force         # re-grade everything (manual grades are kept)
    python -m dynaq_course.grade dyna_q --scheduler tcp://scheduler:8786   # on a Dask cluster

Run from the course folder (nbgrader_config.py, source/, submitted/, gradebook.db).
See dynaq_course/grading/batch.py for what it does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dynaq_course.grading.batch import SANDBOX_MODES, Options, run
from dynaq_course.grading.course import CourseError
from dynaq_course.grading.graded_run import RUN_CHOICES


def parse_args(argv=None) -> Options:
    p = argparse.ArgumentParser(prog="python -m dynaq_course.grade", description=__doc__.split("\n")[0])
    p.add_argument("assignment", help="assignment name, e.g. dyna_q")
    p.add_argument("--jobs", "-j", type=int, default=None, help="local worker processes (default: number of cores)")
    p.add_argument("--student", nargs="+", default=[], metavar="ID", help="grade only these students")
    p.add_argument("--force", action="store_true", help="re-grade submissions that are already graded")
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786) instead of local processes"
    )
    p.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        default="auto",
        help="auto: sandbox when the OS allows, warn loudly otherwise; require: fail without it; off: plain kernels",
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help="per-cell time limit (default: the course's Execute.timeout)",
    )
    p.add_argument(
        "--run",
        choices=RUN_CHOICES,
        default="graded",
        help="graded: run each notebook only up to its last autograded test cell, and not at all when it has "
        "none (the same scores, a fraction of the time); all: run every cell, as nbgrader autograde does",
    )
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: the current folder)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    a = p.parse_args(argv)
    if a.jobs is not None and a.jobs < 1:
        p.error("--jobs must be at least 1")
    return Options(
        a.assignment,
        a.course,
        a.jobs,
        a.student,
        a.force,
        a.scheduler,
        a.sandbox,
        a.timeout,
        progress=not a.no_progress,
        run=a.run,
    )


def main(argv=None) -> int:
    from dynaq_course.grading.summary import format_summary

    options = parse_args(argv)
    try:
        summary = run(options)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    return summary.exit_status


if __name__ == "__main__":
    sys.exit(main())
