"""The class report of an assignment (instructors), from the gradebook, autograded notebooks and feedback.

python -m dynaq_course.report dyna_q                                   # table in the terminal
python -m dynaq_course.report dyna_q --html class_report.html          # and an HTML page
python -m dynaq_course.report dyna_q --html class_report.html --roster class/roster.csv   # with names

The page lists every student (score per notebook, late, could-not-be-graded and
tampering flags, links to their feedback), each mistake with its explanation and
who made it, and the pairs of submissions flagged as similar. Links to feedback
are relative to the page, so open it where it was written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dynaq_course.grading.course import CourseError
from dynaq_course.grading.report import build_report, format_table, render_html
from dynaq_course.grading.roster import RosterError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m dynaq_course.report", description=__doc__.split("\n")[0])
    p.add_argument("assignment")
    p.add_argument(
        "--html", type=Path, metavar="PATH", help="also write an HTML page (its links to feedback are relative to it)"
    )
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: the current folder)")
    p.add_argument(
        "--roster", type=Path, metavar="CSV", help="class roster (e.g. class/roster.csv): names, who did not submit"
    )
    p.add_argument("--no-similarity", action="store_true", help="skip the comparison of submissions")
    a = p.parse_args(argv)
    try:
        report = build_report(a.course, a.assignment, roster=a.roster, similarity=not a.no_similarity)
    except (CourseError, RosterError, Exception) as err:
        if not isinstance(err, (CourseError, RosterError)) and type(err).__name__ != "MissingEntry":
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_table(report))
    if a.html:
        a.html.write_text(render_html(report, base=a.html.resolve().parent), encoding="utf-8")
        print(f"\nHTML report: {a.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
