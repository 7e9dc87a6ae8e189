"""Grades out to an LMS (instructors): Canvas's gradebook CSV and Moodle's CSV grade import.

python -m dynaq_course.export dyna_q going_further --roster class/roster.csv --canvas grades-canvas.csv
python -m dynaq_course.export dyna_q --canvas grades-canvas.csv --canvas-id dyna_q=4321 --moodle grades-moodle.csv

Missing and ungraded work is a blank cell, never 0 (dynaq_course/grading/lms_export.py
says what each LMS does with a blank). Warnings go to stderr; exit status 2 on an error
(nothing is written), and with --strict when the roster and the gradebook disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dynaq_course.grading.course import CourseError
from dynaq_course.grading.lms_export import (
    MOODLE_IDENTIFIERS,
    ExportError,
    canvas_rows,
    canvas_unmatched,
    match_roster,
    moodle_rows,
    read_gradebook,
    write_csv,
)
from dynaq_course.grading.roster import RosterError, load_roster


def _canvas_ids(pairs: list[str], assignments: list[str]) -> dict[str, str]:
    ids = {}
    for pair in pairs:
        name, sep, number = pair.partition("=")
        if not sep or not number.strip().isdigit():
            raise ExportError(
                f"--canvas-id {pair!r}: write ASSIGNMENT=NUMBER, the number from the assignment's Canvas address "
                "(…/courses/<course>/assignments/<NUMBER>)"
            )
        if name not in assignments:
            raise ExportError(f"--canvas-id {pair!r}: {name!r} is not among the exported assignments {assignments}")
        ids[name] = number.strip()
    return ids


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m dynaq_course.export", description=__doc__.split("\n")[0])
    p.add_argument("assignments", nargs="+", metavar="ASSIGNMENT", help="nbgrader assignment(s), one column each")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: the current folder)")
    p.add_argument("--roster", type=Path, help="the class roster (default: class/roster.csv in the course folder)")
    p.add_argument("--canvas", type=Path, metavar="PATH", help="write Canvas's gradebook import CSV here")
    p.add_argument(
        "--canvas-id",
        action="append",
        default=[],
        metavar="ASSIGNMENT=ID",
        help="the Canvas assignment id of an assignment (its column is then matched by id, not title)",
    )
    p.add_argument("--moodle", type=Path, metavar="PATH", help="write Moodle's CSV grade import here")
    p.add_argument(
        "--moodle-id",
        choices=sorted(MOODLE_IDENTIFIERS),
        default="email",
        help="the roster column that identifies students in Moodle (default: email)",
    )
    p.add_argument("--strict", action="store_true", help="fail when roster and gradebook students differ")
    a = p.parse_args(argv)
    if not a.canvas and not a.moodle:
        p.error("nothing to write: give --canvas PATH and/or --moodle PATH")
    roster_path = a.roster or a.course / "class" / "roster.csv"

    def warn(line: str) -> None:
        print(f"warning: {line}", file=sys.stderr)

    try:
        canvas_ids = _canvas_ids(a.canvas_id, a.assignments)
        roster = load_roster(roster_path)
        export = match_roster(read_gradebook(a.course, a.assignments), roster)
        mismatches = export.mismatches()
        if a.strict and mismatches:
            raise ExportError("--strict: the roster and the gradebook disagree:\n  " + "\n  ".join(mismatches))
        if a.canvas:
            canvas = canvas_rows(export, canvas_ids)
        if a.moodle:
            moodle, left_out = moodle_rows(export, a.moodle_id)
    except (CourseError, RosterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    for line in mismatches + export.ungraded():
        warn(line)
    for line in export.missing():
        print(f"note: {line}", file=sys.stderr)
    written = []
    if a.canvas:
        by_name = canvas_unmatched(export)
        if by_name:
            warn(f"no lms_id or sis_id in the roster for {', '.join(by_name)}: Canvas can match them only by name")
        write_csv(a.canvas, canvas)
        written.append(f"Canvas gradebook import: {a.canvas} ({len(canvas) - 2} students)")
    if a.moodle:
        if left_out:
            warn(
                f"no {a.moodle_id} in the roster for {', '.join(left_out)}: left out of {a.moodle} "
                "(Moodle stops the whole import at a row it cannot match); add it or use another --moodle-id"
            )
        write_csv(a.moodle, moodle)
        written.append(f"Moodle grade import: {a.moodle} ({len(moodle) - 1} students, identify users by {a.moodle_id})")
    print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
