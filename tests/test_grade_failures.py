"""Every kind of failure is named in the summary, never a silent zero, and retried.

One run of the grading command over an honest submission and four broken ones:
invalid JSON, a missing notebook, a kernel that dies (os._exit in the exercise
cell), an infinite loop (stopped at a low --timeout).

    pytest -q tests/test_grade_failures.py
"""

from __future__ import annotations

import pytest
from course_copy import ASSIGNMENT, MODEL_UPDATE_NB, PLANNING_NB
from grade_course import (
    append_to_cell,
    copy_course,
    describe,
    grade_cli,
    gradebook_rows,
    raw_row_counts,
    submit,
)

from dynaq_course.grading.batch import Options, plan
from dynaq_course.grading.course import load_course
from dynaq_course.grading.failures import precheck_submission


def _drop_planning(notebooks):
    notebooks[PLANNING_NB] = None


def _kill_kernel(notebooks):
    append_to_cell(notebooks[MODEL_UPDATE_NB], "dyna_q_model_update", "import os\nos._exit(1)")


def _loop_forever(notebooks):
    append_to_cell(notebooks[PLANNING_NB], "dyna_q_planning", "while True:\n    pass")


BROKEN = {  # student -> (notebook that cannot be graded, kind in the summary)
    "bad_json": ("02_model_update", "invalid notebook"),
    "no_planning": ("03_planning", "missing notebook"),
    "kernel_dies": ("02_model_update", "kernel died"),
    "loops": ("03_planning", "timed out"),
}


@pytest.fixture(scope="module")
def failed_run(mini_course, tmp_path_factory):
    course, env = copy_course(mini_course.course, tmp_path_factory.mktemp("grade_failures") / "course"), mini_course.env
    submit(course, "honest", "all_right")
    folder = submit(course, "bad_json", "all_right")
    (folder / MODEL_UPDATE_NB).write_text('{"cells": [ this is not JSON')
    submit(course, "no_planning", "all_right", edit=_drop_planning)
    submit(course, "kernel_dies", "all_right", edit=_kill_kernel)
    submit(course, "loops", "all_right", edit=_loop_forever)
    run = grade_cli(course, env, "--jobs", "2", "--timeout", "15")
    return course, env, run


def test_exit_status_says_something_failed(failed_run):
    _, _, run = failed_run
    assert run.returncode == 1, describe(run)
    assert "COULD NOT BE GRADED - 4 notebook(s) of 4 submission(s)" in run.stdout, run.stdout


@pytest.mark.parametrize("student", sorted(BROKEN))
def test_each_failure_is_named_with_its_kind(failed_run, student):
    _, _, run = failed_run
    notebook, kind = BROKEN[student]
    lines = [ln for ln in run.stdout.splitlines() if ln.strip().startswith(student + " ") and notebook in ln]
    assert any(kind in ln for ln in lines), f"no '{kind}' line for {student}/{notebook}:\n{run.stdout}"
    assert f"NOT GRADED {student}/{notebook}: {kind}" in run.stdout  # printed as it happened


@pytest.mark.parametrize("student", sorted(BROKEN))
def test_failed_notebook_gets_no_score_and_needs_manual_grading(failed_run, student):
    course, _, _ = failed_run
    notebook, _ = BROKEN[student]
    rows = gradebook_rows(course)["grades"]
    failed = {k: v for k, v in rows.items() if k[0] == student and k[1] == notebook}
    assert failed and all(v["auto_score"] is None and v["needs_manual_grade"] for v in failed.values()), failed
    assert not (course / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb").exists()


def test_the_other_notebook_of_a_broken_submission_is_graded(failed_run):
    course, _, _ = failed_run
    rows = gradebook_rows(course)["grades"]
    assert rows[("no_planning", "02_model_update", "test_model_update_hidden")]["auto_score"] == 2
    assert rows[("bad_json", "03_planning", "test_planning_hidden")]["auto_score"] == 3
    assert (course / "autograded" / "no_planning" / ASSIGNMENT / "02_model_update.ipynb").exists()


def test_honest_submission_graded_alongside(failed_run):
    course, _, run = failed_run
    assert gradebook_rows(course)["submissions"]["honest"]["code_score"] == 7
    assert raw_row_counts(course)["grade"] == 6 * 5


def test_failed_submissions_are_retried_and_fixed_ones_graded(failed_run):
    course, env, _ = failed_run
    c = load_course(course)
    todo, up_to_date = plan(c, Options(ASSIGNMENT, course), ["02_model_update", "03_planning"])
    assert up_to_date == ["honest"]
    assert {p.student: p.reason for p in todo} == {s: "not fully graded last time" for s in BROKEN}
    submit(course, "bad_json", "all_right")  # the instructor got a readable copy from the student
    run = grade_cli(course, env, "--student", "bad_json")
    assert run.returncode == 0, describe(run)
    assert gradebook_rows(course)["submissions"]["bad_json"]["code_score"] == 7


def test_precheck_invalid_nbformat(tmp_path):
    (tmp_path / "a.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": 1}')
    (tmp_path / "b.ipynb").write_text('{"nbformat": 4}')
    ok, failures = precheck_submission(tmp_path, "s", ["a", "b", "c"])
    assert ok == []
    assert [(f.notebook, f.kind) for f in failures] == [
        ("a", "invalid notebook"),
        ("b", "invalid notebook"),
        ("c", "missing notebook"),
    ]
