"""Grades out to a learning-management system: Canvas's gradebook CSV and Moodle's CSV grade import.

``nbgrader export`` writes nbgrader's own CSV, in which a missing submission is a 0.
This module reads the same gradebook and the class roster
(:mod:`dynaq_course.grading.roster`; a student's ``username`` is their nbgrader
student id) and writes one row per roster student, one column per assignment, with
each score in one of three states:

* **graded**: nbgrader's total (manual scores take precedence over automatic ones,
  extra credit included) minus the late penalty, never below 0, as ``nbgrader
  export`` computes its ``score`` column;
* **no submission**: a blank cell, never 0;
* **not graded**: a submission in which some graded cell has neither an automatic
  nor a manual score (a notebook that could not be graded, or a written answer
  waiting for manual grading): a blank cell too, since its total is not known yet,
  and a warning naming the student, the notebook and the cells.

The Canvas file (the layout of Canvas's own gradebook export, which its importer reads):

* header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>...``. Canvas's
  importer (``GradebookImporter`` in instructure/canvas-lms,
  ``app/models/gradebook_importer.rb``) requires ``Student`` then ``ID`` first; when
  ``SIS User ID`` and ``SIS Login ID`` follow, the student-information block ends with
  ``Section``; the columns after it are assignments. It finds each student by ``ID``
  (Canvas's user id: the roster's ``lms_id``), else by ``SIS User ID`` (``sis_id``),
  else by ``SIS Login ID`` (left blank: the roster has no login ids), else by name.
  ``Student`` is written "Last, First", the form Canvas exports.
* an assignment column is named ``<assignment> (<canvas id>)`` when the Canvas
  assignment id is given, which Canvas matches by id; otherwise ``<assignment>``,
  which Canvas matches to the assignment with exactly that title, or offers to create.
* the second row starts with ``Points Possible``: each assignment's maximum score
  (Canvas uses it for an assignment the import creates).
* a blank cell is "no score". Canvas's import compares each cell with the grade it
  holds: blank where Canvas has no grade is no change; blank where Canvas has a grade
  is a change that removes that grade, highlighted on the review page Canvas shows
  before anything is saved (``shouldHighlightScoreChange`` in
  ``ui/features/gradebook_uploads/jquery/index.js``).

The Moodle file (Grades > Import > CSV file): one identifier column (``Email address``,
``ID number`` or ``Username``), chosen on Moodle's import page as "Map from" with the
matching "Map to", then one column per assignment, mapped there to its grade item.
Moodle's importer (``grade/import/csv/classes/load_data.php`` in moodle/moodle) reads a
blank cell (or ``-``) as "no grade", which replaces a grade Moodle already holds for that
item, and stops the whole import at a row whose identifier is blank or unknown: so
students without the chosen identifier are left out of the file, with a warning.

Both files are UTF-8 CSV written with the csv module (cells with commas are quoted).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from dynaq_course.grading.course import CourseError, could_not_be_graded, load_course
from dynaq_course.grading.roster import Person, students

GRADED, MISSING, UNGRADED = "graded", "no submission", "not graded"
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
MOODLE_IDENTIFIERS = {"email": "Email address", "sis_id": "ID number", "username": "Username"}


class ExportError(CourseError):
    """The grades cannot be exported as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Result:
    """One student's grade for one assignment."""

    status: str  # GRADED, MISSING or UNGRADED
    score: float | None = None  # only when GRADED
    why: tuple[str, ...] = ()  # UNGRADED: one line per notebook that is not graded


@dataclass
class GradeTable:
    """What the gradebook holds for the exported assignments."""

    assignments: list[str]
    max_scores: dict[str, float]
    students: list[str]  # every student id in the gradebook
    results: dict[tuple[str, str], Result] = field(default_factory=dict)  # (student, assignment), submissions only

    def result(self, student: str, assignment: str) -> Result:
        return self.results.get((student, assignment), Result(MISSING))


def _notebook_state(notebook) -> str | None:
    """Why a submitted notebook has no final score yet, or None when every graded cell has a score."""
    unscored = [g for g in notebook.grades if g.auto_score is None and g.manual_score is None]
    if not unscored:
        return None
    if could_not_be_graded(notebook):
        return (
            f"{notebook.name}: could not be graded (no test cell has a score: the grade command's summary "
            "says why; regrade it or score it in the formgrader)"
        )
    cells = ", ".join(sorted(g.name for g in unscored))
    return f"{notebook.name}: waiting for manual grading of {cells} (grade it in the formgrader)"


def read_gradebook(course_root, assignments: list[str]) -> GradeTable:
    """The grades of ``assignments`` in the gradebook of the course at ``course_root``."""
    from nbgrader.api import Gradebook, MissingEntry

    course = load_course(Path(course_root))
    db = course.db_url
    if db.startswith("sqlite:///") and not Path(db[len("sqlite:///") :]).exists():
        raise ExportError(
            f"no gradebook at {db[len('sqlite:///') :]}: run this in the course folder (or pass --course) "
            "after `nbgrader generate_assignment` and grading"
        )
    with Gradebook(db, course.course_id) as gb:
        known = sorted(a.name for a in gb.assignments)
        table = GradeTable(list(assignments), {}, sorted(s.id for s in gb.students))
        for name in assignments:
            try:
                assignment = gb.find_assignment(name)
            except MissingEntry:
                raise ExportError(
                    f"assignment {name!r} is not in the gradebook (it has: {', '.join(known) or 'none'}); "
                    f"check the name, or run `nbgrader generate_assignment {name}` first"
                ) from None
            table.max_scores[name] = float(assignment.max_score)
            for sub in assignment.submissions:
                why = tuple(filter(None, (_notebook_state(nb) for nb in sorted(sub.notebooks, key=lambda n: n.name))))
                if why:
                    table.results[(sub.student.id, name)] = Result(UNGRADED, None, why)
                else:
                    score = max(0.0, float(sub.score) - float(sub.late_submission_penalty or 0.0))
                    table.results[(sub.student.id, name)] = Result(GRADED, score)
    return table


@dataclass
class Export:
    """The gradebook matched to the roster: who is written, and what does not match."""

    table: GradeTable
    people: list[Person]  # the roster's students, in file order: one row each
    not_in_roster: list[str]  # gradebook students who are not students in the roster (not exported)
    not_in_gradebook: list[str]  # roster students the gradebook does not know (blank cells)

    def mismatches(self) -> list[str]:
        lines = []
        if self.not_in_roster:
            lines.append(
                f"in the gradebook but not students in the roster, so not exported: {', '.join(self.not_in_roster)}; "
                "add them to the roster (username = their nbgrader student id) if they are in the class"
            )
        if self.not_in_gradebook:
            lines.append(
                f"students in the roster whom the gradebook does not know (no submission; blank cells): "
                f"{', '.join(self.not_in_gradebook)}; check that each username is the student's nbgrader id"
            )
        return lines

    def ungraded(self) -> list[str]:
        """One line per (student, assignment) submitted but not graded: blank in the export, not 0."""
        lines = []
        for person in self.people:
            for assignment in self.table.assignments:
                result = self.table.result(person.username, assignment)
                if result.status == UNGRADED:
                    lines.append(
                        f"{person.username}, {assignment}: submitted but not graded, left blank (not 0): "
                        + "; ".join(result.why)
                    )
        return lines

    def missing(self) -> list[str]:
        """One line per assignment: the roster students with no submission of it (blank cells)."""
        lines = []
        for assignment in self.table.assignments:
            absent = [p.username for p in self.people if self.table.result(p.username, assignment).status == MISSING]
            if absent:
                lines.append(f"{assignment}: no submission from {', '.join(absent)} (left blank, not 0)")
        return lines


def match_roster(table: GradeTable, roster: list[Person]) -> Export:
    """Pair the gradebook's students with the roster's (username = nbgrader student id)."""
    people = students(roster)
    in_roster = {p.username for p in roster}  # instructors' test submissions are not "unknown"
    return Export(
        table,
        people,
        [s for s in table.students if s not in in_roster],
        [p.username for p in people if p.username not in set(table.students)],
    )


def format_score(score: float) -> str:
    """A score as the LMS reads it: plain decimal, at most 4 places, no trailing zeros (7, 7.5, 0)."""
    text = f"{score:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _cell(result: Result) -> str:
    return format_score(result.score) if result.status == GRADED else ""


def canvas_name(person: Person) -> str:
    """The Student cell: "Last, First" as Canvas exports it, else whichever name there is, else the username."""
    if person.last_name and person.first_name:
        return f"{person.last_name}, {person.first_name}"
    return person.last_name or person.first_name or person.username


def canvas_rows(export: Export, canvas_ids: dict[str, str] | None = None) -> list[list[str]]:
    """Header, Points Possible row, one row per roster student (see the module docstring)."""
    canvas_ids = canvas_ids or {}
    assignments = export.table.assignments
    titles = [f"{a} ({canvas_ids[a]})" if a in canvas_ids else a for a in assignments]
    rows = [CANVAS_STUDENT_COLUMNS + titles]
    rows.append([POINTS_POSSIBLE, "", "", "", ""] + [format_score(export.table.max_scores[a]) for a in assignments])
    for p in export.people:
        cells = [_cell(export.table.result(p.username, a)) for a in assignments]
        rows.append([canvas_name(p), p.lms_id, p.sis_id, "", p.section] + cells)
    return rows


def canvas_unmatched(export: Export) -> list[str]:
    """Students Canvas can only find by name (no lms_id, no sis_id in the roster)."""
    return [p.username for p in export.people if not p.lms_id and not p.sis_id]


def moodle_rows(export: Export, identifier: str = "email") -> tuple[list[list[str]], list[str]]:
    """(rows, usernames left out because they have no ``identifier``): header, then one row per student."""
    if identifier not in MOODLE_IDENTIFIERS:
        raise ExportError(f"unknown Moodle identifier {identifier!r}; use one of {', '.join(MOODLE_IDENTIFIERS)}")
    assignments = export.table.assignments
    rows = [[MOODLE_IDENTIFIERS[identifier]] + list(assignments)]
    left_out = []
    for p in export.people:
        key = getattr(p, identifier)
        if not key:
            left_out.append(p.username)
            continue
        rows.append([key] + [_cell(export.table.result(p.username, a)) for a in assignments])
    return rows, left_out


def write_csv(path, rows: list[list[str]]) -> None:
    """Write ``rows`` as UTF-8 CSV (RFC 4180 quoting, \\r\\n line ends as the csv module writes them)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
