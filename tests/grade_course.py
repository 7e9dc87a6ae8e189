"""Helpers for the grading-command tests: a mini course (notebooks 02 and 03 only, cut to
the cells grading needs, generated once per test session) and submissions of test students, including broken ones."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import nbformat

from course_copy import (ASSIGNMENT, MODEL_UPDATE_NB, PLANNING_NB, QUESTIONS, _cell, answer_question,
                         fill_exercise, keep_graded_cells_only, make_course_copy, nbgrader, nbgrader_env, student_work)

MINI_NOTEBOOKS = [MODEL_UPDATE_NB, PLANNING_NB]
TIMESTAMP = "2025-03-01 12:00:00.000000 UTC"
LATER = "2025-03-02 09:30:00.000000 UTC"

# Autograded points per test cell of the mini assignment (nbgrader's grades, see test_pipeline.py).
TEST_CELLS = {("02_model_update", "test_model_update_visible"): 1, ("02_model_update", "test_model_update_hidden"): 2,
              ("03_planning", "test_planning_visible"): 1, ("03_planning", "test_planning_hidden"): 3}
EXPECTED_AUTO = {"all_right": 7, "right_other_style": 7, "untouched": 0, "wrong_model_update": 4, "wrong_planning": 3}


def make_mini_course(base: Path) -> tuple[Path, dict]:
    """A course copy whose assignment has only notebooks 02 and 03 (their graded cells), after generate_assignment."""
    course = make_course_copy(base / "course")
    for nb in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        if nb.name not in MINI_NOTEBOOKS:
            nb.unlink()
    keep_graded_cells_only(course, ASSIGNMENT)
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")
    return course, env


def copy_course(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest


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
            rows["submissions"][s] = dict(timestamp=sub.timestamp, code_score=sub.code_score,
                                          needs_manual_grade=sub.needs_manual_grade)
            for nb in sub.notebooks:
                rows["notebooks"][(s, nb.name)] = nb.late_submission_penalty
                for g in nb.grades:
                    rows["grades"][(s, nb.name, g.name)] = dict(auto_score=g.auto_score, manual_score=g.manual_score,
                                                                needs_manual_grade=g.needs_manual_grade)
                for c in nb.comments:
                    rows["comments"][(s, nb.name, c.name)] = dict(auto_comment=c.auto_comment,
                                                                  manual_comment=c.manual_comment)
    return rows


def raw_row_counts(course: Path) -> dict:
    """Rows per table, straight from SQLite (a doubled grade would show here)."""
    con = sqlite3.connect(course / "gradebook.db")
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("grade", "comment", "submitted_notebook", "submitted_assignment", "student")}
    finally:
        con.close()


_TEMPLATES: dict = {}


def mini_course_template(tmp_path_factory) -> tuple[Path, dict]:
    """The generated mini course, made once per test session and copied by each test module."""
    if "mini" not in _TEMPLATES:
        _TEMPLATES["mini"] = make_mini_course(tmp_path_factory.mktemp("grade_template"))
    return _TEMPLATES["mini"]


def grade_cli(course: Path, env: dict, *args: str, timeout: float = 600):
    """Run `python -m dynaq_course.grade dyna_q ARGS` in ``course``: CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "dynaq_course.grade", ASSIGNMENT, "--no-progress", *args],
                          cwd=course, env=env, capture_output=True, text=True, timeout=timeout)


def describe(proc) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-5000:]}\n--- stderr\n{proc.stderr[-5000:]}"
