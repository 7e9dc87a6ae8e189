"""The class report, on a gradebook filled by hand (no kernel runs): score
distribution, pass rate per test cell, most common mistakes (from the
`[mistake: code]` tag, else the exception type), notebooks not graded.

    pytest -q tests/test_report.py
"""

from __future__ import annotations

import base64
import re

import nbformat
import pytest
from course_copy import ASSIGNMENT
from grade_course import copy_course, student_notebooks

from dynaq_course.grading.report import build_report, format_table
from dynaq_course.report import main as report_main

# student -> {grade_id: auto score}, and the error each failing test cell shows
SCORES = {
    "ann": {
        "test_model_update_visible": 1,
        "test_model_update_hidden": 2,
        "test_planning_visible": 1,
        "test_planning_hidden": 3,
    },
    "bob": {
        "test_model_update_visible": 0,
        "test_model_update_hidden": 0,
        "test_planning_visible": 1,
        "test_planning_hidden": 3,
    },
    "cid": {
        "test_model_update_visible": 0,
        "test_model_update_hidden": 0,
        "test_planning_visible": 0,
        "test_planning_hidden": 0,
    },
}
ERRORS = {
    ("bob", "test_model_update_visible"): (
        "ExerciseCheckFailed",
        "reward and next state swapped [mistake: model-swapped]",
    ),
    ("bob", "test_model_update_hidden"): ("ExerciseCheckFailed", "swapped again [mistake: model-swapped]"),
    ("cid", "test_model_update_visible"): ("ExerciseCheckFailed", "same mistake [mistake: model-swapped]"),
    ("cid", "test_model_update_hidden"): ("NotImplementedError", "still a stub"),
    ("cid", "test_planning_visible"): ("ZeroDivisionError", "division by zero"),
    ("cid", "test_planning_hidden"): ("ZeroDivisionError", "division by zero"),
}
NOTEBOOK_OF = {
    "test_model_update_visible": "02_model_update",
    "test_model_update_hidden": "02_model_update",
    "test_planning_visible": "03_planning",
    "test_planning_hidden": "03_planning",
}


@pytest.fixture(scope="module")
def course(mini_course, tmp_path_factory):
    from nbgrader.api import Gradebook

    course = copy_course(mini_course.course, tmp_path_factory.mktemp("report") / "course")
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for student, cells in {**SCORES, "dan": {}}.items():
            gb.update_or_create_student(student)
            gb.update_or_create_submission(ASSIGNMENT, student)
            for grade_id, score in cells.items():
                gb.find_grade(grade_id, NOTEBOOK_OF[grade_id], ASSIGNMENT, student).auto_score = score
        # dan's notebooks could not be graded: no auto score, waiting for a grader
        gb.find_grade("question_model", "02_model_update", ASSIGNMENT, "ann").manual_score = 1
        gb.db.commit()
    for student in SCORES:
        folder = course / "autograded" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, nb in student_notebooks(course, "all_right").items():
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if (student, gid) in ERRORS:
                    ename, evalue = ERRORS[(student, gid)]
                    cell.outputs = [
                        nbformat.v4.new_output(
                            "error", ename=ename, evalue=evalue, traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]
                        )
                    ]
            nbformat.write(nb, folder / name)
    return course


def test_scores_and_pass_rates(course):
    r = build_report(course, ASSIGNMENT)
    assert r.scores == {"ann": 8, "bob": 4, "cid": 0, "dan": 0}
    assert r.max_score == 9
    assert {gid: (s.passed, s.graded) for (_, gid), s in r.cells.items()} == {
        "test_model_update_visible": (1, 3),
        "test_model_update_hidden": (1, 3),
        "test_planning_visible": (2, 3),
        "test_planning_hidden": (2, 3),
    }


def test_most_common_mistakes_use_the_tag_then_the_exception_type(course):
    r = build_report(course, ASSIGNMENT)
    assert r.mistakes.most_common(1) == [(("test_model_update_visible", "model-swapped"), 2)]
    assert r.mistakes[("test_model_update_hidden", "model-swapped")] == 1
    assert r.mistakes[("test_model_update_hidden", "NotImplementedError")] == 1
    assert r.mistakes[("test_planning_hidden", "ZeroDivisionError")] == 1


def test_not_graded_notebooks_are_listed_not_counted(course):
    r = build_report(course, ASSIGNMENT)
    assert sorted(r.not_graded) == [("dan", "02_model_update"), ("dan", "03_planning")]
    assert "Not graded (no auto score; NOT zeros): dan/02_model_update, dan/03_planning" in format_table(r)


def test_cli_prints_the_table_and_writes_html_with_a_figure(course, tmp_path, capsys):
    page = tmp_path / "report.html"
    assert report_main([ASSIGNMENT, "--course", str(course), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "Class report: dyna_q (4 submissions, max score 9)" in out
    assert re.search(r"test_model_update_visible\s+model-swapped\s+2", out), out
    text = page.read_text()
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text).group(1))
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "model-swapped" in text
    # the student table: every submission has a row; dan's notebooks are "not graded", not zeros
    for student in ("ann", "bob", "cid", "dan"):
        assert f"<tr id='student-{student}'>" in text
    dan = re.search(r"<tr id='student-dan'>(.*?)</tr>", text, re.S).group(1)
    assert dan.count(">not graded<") == 3 and ">0<" not in dan
