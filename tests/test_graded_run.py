"""The grade command runs only what the grades depend on (``--run graded``, grading.graded_run).

On the whole five-notebook assignment: the same submissions graded by plain ``nbgrader
autograde`` and by the grade command give the same grades; the autograded notebooks say
which cells were not run and hold them without outputs; a crash and an endless loop below the
last test cell cost a student nothing under ``--run graded`` and stop those notebooks under
``--run all``, as under plain nbgrader; the feedback a student gets says what was not run.

    pytest -q tests/test_graded_run.py
"""

from __future__ import annotations

import json

import nbformat
import pytest
from course_copy import ASSIGNMENT, PLANNING_NB, nbgrader
from grade_course import copy_course, describe, grade_cli, gradebook_rows, submit

from dynaq_course.grading.graded_run import NOT_RUN_AT_ALL, NOT_RUN_BELOW, last_test_index
from dynaq_course.notebook_cells import find_cell

HONEST = ["all_right", "wrong_planning"]
WORLD_NB = "01_the_world.ipynb"
SELF_CHECK = "test_planning_visible"


def _mischief_below_the_tests(notebooks):
    """A correct submission with an endless loop in notebook 01 (no test cell) and a kernel crash at the
    end of notebook 03, below its last test cell."""
    notebooks[WORLD_NB].cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
    notebooks[PLANNING_NB].cells.append(nbformat.v4.new_code_cell("import os\nos._exit(1)"))


@pytest.fixture(scope="module")
def graded(generated_dyna_q, tmp_path_factory):
    """(plain nbgrader's course, the grade command's, its run, the --run all course, its run, env)."""
    env = generated_dyna_q.env
    base = tmp_path_factory.mktemp("graded_run")
    plain, ours, everything = (copy_course(generated_dyna_q.course, base / n) for n in ("plain", "ours", "all"))
    for course in (plain, ours):
        for student in HONEST:
            submit(course, student, student)
    for course in (ours, everything):
        submit(course, "mischief", "all_right", edit=_mischief_below_the_tests)
    nbgrader(plain, env, "autograde", ASSIGNMENT)
    run = grade_cli(ours, env, "--jobs", "2", "--timeout", "10")
    run_all = grade_cli(everything, env, "--jobs", "2", "--timeout", "10", "--run", "all")
    return plain, ours, run, everything, run_all, env


def _autograded(course, student, name):
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / name, as_version=4)


def test_grades_are_plain_nbgraders(graded):
    plain, ours, run, *_ = graded
    assert run.returncode == 0, describe(run)
    expected, got = gradebook_rows(plain), gradebook_rows(ours)
    for table in ("grades", "comments", "submissions", "notebooks"):
        honest = {k: v for k, v in got[table].items() if (k if isinstance(k, str) else k[0]) in HONEST}
        assert honest == expected[table], table


def test_mischief_below_the_last_test_cell_costs_nothing_under_run_graded(graded):
    _, ours, run, *_ = graded
    scores = {s: row["code_score"] for s, row in gradebook_rows(ours)["submissions"].items()}
    assert scores["mischief"] == scores["all_right"] == 7, run.stdout
    assert "COULD NOT BE GRADED" not in run.stdout


def test_under_run_all_the_same_mischief_stops_those_notebooks_as_under_nbgrader(graded):
    *_, run_all, _ = graded
    assert run_all.returncode == 1, describe(run_all)
    assert "mischief/01_the_world: timed out" in run_all.stdout, run_all.stdout
    assert "mischief/03_planning: kernel died" in run_all.stdout, run_all.stdout


def test_each_autograded_notebook_says_what_was_not_run(graded, generated_dyna_q):
    _, ours, *_ = graded
    release = generated_dyna_q.course / "release" / ASSIGNMENT
    for path in sorted(release.glob("*.ipynb")):
        released = nbformat.read(path, as_version=4)
        nb = _autograded(ours, "all_right", path.name)
        last = last_test_index(released)
        note = nb.cells[last + 1]
        assert note.cell_type == "markdown" and note.source == (NOT_RUN_BELOW if last >= 0 else NOT_RUN_AT_ALL)
        assert len(nb.cells) == len(released.cells) + 1
        not_run = [cell for cell in nb.cells[last + 2 :] if cell.cell_type == "code"]
        assert not_run and all(not cell.outputs and cell.execution_count is None for cell in not_run)
        ran = [cell for cell in nb.cells[: last + 1] if cell.cell_type == "code"]
        assert all(cell.execution_count for cell in ran), path.name


def test_the_self_check_reports_what_nbgraders_run_printed(graded):
    plain, ours, *_ = graded
    for student in HONEST:
        for name, grade_id in (("02_model_update.ipynb", "test_model_update_visible"), (PLANNING_NB, SELF_CHECK)):
            theirs = find_cell(_autograded(plain, student, name), grade_id)
            mine = find_cell(_autograded(ours, student, name), grade_id)
            assert "relay_verdict" in mine.source and "relay_verdict" not in theirs.source
            assert json.dumps(mine.outputs) == json.dumps(theirs.outputs), (student, grade_id)


def test_the_feedback_says_what_was_not_run(graded):
    _, ours, *_, env = graded
    nbgrader(ours, env, "generate_feedback", ASSIGNMENT, "--student", "all_right")
    html = (ours / "feedback" / "all_right" / ASSIGNMENT / "01_the_world.html").read_text()
    assert "Not run by the grader." in html
    html = (ours / "feedback" / "all_right" / ASSIGNMENT / "03_planning.html").read_text()
    assert "Not run by the grader below this line." in html
