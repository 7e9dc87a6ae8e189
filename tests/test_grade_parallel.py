"""The grading command against plain nbgrader, on the same submissions of a mini
assignment (notebooks 02 and 03): identical grades, no grade lost or doubled,
resume (nothing to do / only what is new / resubmitted), manual grades kept by
--force (needs_manual_grade set as nbgrader's SaveAutoGrades sets it).

    pytest -q tests/test_grade_parallel.py
"""

from __future__ import annotations

import nbformat
import pytest
from course_copy import ASSIGNMENT, nbgrader
from grade_course import (
    EXPECTED_AUTO,
    LATER,
    TEST_CELLS,
    copy_course,
    describe,
    grade_cli,
    gradebook_rows,
    raw_row_counts,
    submit,
)

STUDENTS = ["all_right", "untouched", "wrong_planning"]
GRADES_PER_SUBMISSION = 6  # 2 notebooks x (2 test cells + 1 written answer)


@pytest.fixture(scope="module")
def courses(mini_course, tmp_path_factory):
    """(nbgrader's course, our course, env, first run): the same submissions graded both ways."""
    template, env = mini_course.course, mini_course.env
    base = tmp_path_factory.mktemp("grade_parallel")
    plain, ours = copy_course(template, base / "plain"), copy_course(template, base / "ours")
    for course in (plain, ours):
        for student in STUDENTS:
            submit(course, student, student)
    nbgrader(plain, env, "autograde", ASSIGNMENT)
    first = grade_cli(ours, env, "--jobs", "2")
    assert first.returncode == 0, describe(first)
    return plain, ours, env, first


def test_summary_names_every_graded_submission(courses):
    *_, first = courses
    assert f"{len(STUDENTS)} submission(s) graded" in first.stdout, first.stdout
    for student in STUDENTS:
        assert student in first.stdout
    assert "COULD NOT BE GRADED" not in first.stdout


def test_grades_identical_to_sequential_nbgrader(courses):
    plain, ours, *_ = courses
    expected, got = gradebook_rows(plain), gradebook_rows(ours)
    assert got["grades"] == expected["grades"]
    assert got["comments"] == expected["comments"]
    assert got["notebooks"] == expected["notebooks"]  # late penalties
    assert got["submissions"] == expected["submissions"]  # timestamps, code scores, needs manual grade


def test_no_grade_lost_or_doubled(courses):
    plain, ours, *_ = courses
    counts = raw_row_counts(ours)
    assert counts == raw_row_counts(plain)
    assert counts["grade"] == GRADES_PER_SUBMISSION * len(STUDENTS)
    assert counts["submitted_assignment"] == len(STUDENTS)
    rows = gradebook_rows(ours)
    for student in STUDENTS:
        cells = {k[1:]: v for k, v in rows["grades"].items() if k[0] == student}
        assert len(cells) == GRADES_PER_SUBMISSION
        auto = sum(cells[cell]["auto_score"] for cell in TEST_CELLS)
        assert auto == EXPECTED_AUTO[student] == rows["submissions"][student]["code_score"]


def _test_cell_errors(path):
    nb = nbformat.read(path, as_version=4)
    return {
        c.metadata.nbgrader.grade_id: [o.ename for o in c.outputs if o.output_type == "error"]
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    }


def test_autograded_notebooks_match_nbgrader(courses):
    plain, ours, *_ = courses
    for student in STUDENTS:
        mine, theirs = (c / "autograded" / student / ASSIGNMENT for c in (ours, plain))
        assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in theirs.iterdir())
        for nb in mine.glob("*.ipynb"):
            assert _test_cell_errors(nb) == _test_cell_errors(theirs / nb.name), (student, nb.name)


def test_second_run_grades_nothing(courses):
    _, ours, env, _ = courses
    before = gradebook_rows(ours)
    again = grade_cli(ours, env)
    assert again.returncode == 0, describe(again)
    assert "0 submission(s) graded" in again.stdout and f"{len(STUDENTS)} already up to date" in again.stdout
    assert gradebook_rows(ours) == before


def test_only_new_and_resubmitted_are_graded(courses):
    _, ours, env, _ = courses
    before = gradebook_rows(ours)
    submit(ours, "newcomer", "right_other_style")
    submit(ours, "wrong_planning", "all_right", timestamp=LATER)  # fixed it and handed in again
    run = grade_cli(ours, env)
    assert run.returncode == 0, describe(run)
    assert "2 submission(s) graded" in run.stdout, run.stdout
    after = gradebook_rows(ours)
    for key, row in before["grades"].items():
        if key[0] != "wrong_planning":
            assert after["grades"][key] == row, key
    assert after["submissions"]["newcomer"]["code_score"] == 7
    assert after["submissions"]["wrong_planning"]["code_score"] == 7
    assert str(after["submissions"]["wrong_planning"]["timestamp"]).startswith("2025-03-02 09:30")
    assert raw_row_counts(ours)["grade"] == GRADES_PER_SUBMISSION * (len(STUDENTS) + 1)


def _set_manual(course, student, notebook, grade_id, score, comment=None):
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        gb.find_grade(grade_id, notebook, ASSIGNMENT, student).manual_score = score
        if comment:
            gb.find_comment(grade_id, notebook, ASSIGNMENT, student).manual_comment = comment
        gb.db.commit()


def test_manual_grades_survive_a_forced_regrade(courses):
    _, ours, env, _ = courses
    _set_manual(ours, "all_right", "02_model_update", "question_model", 1, "Good answer.")
    _set_manual(ours, "all_right", "03_planning", "test_planning_hidden", 2.5)
    before = gradebook_rows(ours)
    run = grade_cli(ours, env, "--force", "--student", "all_right")
    assert run.returncode == 0, describe(run)
    assert "1 submission(s) graded" in run.stdout
    after = gradebook_rows(ours)
    key = ("all_right", "02_model_update", "question_model")
    assert after["grades"][key]["manual_score"] == 1
    assert after["comments"][key]["manual_comment"] == "Good answer."
    # As nbgrader's SaveAutoGrades: the auto score is refreshed, a cell with a manual score needs review.
    hidden = ("all_right", "03_planning", "test_planning_hidden")
    assert after["grades"][hidden] == {"auto_score": 3, "manual_score": 2.5, "needs_manual_grade": True}
    assert after["grades"] == {**before["grades"], hidden: after["grades"][hidden]}
    assert after["comments"] == before["comments"]
    assert raw_row_counts(ours)["grade"] == GRADES_PER_SUBMISSION * (len(STUDENTS) + 1)
