"""What the grade command runs under ``--run graded`` (grading.graded_run), without a kernel.

Fast: the steps on the course's own notebooks; the grade command itself runs them in
tests/test_graded_run.py.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from dynaq_course.grading.graded_run import (
    NOT_RUN_AT_ALL,
    NOT_RUN_BELOW,
    RESTORE_STEP,
    SET_ASIDE_STEP,
    RestoreSetAside,
    SetAsideUngraded,
    autograde_steps,
    last_test_index,
)
from dynaq_course.notebook_cells import grade_id, is_autograded_test

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))
EXECUTE = "nbgrader.preprocessors.Execute"
CAPPED = "dynaq_course.grading.sandbox_execute.CappedExecute"
COURSE_STEPS = [
    "dynaq_course.grading.sealed_tests.SealHiddenTests",
    EXECUTE,
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
]


def _read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_set_aside_then_restore_keeps_every_cell_in_order_under_one_note(path):
    nb = _read(path)
    original = copy.deepcopy(nb.cells)
    last = last_test_index(nb)
    nb, resources = SetAsideUngraded().preprocess(nb, {})
    assert len(nb.cells) == last + 1  # what the Execute step sees
    assert all(not is_autograded_test(cell) for cell in resources["dynaq_set_aside"][0])
    nb, resources = RestoreSetAside().preprocess(nb, resources)
    if last == len(original) - 1:
        assert nb.cells == original  # nothing was set aside: no note
        return
    note = nb.cells[last + 1]
    assert note.cell_type == "markdown"
    assert note.source == (NOT_RUN_BELOW if last >= 0 else NOT_RUN_AT_ALL)
    assert nb.cells[: last + 1] + nb.cells[last + 2 :] == original


def test_the_last_test_cell_is_the_last_cell_nbgrader_scores_by_running_it():
    nb = _read(ROOT / "source/dyna_q/03_planning.ipynb")
    assert grade_id(nb.cells[last_test_index(nb)]) == "test_planning_hidden"
    assert last_test_index(_read(ROOT / "source/dyna_q/01_the_world.ipynb")) == -1  # written answers only


def test_a_manually_graded_code_answer_is_not_a_test():
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "answer", "points": 1}
    assert not is_autograded_test(cell)
    cell.metadata["nbgrader"]["solution"] = False
    assert is_autograded_test(cell)


def test_steps_place_the_set_aside_around_the_execute_step():
    steps = autograde_steps(COURSE_STEPS, "graded", has_tests=True)
    assert steps == [SET_ASIDE_STEP, COURSE_STEPS[0], EXECUTE, RESTORE_STEP, *COURSE_STEPS[2:]]
    capped = [CAPPED if step == EXECUTE else step for step in COURSE_STEPS]
    assert autograde_steps(capped, "graded", has_tests=True)[3] == RESTORE_STEP  # a subclass of Execute too


def test_a_notebook_without_tests_gets_no_execute_step():
    steps = autograde_steps(COURSE_STEPS, "graded", has_tests=False)
    assert EXECUTE not in steps
    assert steps == [SET_ASIDE_STEP, COURSE_STEPS[0], RESTORE_STEP, *COURSE_STEPS[2:]]


def test_run_all_keeps_the_steps_as_they_are():
    assert autograde_steps(COURSE_STEPS, "all", has_tests=False) == COURSE_STEPS


def test_an_unknown_run_choice_is_named():
    with pytest.raises(ValueError, match="graded.*all.*'some'"):
        autograde_steps(COURSE_STEPS, "some", has_tests=True)


def test_the_grade_command_takes_run_and_passes_it_to_each_job():
    from dynaq_course.grade import parse_args

    assert parse_args(["dyna_q"]).run == "graded"
    assert parse_args(["dyna_q", "--run", "all"]).run == "all"
    with pytest.raises(SystemExit):
        parse_args(["dyna_q", "--run", "some"])
