"""The class report: what an instructor wants to see the morning after grading.

From the gradebook, the autograded notebooks and the feedback of an assignment
(and, when given, the class roster):

* one row per student (:class:`StudentRow`): the roster's name, the score of
  each notebook and the total, how late the submission was (nbgrader's
  submission timestamp against the assignment's due date, and the late
  penalty nbgrader took off), the notebooks that could not be graded (shown as
  such, never as 0), suspected tampering, and where the student's feedback and
  the grading log are; roster students without a submission get a row too;
* the score distribution (fully graded submissions only) and the pass rate of
  each autograded test cell (full points / graded);
* the mistakes: each failing test cell's error output, read for the
  ``[mistake: code]`` tag of the course's failure messages
  (:func:`dynaq_course.checks.messages.mistake_code`), else the exception type,
  with the students who made each one; the HTML page explains each code with
  its message from :data:`dynaq_course.checks.messages.CATALOGUE`;
* the pairs of submissions flagged as similar
  (:func:`dynaq_course.grading.similarity.class_similarity`), or why the
  comparison could not run.

A notebook "could not be graded" when none of its code cells has an auto score
(or a manual one): the grade command leaves them empty when a notebook is
missing, invalid, timed out or killed its kernel. A student with a submitted/
folder but no submission in the gradebook was not graded at all. Tampering is
suspected where the autograded notebook shows a test cell that the kernel
passed (no error output) but the gradebook gives it less than full points (the
grade command zeroes cells its trusted re-check did not confirm), where a test
cell's error says it was "Checked again outside the notebook's kernel" (the
``TrustedVerdicts`` preprocessor), or where the mistake is ``tampering``.

As a table for the terminal (:func:`format_table`) and an HTML page
(:func:`render_html`): everything from the course folder (names, code, error
messages) is HTML-escaped, links to feedback are relative to the page.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import nbformat

from dynaq_course.grading.course import could_not_be_graded, load_course

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECHECKED = "(Checked again outside the notebook's kernel.)"  # autograde_check.TrustedVerdicts' traceback line


@dataclass
class CellStats:
    notebook: str
    grade_id: str
    max_score: float
    passed: int = 0
    graded: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else float("nan")


@dataclass
class NotebookResult:
    """One notebook of one student: its score, or None when it could not be graded."""

    name: str
    max_score: float
    score: float | None = None
    why_not_graded: str = ""  # set when score is None
    feedback: Path | None = None  # feedback/<student>/<assignment>/<name>.html, when it exists


@dataclass
class StudentRow:
    student: str  # nbgrader student id (the hub's username)
    name: str = ""  # display name from the roster ("" when there is no roster or no name)
    in_roster: bool | None = None  # None when no roster was given
    submitted: bool = False  # has a submitted/ folder or a submission in the gradebook
    in_gradebook: bool = False
    notebooks: dict[str, NotebookResult] = field(default_factory=dict)
    seconds_late: float = 0.0
    late_penalty: float = 0.0
    tampering: list[str] = field(default_factory=list)  # "grade_id: why"
    log: Path | None = None  # grading_logs/<assignment>/<student>.log, when the grade command wrote one

    @property
    def not_graded(self) -> list[str]:
        return [n.name for n in self.notebooks.values() if n.score is None]

    @property
    def score(self) -> float | None:
        """Sum of the graded notebooks' scores; None when nothing was graded."""
        scores = [n.score for n in self.notebooks.values() if n.score is not None]
        return sum(scores) if scores else None


@dataclass
class ClassReport:
    assignment: str
    max_score: float
    scores: dict[str, float] = field(default_factory=dict)  # student -> total score in the gradebook
    cells: dict[tuple, CellStats] = field(default_factory=dict)  # (notebook, grade_id) -> stats
    mistakes: Counter = field(default_factory=Counter)  # (grade_id, code) -> submissions
    not_graded: list[tuple[str, str]] = field(default_factory=list)  # (student, notebook) without an auto score
    notebooks: dict[str, float] = field(default_factory=dict)  # notebook -> max score, in order
    students: dict[str, StudentRow] = field(default_factory=dict)  # student -> row, sorted by student
    mistake_students: dict[tuple, list[str]] = field(default_factory=dict)  # (grade_id, code) -> students
    due: object = None  # the assignment's due date (datetime) or None
    roster: str = ""  # the roster file given, "" if none
    similarity: list | None = None  # flagged SimilarPairs; None when the comparison did not run
    similarity_note: str = ""  # why it did not run, or the threshold used
    course_root: Path | None = None

    @property
    def graded_scores(self) -> dict[str, float]:
        """Total scores of the submissions whose every notebook was graded (the ones a histogram may show)."""
        return {s: v for s, v in self.scores.items() if not any(st == s for st, _ in self.not_graded)}


def _mistake(error) -> str:
    from dynaq_course.checks.messages import mistake_code

    return mistake_code(_error_text(error)) or error.get("ename") or "error"


def _error_text(error) -> str:
    return ANSI.sub(
        "", "\n".join([f"{error.get('ename', '')}: {error.get('evalue', '')}", *error.get("traceback", [])])
    )


def _test_cells(path: Path) -> dict[str, dict | None]:
    """grade_id -> first error output (None if the cell has none), for the test cells of an autograded notebook."""
    nb = nbformat.read(path, as_version=4)
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
            cells[meta["grade_id"]] = errors[0] if errors else None
    return cells


def _test_cell_errors(path: Path) -> dict[str, dict]:
    """grade_id -> first error output, for the test cells of an autograded notebook."""
    return {gid: err for gid, err in _test_cells(path).items() if err is not None}


def _why_not_graded(course, student: str, assignment: str, notebook: str, log: Path | None) -> str:
    """The reason a notebook has no score: the pre-check's (missing, invalid), else nbgrader's log, else unknown."""
    from dynaq_course.grading.failures import classify_autograde_error, precheck_submission

    submitted = course.folder("submitted", student, assignment)
    if submitted.is_dir():
        _, failures = precheck_submission(submitted, student, [notebook])
        if failures:
            return f"{failures[0].kind}: {failures[0].detail}"
    if log is not None:
        text = log.read_text(errors="replace")
        section = re.search(rf"^--- {re.escape(notebook)}\n(.*?)(?=^--- |\Z)", text, re.S | re.M)
        if section and section.group(1).strip():
            failure = classify_autograde_error(student, notebook, section.group(1))
            return f"{failure.kind}: {failure.detail}"
    return "no auto score in the gradebook"


def _feedback(course, student: str, assignment: str, notebook: str) -> Path | None:
    cd = course.coursedir
    path = Path(cd.format_path(cd.feedback_directory, student, assignment)) / f"{notebook}.html"
    return path if path.is_file() else None


def build_report(
    course_root: Path, assignment: str, roster: Path | None = None, similarity: bool = True
) -> ClassReport:
    """The class report of ``assignment`` in the course at ``course_root``.

    ``roster``: the class roster (:mod:`dynaq_course.grading.roster`) for names and for the students who did
    not submit. ``similarity``: also run :func:`dynaq_course.grading.similarity.class_similarity`.
    """
    from nbgrader.api import Gradebook

    from dynaq_course.grading.batch import LOG_FOLDER

    course = load_course(course_root)
    people = {}
    if roster is not None:
        from dynaq_course.grading.roster import load_roster

        people = {p.username: p for p in load_roster(roster)}
    with Gradebook(course.db_url, course.course_id) as gb:
        a = gb.find_assignment(assignment)
        report = ClassReport(assignment, a.max_score, due=a.duedate, roster=str(roster or ""))
        report.course_root = course.root
        report.notebooks = {nb.name: nb.max_score for nb in sorted(a.notebooks, key=lambda n: n.name)}
        rows = {}
        for sub in sorted(a.submissions, key=lambda s: s.student.id):
            student = sub.student.id
            report.scores[student] = sub.score
            log = course.root / LOG_FOLDER / assignment / f"{student}.log"
            row = rows[student] = StudentRow(
                student,
                submitted=True,
                in_gradebook=True,
                seconds_late=sub.total_seconds_late,
                late_penalty=sub.late_submission_penalty or 0.0,
                log=log if log.is_file() else None,
            )
            for nb in sorted(sub.notebooks, key=lambda n: n.name):
                result = row.notebooks[nb.name] = NotebookResult(
                    nb.name, nb.max_score, nb.score, feedback=_feedback(course, student, assignment, nb.name)
                )
                autograded = course.folder("autograded", student, assignment) / f"{nb.name}.ipynb"
                outputs = _test_cells(autograded) if autograded.exists() else {}
                code_grades = [g for g in nb.grades if g.cell_type == "code"]
                if could_not_be_graded(nb):
                    report.not_graded.append((student, nb.name))
                    result.score = None
                    result.why_not_graded = _why_not_graded(course, student, assignment, nb.name, row.log)
                    continue
                for g in code_grades:
                    stats = report.cells.setdefault((nb.name, g.name), CellStats(nb.name, g.name, g.max_score))
                    stats.graded += 1
                    error = outputs.get(g.name)
                    if g.score >= g.max_score:
                        stats.passed += 1
                    elif error is not None:
                        code = _mistake(error)
                        report.mistakes[(g.name, code)] += 1
                        report.mistake_students.setdefault((g.name, code), []).append(student)
                        if RECHECKED in _error_text(error):
                            row.tampering.append(
                                f"{g.name}: the kernel passed it, the trusted re-check did not ({code})"
                            )
                        elif code == "tampering":
                            row.tampering.append(f"{g.name}: the exercise cell changes the course's code")
                    elif g.name in outputs and g.auto_score is not None and g.manual_score is None:
                        row.tampering.append(
                            f"{g.name}: the kernel passed it, the trusted re-check did not (scored {g.auto_score:g})"
                        )
    for student in course.submitted_students(assignment):
        if student not in rows:
            log = course.root / LOG_FOLDER / assignment / f"{student}.log"
            row = rows[student] = StudentRow(student, submitted=True, log=log if log.is_file() else None)
            why = "submitted but not in the gradebook: not graded yet, or the grade command could not grade it"
            for name, max_score in report.notebooks.items():
                row.notebooks[name] = NotebookResult(name, max_score, None, why)
                report.not_graded.append((student, name))
    for person in people.values():
        if person.role == "student":
            rows.setdefault(person.username, StudentRow(person.username))
    for student, row in rows.items():
        if roster is not None:
            row.in_roster = student in people
            if row.in_roster:
                row.name = people[student].display_name if people[student].display_name != student else ""
    report.students = dict(sorted(rows.items()))
    if similarity:
        _add_similarity(report, course.root, assignment)
    return report


def _add_similarity(report: ClassReport, course_root: Path, assignment: str) -> None:
    from dynaq_course.grading import similarity

    try:
        report.similarity = similarity.class_similarity(course_root, assignment)
        report.similarity_note = f"threshold {similarity.DEFAULT_THRESHOLD:g}"
    except Exception as err:  # noqa: BLE001 - the report must still be written; the page says why
        report.similarity = None
        report.similarity_note = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


# ------------------------------------------------------------------ words


def late_text(seconds: float) -> str:
    """'3 d 2 h', '2 h 5 min', '40 min', '12 s' late ('' when on time)."""
    if seconds <= 0:
        return ""
    s = int(round(seconds))
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if d:
        return f"{d} d {h} h"
    if h:
        return f"{h} h {m} min"
    return f"{m} min" if m else f"{s} s"


class _Placeholder:
    def __format__(self, spec):
        return "…"

    def __repr__(self):
        return "…"

    __str__ = __repr__


class _Fill(string.Formatter):
    def __init__(self, fn: str):
        super().__init__()
        self.fn = fn

    def get_value(self, key, args, kwargs):
        return self.fn if key == "fn" else _Placeholder()


def explanation(code: str, grade_id: str = "") -> str | None:
    """The catalogue's message for ``code`` (None if it is not one of the course's mistakes), with the
    exercise's function name from the registry and "…" for what differs from student to student."""
    from dynaq_course.checks import registry
    from dynaq_course.checks.messages import CATALOGUE

    if code not in CATALOGUE:
        return None
    cell = registry.graded_cells().get(grade_id)
    fn = cell[0].name if cell else "the function"
    return _Fill(fn).format(CATALOGUE[code])


# ------------------------------------------------------------------ the terminal


def _stats(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    mean = sum(values) / len(values)
    half = len(values) // 2
    median = values[half] if len(values) % 2 else (values[half - 1] + values[half]) / 2
    return mean, median


def _flags(row: StudentRow) -> list[str]:
    flags = []
    if not row.submitted:
        flags.append("NO SUBMISSION")
    if row.not_graded:
        flags.append("NOT GRADED: " + ", ".join(row.not_graded))
    if row.seconds_late > 0:
        flags.append(f"late {late_text(row.seconds_late)}" + (f" (-{row.late_penalty:g})" if row.late_penalty else ""))
    if row.tampering:
        flags.append("TAMPERING SUSPECTED: " + ", ".join(t.split(":")[0] for t in row.tampering))
    if row.in_roster is False:
        flags.append("not in the roster")
    return flags


def format_table(r: ClassReport, top: int = 10) -> str:
    lines = [f"Class report: {r.assignment} ({len(r.scores)} submissions, max score {r.max_score:g})", ""]
    graded = r.graded_scores
    if graded:
        values = sorted(graded.values())
        mean, median = _stats(values)
        lines.append(
            f"Scores ({len(values)} fully graded): mean {mean:.2f}, median {median:g}, "
            f"min {values[0]:g}, max {values[-1]:g}"
        )
        counts = Counter(values)
        width = max(counts.values())
        for score in sorted(counts):
            bar = "#" * max(1, round(30 * counts[score] / width))
            lines.append(f"  {score:>6g} | {bar} {counts[score]}")
    if r.students:
        lines += ["", f"{'student':<20} {'name':<24} {'total':>9}  flags"]
        for row in r.students.values():
            total = "-" if row.score is None else f"{row.score:g}" + ("+?" if row.not_graded else "")
            lines.append(
                f"{row.student:<20} {row.name[:24]:<24} {total:>5}/{r.max_score:<3g}  {'; '.join(_flags(row))}"
            )
    lines += ["", f"{'test cell':<46} {'points':>6} {'passed':>13}"]
    for (notebook, grade_id), s in sorted(r.cells.items()):
        lines.append(
            f"{notebook + '/' + grade_id:<46} {s.max_score:>6g} {s.passed:>4}/{s.graded:<4} {100 * s.rate:4.0f}%"
        )
    lines += ["", "Most common mistakes (failing test cell: mistake or exception, submissions)"]
    if not r.mistakes:
        lines.append("  none")
    for (grade_id, code), n in r.mistakes.most_common(top):
        lines.append(f"  {grade_id:<32} {code:<36} {n}")
    if r.not_graded:
        lines += ["", "Not graded (no auto score; NOT zeros): " + ", ".join(f"{s}/{nb}" for s, nb in r.not_graded)]
    if r.similarity is None and r.similarity_note:
        lines += ["", f"Similarity: could not be compared ({r.similarity_note})"]
    elif r.similarity is not None:
        lines += ["", f"Similarity: {len(r.similarity)} pair(s) flagged ({r.similarity_note})"]
        for p in r.similarity:
            lines.append(f"  {p.exercise:<28} {p.student_a} ~ {p.student_b}  {p.score:.2f}")
    return "\n".join(lines)


# ------------------------------------------------------------------ the figure


def figure_png(r: ClassReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from dynaq_course.lesson.style import BLUE, BLUISH_GREEN

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    values = list(r.graded_scores.values())
    ax1.hist(values, bins=[x - 0.5 for x in range(int(r.max_score) + 2)], color=BLUE, edgecolor="white")
    ax1.set(title="Score distribution (fully graded)", xlabel=f"total score (of {r.max_score:g})", ylabel="submissions")
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of submissions
    cells = sorted(r.cells.items())
    ax2.barh([gid for (_, gid), _ in cells], [100 * s.rate for _, s in cells], color=BLUISH_GREEN)
    ax2.set(title="Pass rate per test cell", xlabel="% of graded submissions with full points", xlim=(0, 100))
    ax2.invert_yaxis()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def figure_description(r: ClassReport) -> str:
    """What the figure shows, in words (its alt text and caption)."""
    values = sorted(r.graded_scores.values())
    if values:
        mean, median = _stats(values)
        left = (
            f"Left: histogram of the total scores of the {len(values)} fully graded submissions "
            f"(out of {r.max_score:g}; mean {mean:.1f}, median {median:g}, from {values[0]:g} to {values[-1]:g})."
        )
    else:
        left = "Left: histogram of total scores (empty: no submission is fully graded)."
    rates = ", ".join(f"{gid} {100 * s.rate:.0f}%" for (_, gid), s in sorted(r.cells.items()))
    right = f"Right: share of graded submissions with full points on each test cell: {rates or 'none graded'}."
    return f"{left} {right}"


# ------------------------------------------------------------------ the page


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _href(target: Path, base: Path) -> str:
    """``target`` as a URL relative to the folder ``base`` (the page's folder)."""
    rel = os.path.relpath(Path(target).resolve(), Path(base).resolve())
    return quote(Path(rel).as_posix())


def _link(target: Path | None, base: Path, text: str) -> str:
    return f"<a href='{_e(_href(target, base))}'>{_e(text)}</a>" if target else _e(text)


def _who(row: StudentRow) -> str:
    return f"{_e(row.name)} ({_e(row.student)})" if row.name else _e(row.student)


CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #111; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.93em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
td.flags { max-width: 26em; }
.flag { display: inline-block; padding: 0 0.35em; margin: 0.1em 0; border-radius: 3px; font-size: 0.9em; }
.late { background: #F0E442; }
.notgraded { background: #56B4E9; }
.tamper { background: #D55E00; color: white; }
.absent { background: #ddd; }
.muted { color: #555; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.85em; }
figure { margin: 0 0 1.5em; } figcaption { max-width: 60em; color: #333; }
details { margin: 0.4em 0; }
"""


def _student_table(r: ClassReport, base: Path) -> str:
    head = "".join(f"<th>{_e(nb)}<br><span class='muted'>/ {max_:g}</span></th>" for nb, max_ in r.notebooks.items())
    out = [
        "<table id='students'><thead><tr><th>student</th><th>username</th>"
        f"{head}<th>total<br><span class='muted'>/ {r.max_score:g}</span></th><th>late</th><th>flags</th>"
        "<th>feedback</th></tr></thead><tbody>"
    ]
    for row in r.students.values():
        cells = []
        for nb in r.notebooks:
            result = row.notebooks.get(nb)
            if result is None:
                cells.append("<td class='num muted'>—</td>")
            elif result.score is None:
                cells.append(
                    f"<td class='num'><span class='flag notgraded' title='{_e(result.why_not_graded)}'>"
                    "not graded</span></td>"
                )
            else:
                cells.append(f"<td class='num'>{result.score:g}</td>")
        if not row.submitted:
            total = "<span class='flag absent'>no submission</span>"
        elif row.score is None:
            total = "<span class='flag notgraded'>not graded</span>"
        else:
            total = f"{row.score:g}" + (" + not graded" if row.not_graded else "")
        late = ""
        if row.seconds_late > 0:
            penalty = f", −{row.late_penalty:g} points" if row.late_penalty else ""
            late = f"<span class='flag late'>late {_e(late_text(row.seconds_late))}{penalty}</span>"
        flags = []
        reasons: dict[str, list[str]] = {}
        for nb in row.not_graded:
            reasons.setdefault(row.notebooks[nb].why_not_graded, []).append(nb)
        for why, names in reasons.items():
            flags.append(f"<span class='flag notgraded'>could not be graded: {_e(', '.join(names))}</span> {_e(why)}")
        flags += [f"<span class='flag tamper'>tampering suspected</span> {_e(t)}" for t in row.tampering]
        if row.in_roster is False:
            flags.append("<span class='muted'>not in the roster</span>")
        if row.log:
            flags.append(_link(row.log, base, "grading log"))
        feedback = [_link(n.feedback, base, n.name) for n in row.notebooks.values() if n.feedback]
        if row.submitted and not feedback:
            feedback = ["<span class='muted'>none yet</span>"]
        out.append(
            f"<tr id='student-{_e(row.student)}'><td>{_e(row.name)}</td><td>{_e(row.student)}</td>{''.join(cells)}"
            f"<td class='num'>{total}</td><td>{late}</td><td class='flags'>{'<br>'.join(flags)}</td>"
            f"<td>{'<br>'.join(feedback)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def _mistakes_section(r: ClassReport, base: Path) -> str:
    by_code: dict[str, dict] = {}
    for (grade_id, code), students in r.mistake_students.items():
        entry = by_code.setdefault(code, {"cells": [], "students": {}})
        entry["cells"].append(grade_id)
        for s in students:
            entry["students"].setdefault(s, []).append(grade_id)
    if not by_code:
        return "<p>No test cell failed with an error.</p>"
    notebook_of = {gid: nb for (nb, gid) in r.cells}
    out = []
    for code, entry in sorted(by_code.items(), key=lambda kv: (-len(kv[1]["students"]), kv[0])):
        text = explanation(code, entry["cells"][0])
        if text is None:
            text = (
                f"Not one of the course's named mistakes: the test cell raised {code}. "
                "Open the student's feedback to read the error."
            )
        people = []
        for s, cells in sorted(entry["students"].items()):
            row = r.students.get(s) or StudentRow(s)
            fb = row.notebooks.get(notebook_of.get(cells[0], ""))
            people.append(
                f"<li>{_link(fb.feedback if fb else None, base, row.name or s)}"
                f"{f' ({_e(s)})' if row.name else ''} — {_e(', '.join(sorted(cells)))}</li>"
            )
        n = len(entry["students"])
        out.append(
            f"<section class='mistake' id='mistake-{_e(code)}'><h3><code>{_e(code)}</code> — {n} student"
            f"{'s' if n != 1 else ''}</h3><p class='explanation'>{_e(text)}</p>"
            f"<p class='muted'>In test cell(s): {_e(', '.join(sorted(entry['cells'])))}</p><ul>{''.join(people)}</ul>"
            "</section>"
        )
    return "\n".join(out)


def _similarity_section(r: ClassReport) -> str:
    if r.similarity is None:
        if not r.similarity_note:
            return "<p>The similarity comparison was not run.</p>"
        return f"<p><strong>The similarity comparison could not run:</strong> {_e(r.similarity_note)}</p>"
    if not r.similarity:
        return f"<p>No pair of submissions was flagged as similar ({_e(r.similarity_note)}).</p>"

    def name(s):
        row = r.students.get(s)
        return f"{_e(row.name)} ({_e(s)})" if row and row.name else _e(s)

    out = [f"<p>{len(r.similarity)} pair(s) flagged ({_e(r.similarity_note)}); highest first.</p>"]
    opened = " open" if len(r.similarity) <= 5 else ""  # a few pairs: show their code at once
    for p in r.similarity:
        out.append(
            f"<details class='pair'{opened}><summary><code>{_e(p.exercise)}</code>: {name(p.student_a)} and "
            f"{name(p.student_b)}, similarity {p.score:.2f}</summary>"
            f"<table><tr><th>{name(p.student_a)}</th><th>{name(p.student_b)}</th></tr>"
            f"<tr><td><pre>{_e(p.code_a)}</pre></td><td><pre>{_e(p.code_b)}</pre></td></tr></table></details>"
        )
    return "\n".join(out)


def render_html(r: ClassReport, base: Path | None = None) -> str:
    """The page. Links are relative to ``base``, the folder the page is written to (default: the course folder)."""
    base = Path(base if base is not None else (r.course_root or Path.cwd()))
    png = base64.b64encode(figure_png(r)).decode()
    description = figure_description(r)
    title = f"Class report: {r.assignment}"
    rows = list(r.students.values())
    summary = [
        f"{sum(1 for x in rows if x.in_gradebook)} submissions in the gradebook, max score {r.max_score:g}",
        f"due {r.due:%Y-%m-%d %H:%M}" if r.due else "no due date set",
        f"{sum(1 for x in rows if x.seconds_late > 0)} late",
        f"{sum(1 for x in rows if x.not_graded)} with work that could not be graded (not zeros)",
        f"{sum(1 for x in rows if x.tampering)} with tampering suspected",
    ]
    if r.roster:
        summary.append(f"{sum(1 for x in rows if not x.submitted)} roster student(s) without a submission")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>\n<h1>{_e(title)}</h1>\n"
        f"<p>{_e('; '.join(summary))}.</p>\n"
        f"<h2>Students</h2>\n<p class='muted'>Scores per notebook. “not graded” means the autograder gave no score "
        "(the flags say why; it is not a 0: grade it by hand or fix the cause and grade again). Names from "
        f"{_e(r.roster) if r.roster else 'no roster (pass --roster class/roster.csv)'}.</p>\n"
        f"{_student_table(r, base)}\n"
        f"<h2>Mistakes</h2>\n<p class='muted'>Each failing test cell's mistake, explained as the students read it "
        "(“…” stands for what differs per student), and who made it (links open their feedback).</p>\n"
        f"{_mistakes_section(r, base)}\n"
        f"<h2>Similar submissions</h2>\n{_similarity_section(r)}\n"
        f"<h2>Scores and test cells</h2>\n<figure><img alt='{_e(description)}' "
        f"src='data:image/png;base64,{png}'><figcaption>{_e(description)}</figcaption></figure>\n"
        f"<details><summary>Text report</summary><pre>{_e(format_table(r))}</pre></details>\n"
        "</body></html>\n"
    )
