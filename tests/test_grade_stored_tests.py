"""A class already running: its gradebook stores the hidden tests as an older course version wrote them
(issue 18). The grade command seals whatever is stored and grades exactly; plain nbgrader still runs the
stored cells.

The stored text is the hidden tests as released from commit 2f3fa98 until the layout change (2166524):
the same cells, importing the verifier from its old path ``dynaq_course.grading.verify``.

    pytest -q tests/test_grade_stored_tests.py
"""

from __future__ import annotations

import sqlite3

import nbformat
import pytest
from course_copy import ASSIGNMENT, nbgrader
from grade_course import EXPECTED_AUTO, copy_course, describe, grade_cli, gradebook_rows, submit

from dynaq_course.grading.sandbox import sandbox_status

STUDENTS = ["all_right", "wrong_planning"]
HIDDEN_CELLS = ("test_model_update_hidden", "test_planning_hidden")
OLD_IMPORT = "from dynaq_course.grading.verify import assert_exercise_passes"


def stored_sources(course) -> dict:
    with sqlite3.connect(course / "gradebook.db") as con:
        return dict(con.execute("select name, source from source_cell where name in (?, ?)", HIDDEN_CELLS))


def store_old_hidden_tests(course) -> dict:
    """Rewrite the gradebook's stored hidden tests (and their checksums) as the older version stored them."""
    from nbgrader.utils import compute_checksum

    cells = {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for path in (course / "source" / ASSIGNMENT).glob("*.ipynb")
        for cell in nbformat.read(path, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") in HIDDEN_CELLS
    }
    old = {}
    with sqlite3.connect(course / "gradebook.db") as con:
        for name, source in stored_sources(course).items():
            assert "from dynaq_course.checks.verify import assert_exercise_passes" in source, source
            old[name] = source.replace("from dynaq_course.checks.verify import assert_exercise_passes", OLD_IMPORT)
            cells[name].source = old[name]
            con.execute(
                "update source_cell set source = ?, checksum = ? where name = ?",
                (old[name], compute_checksum(cells[name]), name),
            )
    return old


@pytest.fixture(scope="module")
def graded(mini_course, tmp_path_factory):
    base = tmp_path_factory.mktemp("stored_tests")
    ours, plain = copy_course(mini_course.course, base / "ours"), copy_course(mini_course.course, base / "plain")
    old = {}
    for course in (ours, plain):
        old = store_old_hidden_tests(course)
        for student in STUDENTS:
            submit(course, student, student)
    ok, _ = sandbox_status()
    proc = grade_cli(ours, mini_course.env, "--sandbox", "require" if ok else "auto", "--jobs", "2")
    assert proc.returncode == 0 or not ok, describe(proc)
    nbgrader(plain, mini_course.env, "autograde", ASSIGNMENT)
    return ours, plain, old, proc


def test_the_grade_command_grades_a_class_with_older_stored_tests_exactly(graded):
    ours, plain, old, proc = graded
    rows = gradebook_rows(ours)
    for student in STUDENTS:
        assert rows["submissions"][student]["code_score"] == EXPECTED_AUTO[student], describe(proc)
    assert gradebook_rows(plain)["grades"] == rows["grades"]


def test_the_older_stored_tests_are_sealed_in_the_kernel_and_kept_in_the_gradebook(graded):
    ours, _, old, _ = graded
    assert stored_sources(ours) == old  # the gradebook is not rewritten
    for student in STUDENTS:
        for path in (ours / "autograded" / student / ASSIGNMENT).glob("*.ipynb"):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") in HIDDEN_CELLS:
                    assert "relay_verdict(" in cell.source, cell.source
                    assert "_reference" not in cell.source and "grading.verify" not in cell.source, cell.source


def test_plain_nbgrader_still_runs_the_older_stored_tests(graded):
    _, plain, _, _ = graded
    rows = gradebook_rows(plain)
    for student in STUDENTS:
        assert rows["submissions"][student]["code_score"] == EXPECTED_AUTO[student]
    path = plain / "autograded" / "all_right" / ASSIGNMENT / "03_planning.ipynb"
    hidden = [c for c in nbformat.read(path, as_version=4).cells if "BEGIN HIDDEN" in c.source]
    assert hidden and OLD_IMPORT in hidden[0].source
