"""The class roster (dynaq_course/grading/roster.py): the sample file, every kind of bad input, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynaq_course.grading.roster import Person, RosterError, instructors, load_roster, main, students

SAMPLE = Path(__file__).resolve().parents[1] / "class" / "roster.csv"
HEADER = "username,role,first_name,last_name,email,lms_id,sis_id,section\n"
TEACHER = "prof,instructor,Pat,Lee,prof@example.org,,,\n"


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(RosterError) as info:
        load_roster(path)
    return str(info.value)


def test_the_sample_roster_is_valid():
    roster = load_roster(SAMPLE)
    assert [p.username for p in instructors(roster)] == ["instructor"]
    assert [p.username for p in students(roster)] == ["alice", "bob", "carol"]
    alice = roster[1]
    assert alice.email == "alice@example.org" and alice.lms_id and alice.sis_id and alice.section
    assert all(p.email.endswith("@example.org") for p in roster)
    assert len({p.lms_id for p in students(roster)}) == 3 and len({p.sis_id for p in students(roster)}) == 3


def test_columns_in_any_order_optional_ones_left_out_comments_blank_lines_and_a_bom(tmp_path):
    path = tmp_path / "roster.csv"
    text = "# a comment\n\nrole,username,last_name\n  # an indented comment\ninstructor,prof,Lee\nstudent, dana ,\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_roster(path) == [
        Person("prof", "instructor", last_name="Lee"),
        Person("dana", "student"),
    ]


def test_quoted_cells_keep_their_commas(tmp_path):
    path = write(tmp_path, HEADER + TEACHER + 'dana,student,Dana,"Smith, Jr.",,,,"Section A, Monday"\n')
    dana = students(load_roster(path))[0]
    assert (dana.last_name, dana.section) == ("Smith, Jr.", "Section A, Monday")


def test_display_name():
    assert Person("ab", "student", "Ann", "Bell").display_name == "Ann Bell"
    assert Person("ab", "student", first_name="Ann").display_name == "Ann"
    assert Person("ab", "student", last_name="Bell").display_name == "Bell"
    assert Person("ab", "student").display_name == "ab"


@pytest.mark.parametrize(
    "text, where, fix",
    [
        ("username,role,nickname\n" + "prof,instructor,P\n", "line 1", "unknown column(s) 'nickname'"),
        ("username,role,role\nprof,instructor,student\n", "line 1", "'role' appear more than once"),
        ("username,first_name\nprof,Pat\n", "line 1", "required column(s) 'role' missing"),
        (HEADER + TEACHER + "Alice,student,,,,,,\n", "line 3, column 'username' (column 1)", "lower-case letters"),
        (HEADER + TEACHER + "9lives,student,,,,,,\n", "line 3, column 'username' (column 1)", "starting with a letter"),
        (HEADER + TEACHER + "a" * 33 + ",student,,,,,,\n", "line 3, column 'username' (column 1)", "1-32 characters"),
        (HEADER + TEACHER + ",student,,,,,,\n", "line 3, column 'username' (column 1)", "the username is blank"),
        (HEADER + TEACHER + "dana,teacher,,,,,,\n", "line 3, column 'role' (column 2)", "'instructor' or 'student'"),
        (HEADER + TEACHER + "dana,student,,,dana at example,,,\n", "line 3, column 'email' (column 5)", "name@domain"),
        (HEADER + TEACHER + "dana,student,,\n", "line 3", "4 cells but the header has 8 columns"),
        (HEADER + TEACHER + "# x\ndana,student,,,,,,\ndana,student,,,,,,\n", "line 5, column 'username'", "line 4"),
        (HEADER + "dana,student,,,,,,\n", "", "no instructor; add a row with role 'instructor'"),
        ("# only a comment\n\n", "", "no header row"),
        (HEADER + TEACHER + 'dana,student,"Da"na,,,,,\n', "line 3", "not valid CSV"),
    ],
    ids=[
        "unknown-column",
        "repeated-column",
        "missing-required-column",
        "upper-case-username",
        "username-starts-with-digit",
        "username-too-long",
        "blank-username",
        "unknown-role",
        "bad-email",
        "too-few-cells",
        "duplicate-username",
        "no-instructor",
        "no-header",
        "bad-quoting",
    ],
)
def test_bad_rosters_name_file_line_column_and_fix(tmp_path, text, where, fix):
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}, {where}" if where else f"{path}:"), message
    assert fix in message, message


def test_a_missing_file_and_a_file_that_is_not_utf8(tmp_path):
    assert "no such roster file; copy class/roster.csv" in error_of(tmp_path / "absent.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + TEACHER + "dana,student,Ren\xe9e,,,,,\n").encode("latin-1"))
    assert "save the file as 'CSV UTF-8'" in error_of(path)


def test_the_error_is_a_value_error():
    assert issubclass(RosterError, ValueError)


def test_cli_prints_one_field_per_line_filtered_by_role(capsys):
    assert main([str(SAMPLE), "--field", "username", "--role", "student"]) == 0
    assert capsys.readouterr().out == "alice\nbob\ncarol\n"
    assert main([str(SAMPLE)]) == 0
    assert capsys.readouterr().out == "instructor\nalice\nbob\ncarol\n"
    assert main([str(SAMPLE), "--field", "email", "--role", "instructor"]) == 0
    assert capsys.readouterr().out == "instructor@example.org\n"


def test_cli_bad_roster_exits_2_with_the_message(tmp_path, capsys):
    path = write(tmp_path, HEADER + "dana,student,,,,,,\n")
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {path}: no instructor")


def test_python_dash_m_runs_the_cli(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dynaq_course.grading.roster", str(SAMPLE), "--role", "student"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "alice\nbob\ncarol\n", "")
    done = subprocess.run(
        [sys.executable, "-m", "dynaq_course.grading.roster", str(tmp_path / "absent.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "no such roster file" in done.stderr and done.stdout == ""
