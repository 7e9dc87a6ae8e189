"""Grades out to an LMS (dynaq_course/grading/lms_export.py, python -m dynaq_course.export).

A small gradebook is built with nbgrader's API in a temporary course (no nbgrader
subprocess): two assignments, students graded, scored 0, not submitted, not graded
(a notebook that could not be graded; a written answer waiting for manual grading),
one student the roster does not list and one roster student the gradebook does not know.
"""

from __future__ import annotations

import csv
import io

import pytest

from dynaq_course.export import main
from dynaq_course.grading.lms_export import (
    GRADED,
    MISSING,
    UNGRADED,
    ExportError,
    format_score,
    match_roster,
    read_gradebook,
)
from dynaq_course.grading.roster import load_roster

# nbgrader's own Gradebook.add_submission triggers SQLAlchemy autoflush warnings while building the fixture.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

ROSTER = """\
username,role,first_name,last_name,email,lms_id,sis_id,section
prof,instructor,Pat,Lee,prof@example.org,,,
alice,student,Alice,Martin,alice@example.org,10001,S1,Section A
bob,student,Bob,Nguyen,bob@example.org,10002,S2,Section A
carol,student,Carol,Okafor,carol@example.org,10003,S3,"Section B, Monday"
erin,student,Erin,,,,,
"""


def build_course(root):
    """A course folder with nbgrader_config.py and a gradebook filled through nbgrader.api."""
    from nbgrader.api import Gradebook

    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "lms_test"\n')
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "lms_test") as gb:
        gb.add_assignment("dyna_q")
        gb.add_notebook("01_the_world", "dyna_q")
        gb.add_grade_cell("question_world", "01_the_world", "dyna_q", max_score=1, cell_type="markdown")
        gb.add_notebook("02_model_update", "dyna_q")
        gb.add_grade_cell("test_visible", "02_model_update", "dyna_q", max_score=1, cell_type="code")
        gb.add_grade_cell("test_hidden", "02_model_update", "dyna_q", max_score=2, cell_type="code")
        gb.add_assignment("going_further")
        gb.add_notebook("06_going_further", "going_further")
        gb.add_grade_cell("test_bonus", "06_going_further", "going_further", max_score=3, cell_type="code")
        gb.add_grade_cell("question_bonus", "06_going_further", "going_further", max_score=2, cell_type="markdown")
        for student in ("alice", "bob", "carol", "dave", "prof"):
            gb.add_student(student)

        def submit(student, assignment, **scores):
            gb.add_submission(assignment, student)
            for cell, (auto, manual) in scores.items():
                notebook = next(nb.name for nb in gb.find_assignment(assignment).notebooks if cell in _cells(nb))
                grade = gb.find_grade(cell, notebook, assignment, student)
                grade.auto_score, grade.manual_score = auto, manual
            gb.db.commit()

        # alice: a manual score overrides an automatic 0; going_further has a 0.5 late penalty
        submit("alice", "dyna_q", question_world=(None, 1), test_visible=(1, None), test_hidden=(0, 2))
        submit("alice", "going_further", test_bonus=(3, None), question_bonus=(None, 0.5))
        gb.find_submission_notebook("06_going_further", "going_further", "alice").late_submission_penalty = 0.5
        # bob: graded, every cell 0 (a real 0); no going_further submission
        submit("bob", "dyna_q", question_world=(0, None), test_visible=(0, None), test_hidden=(0, None))
        # carol: 02 could not be graded (no test cell has a score); 06's written answer awaits manual grading
        submit("carol", "dyna_q", question_world=(None, 1), test_visible=(None, None), test_hidden=(None, None))
        submit("carol", "going_further", test_bonus=(3, None), question_bonus=(None, None))
        # dave is in the gradebook, not in the roster; prof (an instructor) tried the assignment
        submit("dave", "dyna_q", question_world=(1, None), test_visible=(1, None), test_hidden=(2, None))
        submit("prof", "dyna_q", question_world=(1, None), test_visible=(1, None), test_hidden=(2, None))
        gb.db.commit()
    return root


def _cells(notebook):
    return {cell.name for cell in notebook.grade_cells}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return build_course(tmp_path_factory.mktemp("course"))


def run(course, tmp_path, capsys, *args):
    code = main(["--course", str(course), "--roster", str(course / "roster.csv"), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def read_rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_read_gradebook_gives_each_state(course):
    table = read_gradebook(course, ["dyna_q", "going_further"])
    assert table.max_scores == {"dyna_q": 4.0, "going_further": 5.0}
    assert table.students == ["alice", "bob", "carol", "dave", "prof"]
    assert table.result("alice", "dyna_q").status == GRADED and table.result("alice", "dyna_q").score == 4.0
    assert table.result("alice", "going_further").score == 3.0  # 3 + 0.5 - late 0.5
    assert table.result("bob", "dyna_q").status == GRADED and table.result("bob", "dyna_q").score == 0.0
    assert table.result("bob", "going_further").status == MISSING
    carol = table.result("carol", "dyna_q")
    assert carol.status == UNGRADED and carol.score is None
    assert carol.why == (
        "02_model_update: could not be graded (no test cell has a score: the grade command's summary "
        "says why; regrade it or score it in the formgrader)",
    )
    waiting = table.result("carol", "going_further")
    assert waiting.status == UNGRADED
    assert waiting.why == (
        "06_going_further: waiting for manual grading of question_bonus (grade it in the formgrader)",
    )
    assert table.result("erin", "dyna_q").status == MISSING


def test_canvas_file_has_the_documented_columns_and_rows(course, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    code, stdout, _ = run(course, tmp_path, capsys, "dyna_q", "going_further", "--canvas", str(out))
    assert code == 0
    assert out.read_bytes().decode("utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,dyna_q,going_further\r\n"
        "Points Possible,,,,,4,5\r\n"
        '"Martin, Alice",10001,S1,,Section A,4,3\r\n'
        '"Nguyen, Bob",10002,S2,,Section A,0,\r\n'
        '"Okafor, Carol",10003,S3,,"Section B, Monday",,\r\n'
        "Erin,,,,,,\r\n"
    )
    assert f"Canvas gradebook import: {out} (4 students)" in stdout


def test_blank_is_never_zero_and_zero_is_not_blank(course, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    assert run(course, tmp_path, capsys, "dyna_q", "going_further", "--canvas", str(out))[0] == 0
    rows = {row[0]: row[5:] for row in read_rows(out)[2:]}
    assert rows["Nguyen, Bob"] == ["0", ""]  # graded 0 / no submission
    assert rows["Okafor, Carol"] == ["", ""]  # could not be graded / waiting for manual grading
    assert rows["Erin"] == ["", ""]  # not in the gradebook at all


def test_ungraded_submissions_are_listed_on_stderr(course, tmp_path, capsys):
    code, _, err = run(course, tmp_path, capsys, "dyna_q", "going_further", "--canvas", str(tmp_path / "c.csv"))
    assert code == 0
    assert (
        "warning: carol, dyna_q: submitted but not graded, left blank (not 0): 02_model_update: could not be graded"
    ) in err
    assert "warning: carol, going_further: submitted but not graded, left blank (not 0): 06_going_further: " in err
    assert "waiting for manual grading of question_bonus" in err
    assert "note: going_further: no submission from bob, erin (left blank, not 0)" in err
    assert "alice, dyna_q" not in err and "bob, dyna_q" not in err


def test_roster_and_gradebook_mismatches_warn_and_fail_with_strict(course, tmp_path, capsys):
    code, _, err = run(course, tmp_path, capsys, "dyna_q", "--canvas", str(tmp_path / "c.csv"))
    assert code == 0
    assert "warning: in the gradebook but not students in the roster, so not exported: dave;" in err
    assert "warning: students in the roster whom the gradebook does not know (no submission; blank cells): erin;" in err
    assert "prof" not in err  # an instructor's own try is neither exported nor a mismatch
    assert "no lms_id or sis_id in the roster for erin: Canvas can match them only by name" in err

    out = tmp_path / "strict.csv"
    code, stdout, err = run(course, tmp_path, capsys, "dyna_q", "--canvas", str(out), "--strict")
    assert code == 2 and not out.exists() and stdout == ""
    assert err.startswith("error: --strict: the roster and the gradebook disagree:\n  in the gradebook but not")


def test_match_roster_lists_the_mismatches(course):
    export = match_roster(read_gradebook(course, ["dyna_q"]), load_roster(course / "roster.csv"))
    assert [p.username for p in export.people] == ["alice", "bob", "carol", "erin"]
    assert (export.not_in_roster, export.not_in_gradebook) == (["dave"], ["erin"])


def test_points_possible_row_follows_the_assignments_asked_for(course, tmp_path, capsys):
    out = tmp_path / "c.csv"
    assert run(course, tmp_path, capsys, "going_further", "--canvas", str(out))[0] == 0
    rows = read_rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "going_further"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    assert [row[5] for row in rows[2:]] == ["3", "", "", ""]


def test_canvas_ids_name_the_columns_as_canvas_exports_them(course, tmp_path, capsys):
    out = tmp_path / "c.csv"
    args = ("dyna_q", "going_further", "--canvas", str(out), "--canvas-id", "going_further=987")
    assert run(course, tmp_path, capsys, *args)[0] == 0
    assert read_rows(out)[0][5:] == ["dyna_q", "going_further (987)"]


def test_moodle_file_identifies_students_and_leaves_out_those_without_the_identifier(course, tmp_path, capsys):
    out = tmp_path / "moodle.csv"
    code, stdout, err = run(course, tmp_path, capsys, "dyna_q", "going_further", "--moodle", str(out))
    assert code == 0
    assert out.read_bytes().decode("utf-8") == (
        "Email address,dyna_q,going_further\r\nalice@example.org,4,3\r\nbob@example.org,0,\r\ncarol@example.org,,\r\n"
    )
    assert "no email in the roster for erin: left out of" in err
    assert f"Moodle grade import: {out} (3 students, identify users by email)" in stdout

    code, _, _ = run(course, tmp_path, capsys, "dyna_q", "--moodle", str(out), "--moodle-id", "sis_id")
    assert code == 0 and read_rows(out) == [["ID number", "dyna_q"], ["S1", "4"], ["S2", "0"], ["S3", ""]]


def test_both_files_in_one_run(course, tmp_path, capsys):
    canvas, moodle = tmp_path / "c.csv", tmp_path / "m.csv"
    assert run(course, tmp_path, capsys, "dyna_q", "--canvas", str(canvas), "--moodle", str(moodle))[0] == 0
    assert canvas.exists() and moodle.exists()


def test_unknown_assignment_is_a_clear_error(course, tmp_path, capsys):
    out = tmp_path / "c.csv"
    code, stdout, err = run(course, tmp_path, capsys, "dyna_q", "dynaq", "--canvas", str(out))
    assert code == 2 and not out.exists() and stdout == ""
    assert err == (
        "error: assignment 'dynaq' is not in the gradebook (it has: dyna_q, going_further); "
        "check the name, or run `nbgrader generate_assignment dynaq` first\n"
    )
    with pytest.raises(ExportError, match="'dynaq' is not in the gradebook"):
        read_gradebook(course, ["dynaq"])


def test_no_gradebook_and_no_course_are_clear_errors(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    code, _, err = run(tmp_path, tmp_path, capsys, "dyna_q", "--canvas", str(tmp_path / "c.csv"))
    assert code == 2
    assert err.startswith(f"error: no gradebook at {tmp_path.resolve() / 'gradebook.db'}: run this in the course")
    assert not (tmp_path / "gradebook.db").exists()  # the check does not create an empty one

    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(["dyna_q", "--course", str(empty), "--roster", str(tmp_path / "roster.csv"), "--canvas", "x.csv"])
    assert code == 2 and "no nbgrader_config.py in" in capsys.readouterr().err


def test_a_bad_roster_is_a_clear_error(course, tmp_path, capsys):
    code = main(["dyna_q", "--course", str(course), "--roster", str(tmp_path / "absent.csv"), "--canvas", "x.csv"])
    assert code == 2 and "no such roster file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "pair, message",
    [
        ("going_further", "write ASSIGNMENT=NUMBER"),
        ("going_further=abc", "write ASSIGNMENT=NUMBER"),
        ("other=12", "'other' is not among the exported assignments"),
    ],
)
def test_bad_canvas_id_is_a_clear_error(course, tmp_path, capsys, pair, message):
    code, _, err = run(
        course, tmp_path, capsys, "going_further", "--canvas", str(tmp_path / "c.csv"), "--canvas-id", pair
    )
    assert code == 2 and message in err


def test_nothing_to_write_is_a_usage_error(course, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["dyna_q", "--course", str(course)])
    assert info.value.code == 2
    assert "nothing to write: give --canvas PATH and/or --moodle PATH" in capsys.readouterr().err


@pytest.mark.parametrize("score, text", [(7.0, "7"), (7.5, "7.5"), (0.0, "0"), (2.0 / 3.0, "0.6667"), (10.25, "10.25")])
def test_format_score(score, text):
    assert format_score(score) == text
