"""The class roster: who is in the class, read from one CSV file (``class/roster.csv``).

This module is the only reader of the roster; the hub script, the LMS export and the
class report import it. The file is UTF-8 CSV (a byte-order mark, as spreadsheet
programs write, is accepted) with a header row. Lines starting with ``#`` are
comments; blank lines are skipped. Columns (header names exact, order free):

==========  ========  ===============================================================
column      required  meaning
==========  ========  ===============================================================
username    yes       Unix user name on the hub = nbgrader student id;
                      ``^[a-z_][a-z0-9_-]{0,31}$``, unique in the file
role        yes       ``instructor`` or ``student`` (at least one instructor)
first_name  no
last_name   no
email       no        ``name@domain`` (one ``@``, no spaces)
lms_id      no        the LMS's own user id (Canvas's "ID" column)
sis_id      no        the institution's id (Canvas's "SIS User ID", Moodle's "ID number")
section     no        Canvas's "Section"
==========  ========  ===============================================================

Blank optional cells are ``""``; spaces around a cell are removed. An unknown
column, a missing required column or a bad cell raises :class:`RosterError`,
whose message names the file, the line, the column and the fix.

Command line (prints one value per line; the hub script uses it)::

    python -m dynaq_course.grading.roster class/roster.csv                       # every username
    python -m dynaq_course.grading.roster class/roster.csv --field username --role student
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path

ROLES = ("instructor", "student")
REQUIRED = ("username", "role")
OPTIONAL = ("first_name", "last_name", "email", "lms_id", "sis_id", "section")
COLUMNS = REQUIRED + OPTIONAL
USERNAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


class RosterError(ValueError):
    """The roster file cannot be used as it is; the message names file, line, column and the fix."""


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_id: str = ""
    sis_id: str = ""
    section: str = ""

    @property
    def display_name(self) -> str:
        """ "First Last", or the username when both names are blank."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.username


assert tuple(f.name for f in fields(Person)) == COLUMNS


class _Lines:
    """The file's non-comment, non-blank lines for csv.reader, remembering their line numbers."""

    def __init__(self, text: str):
        self.lines = [
            (number, line)
            for number, line in enumerate(text.splitlines(keepends=True), start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        self.position = 0

    @property
    def next_line_number(self) -> int:
        return self.lines[self.position][0] if self.position < len(self.lines) else 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1][1]


def _where(path: Path, line: int, column: str | None = None, number: int | None = None) -> str:
    at = f"{path}, line {line}"
    if column is not None:
        at += f", column {column!r}" + (f" (column {number})" if number else "")
    return at


def _check_cell(path: Path, line: int, column: str, number: int, value: str) -> None:
    where = _where(path, line, column, number)
    if column == "username":
        if not value:
            raise RosterError(f"{where}: the username is blank; every row needs one (the student's Unix user name)")
        if not USERNAME.fullmatch(value):
            raise RosterError(
                f"{where}: {value!r} is not a valid username: use 1-32 characters, lower-case letters, digits, "
                "'_' or '-', starting with a letter or '_' (it is the Unix user name on the hub and the "
                "nbgrader student id)"
            )
    elif column == "role":
        if value not in ROLES:
            raise RosterError(f"{where}: role {value!r} is unknown; write 'instructor' or 'student'")
    elif column == "email":
        if value and not EMAIL.fullmatch(value):
            raise RosterError(
                f"{where}: {value!r} is not an e-mail address; write name@domain (one '@', no spaces) or leave it blank"
            )


def load_roster(path) -> list[Person]:
    """The people of the roster at ``path``, in file order; :class:`RosterError` when the file is not valid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(
            f"{path}: no such roster file; copy class/roster.csv from the course repository and edit it"
        ) from None
    except UnicodeDecodeError as err:
        raise RosterError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); save the file as 'CSV UTF-8'"
        ) from None
    except OSError as err:
        raise RosterError(f"{path}: cannot be read ({err.strerror}); check the path and its permissions") from None

    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            line = lines.next_line_number
            try:
                row = next(reader)
            except StopIteration:
                break
            rows.append((line, [cell.strip() for cell in row]))
    except csv.Error as err:
        raise RosterError(f"{_where(path, line)}: not valid CSV ({err}); check the quotes on that line") from None
    if not rows:
        raise RosterError(
            f"{path}: the file has no header row; its first line must name the columns, e.g. {','.join(COLUMNS)}"
        )

    header_line, header = rows[0]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise RosterError(
            f"{_where(path, header_line)}: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are {', '.join(COLUMNS)} (names exact, lower case)"
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RosterError(
            f"{_where(path, header_line)}: column(s) {', '.join(map(repr, repeated))} appear more than once; "
            "keep one of each"
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise RosterError(
            f"{_where(path, header_line)}: required column(s) {', '.join(map(repr, missing))} missing; "
            f"add them to the header (required: {', '.join(REQUIRED)})"
        )

    people: list[Person] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise RosterError(
                f"{_where(path, line)}: {len(row)} cells but the header has {len(header)} columns "
                f"({','.join(header)}); add the missing commas or quote a cell that contains a comma"
            )
        values = dict(zip(header, row))
        for number, column in enumerate(header, start=1):
            _check_cell(path, line, column, number, values[column])
        username = values["username"]
        if username in seen:
            raise RosterError(
                f"{_where(path, line, 'username', header.index('username') + 1)}: username {username!r} "
                f"is already on line {seen[username]}; each person appears once"
            )
        seen[username] = line
        people.append(Person(**values))

    if not any(person.role == "instructor" for person in people):
        raise RosterError(
            f"{path}: no instructor; add a row with role 'instructor' (the account that runs the formgrader)"
        )
    return people


def students(roster: list[Person]) -> list[Person]:
    """The roster's students, in file order."""
    return [person for person in roster if person.role == "student"]


def instructors(roster: list[Person]) -> list[Person]:
    """The roster's instructors, in file order."""
    return [person for person in roster if person.role == "instructor"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m dynaq_course.grading.roster",
        description="Check a class roster and print one field of its people, one value per line.",
    )
    p.add_argument("path", type=Path, help="the roster CSV (e.g. class/roster.csv)")
    p.add_argument("--field", choices=COLUMNS, default="username", help="the column to print (default: username)")
    p.add_argument("--role", choices=ROLES, help="only people with this role (default: everyone)")
    a = p.parse_args(argv)
    try:
        roster = load_roster(a.path)
    except RosterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for person in roster:
        if a.role is None or person.role == a.role:
            print(getattr(person, a.field))
    return 0


if __name__ == "__main__":
    sys.exit(main())
