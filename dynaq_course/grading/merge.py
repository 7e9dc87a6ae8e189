"""Writing one worker result into the real gradebook and autograded/ folder.

Only the grading command's main process calls this, one submission at a time
(SQLite has one writer). What it writes, per notebook that was fully graded, is
exactly what ``nbgrader autograde`` writes: each grade's ``auto_score`` and
``needs_manual_grade`` (recomputed against the *current* manual score, as
nbgrader's SaveAutoGrades does), each comment's ``auto_comment``, the
notebook's late penalty, and the submission's timestamp. It never touches
manual scores, manual comments or extra credit.

For a notebook that could not be graded (invalid, missing, kernel died, timed
out) it writes no score: every grade of that notebook gets ``auto_score =
None`` and ``needs_manual_grade = True``, so formgrader lists the submission as
needing grading instead of showing a silent 0 (nbgrader's own autograde would
store 0), and its autograded/ copy is not written, so the next run re-grades it.

Where nbgrader gave points that the trusted re-check did not confirm, the cell
gets 0 and needs a manual look ("tampering suspected").
"""

from __future__ import annotations

import datetime
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from dynaq_course.grading.jobs import Failure, Result
from dynaq_course.grading.workspace import write_files

TAMPERING = "tampering suspected"


@dataclass
class Merged:
    student: str
    graded: list[str] = field(default_factory=list)  # notebooks whose grades were written
    cleared: list[str] = field(default_factory=list)  # notebooks marked as not graded
    tampering: list[str] = field(default_factory=list)  # "grade_id: code"
    grades_written: int = 0


def suspected_tampering(result: Result) -> dict[str, str]:
    """grade_id -> verdict code, where nbgrader gave points the trusted re-check did not confirm."""
    suspects = {}
    for outcome in result.notebooks:
        for grade_id, score in outcome.grades.items():
            verdict = result.verdicts.get(grade_id)
            if verdict is not None and not verdict.passed and score:
                suspects[grade_id] = verdict.code or "failed"
    return suspects


def merge_result(db_url: str, course_id: str, result: Result, failed_notebooks: list[str]) -> Merged:
    """Write ``result`` into the gradebook at ``db_url``; ``failed_notebooks`` get no score."""
    from nbgrader.api import Gradebook

    merged = Merged(result.student)
    suspects = suspected_tampering(result)
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        # nbgrader's update_or_create_submission triggers SQLAlchemy autoflush warnings (harmless, also
        # printed by `nbgrader autograde`); they would only clutter the instructor's terminal.
        warnings.simplefilter("ignore", category=Warning)
        gb.update_or_create_student(result.student)
        if result.timestamp:
            timestamp = datetime.datetime.fromisoformat(result.timestamp)
            gb.update_or_create_submission(result.assignment, result.student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(result.assignment, result.student)
        for outcome in result.notebooks:
            if not outcome.ok:
                continue
            notebook = gb.find_submission_notebook(outcome.name, result.assignment, result.student)
            for grade_id, auto_score in outcome.grades.items():
                grade = gb.find_grade(grade_id, outcome.name, result.assignment, result.student)
                if grade_id in suspects:
                    auto_score = 0.0
                    merged.tampering.append(f"{grade_id}: {suspects[grade_id]}")
                grade.auto_score = auto_score
                grade.needs_manual_grade = grade.manual_score is not None or auto_score is None or grade_id in suspects
                merged.grades_written += 1
            for grade_id, auto_comment in outcome.comments.items():
                gb.find_comment(grade_id, outcome.name, result.assignment, result.student).auto_comment = auto_comment
            notebook.late_submission_penalty = outcome.late_penalty
            merged.graded.append(outcome.name)
        for name in failed_notebooks:
            notebook = gb.find_submission_notebook(name, result.assignment, result.student)
            for grade in notebook.grades:
                grade.auto_score = None
                grade.needs_manual_grade = True
            merged.cleared.append(name)
        gb.db.commit()
    return merged


def write_autograded(dest: Path, result: Result) -> None:
    """Replace autograded/<student>/<assignment>/ with the worker's files (graded notebooks only)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    write_files(dest, result.autograded_files)
    for path in dest.rglob("*"):
        if path.is_file():
            path.chmod(0o444)  # as nbgrader leaves them


def failed_notebooks(result: Result, precheck: list[Failure]) -> list[str]:
    names = {f.notebook for f in precheck if f.notebook}
    names |= {o.name for o in result.notebooks if not o.ok}
    return sorted(names)
