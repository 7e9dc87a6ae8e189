"""Helpers for the grading-command tests: submissions of test students to a copy of the mini course
(notebooks 02 and 03 only, cut to the cells grading needs: the ``mini_course`` fixture of conftest.py,
generated once per test run), including broken ones, and what the gradebook then holds."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import course_copy
import nbformat
import shared_courses
from course_copy import (
    ASSIGNMENT,
    MODEL_UPDATE_NB,
    PLANNING_NB,
    QUESTIONS,
    _cell,
    answer_question,
    fill_exercise,
    student_work,
)

copy_course = course_copy.copy_course  # where the grading tests have always imported it from
TIMESTAMP = "2025-03-01 12:00:00.000000 UTC"
LATER = "2025-03-02 09:30:00.000000 UTC"

# Autograded points per test cell of the mini assignment (nbgrader's grades, see test_pipeline.py).
TEST_CELLS = {
    ("02_model_update", "test_model_update_visible"): 1,
    ("02_model_update", "test_model_update_hidden"): 2,
    ("03_planning", "test_planning_visible"): 1,
    ("03_planning", "test_planning_hidden"): 3,
}
EXPECTED_AUTO = {"all_right": 7, "right_other_style": 7, "untouched": 0, "wrong_model_update": 4, "wrong_planning": 3}


def student_notebooks(course: Path, kind: str) -> dict:
    """name -> notebook as the test student ``kind`` hands it in."""
    model_update, planning = student_work(kind)
    out = {}
    for path in sorted((course / "release" / ASSIGNMENT).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if kind != "untouched":
            if path.name == MODEL_UPDATE_NB and model_update:
                fill_exercise(nb, "dyna_q_model_update", model_update)
            if path.name == PLANNING_NB and planning:
                fill_exercise(nb, "dyna_q_planning", planning)
            answer_question(nb, QUESTIONS[path.name], f"My answer ({kind}).")
        out[path.name] = nb
    return out


def submit(course: Path, student: str, kind: str, timestamp: str = TIMESTAMP, edit=None) -> Path:
    """Write submitted/<student>/<assignment>/; ``edit(notebooks)`` may change the notebooks first."""
    folder = course / "submitted" / student / ASSIGNMENT
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    notebooks = student_notebooks(course, kind)
    if edit:
        edit(notebooks)
    for name, nb in notebooks.items():
        if nb is not None:
            nbformat.write(nb, folder / name)
    (folder / "timestamp.txt").write_text(timestamp)
    return folder


def append_to_cell(nb, grade_id: str, code: str) -> None:
    cell = _cell(nb, grade_id)
    cell.source = cell.source + "\n" + code


def gradebook_rows(course: Path) -> dict:
    """Every grade and comment row of the course's gradebook, keyed by (student, notebook, cell)."""
    from nbgrader.api import Gradebook

    rows = {"grades": {}, "comments": {}, "submissions": {}, "notebooks": {}}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            s = sub.student.id
            rows["submissions"][s] = dict(
                timestamp=sub.timestamp, code_score=sub.code_score, needs_manual_grade=sub.needs_manual_grade
            )
            for nb in sub.notebooks:
                rows["notebooks"][(s, nb.name)] = nb.late_submission_penalty
                for g in nb.grades:
                    rows["grades"][(s, nb.name, g.name)] = dict(
                        auto_score=g.auto_score, manual_score=g.manual_score, needs_manual_grade=g.needs_manual_grade
                    )
                for c in nb.comments:
                    rows["comments"][(s, nb.name, c.name)] = dict(
                        auto_comment=c.auto_comment, manual_comment=c.manual_comment
                    )
    return rows


def raw_row_counts(course: Path) -> dict:
    """Rows per table, straight from SQLite (a doubled grade would show here)."""
    con = sqlite3.connect(course / "gradebook.db")
    try:
        return {
            t: con.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("grade", "comment", "submitted_notebook", "submitted_assignment", "student")
        }
    finally:
        con.close()


def mini_course_template(tmp_path_factory) -> tuple[Path, dict]:
    """(course, env) of the shared mini course (read-only: copy it with ``copy_course``); tests that
    can, take the ``mini_course`` fixture instead."""
    mini = shared_courses.mini_course(tmp_path_factory)
    return mini.course, mini.env


def grade_cli(course: Path, env: dict, *args: str, timeout: float = 600):
    """Run `python -m dynaq_course.grade dyna_q ARGS` in ``course``: CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "dynaq_course.grade", ASSIGNMENT, "--no-progress", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def describe(proc) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-5000:]}\n--- stderr\n{proc.stderr[-5000:]}"
