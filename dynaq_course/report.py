"""The class report of an assignment (instructors), from the gradebook and autograded notebooks.

python -m dynaq_course.report dyna_q                     # table in the terminal
python -m dynaq_course.report dyna_q --html report.html  # and an HTML page with a figure
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dynaq_course.grading.course import CourseError
from dynaq_course.grading.report import build_report, format_table, render_html


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m dynaq_course.report", description=__doc__.split("\n")[0])
    p.add_argument("assignment")
    p.add_argument("--html", type=Path, metavar="PATH", help="also write an HTML page (figure embedded)")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: the current folder)")
    a = p.parse_args(argv)
    try:
        report = build_report(a.course, a.assignment)
    except (CourseError, Exception) as err:
        if not isinstance(err, CourseError) and type(err).__name__ != "MissingEntry":
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_table(report))
    if a.html:
        a.html.write_text(render_html(report), encoding="utf-8")
        print(f"\nHTML report: {a.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
