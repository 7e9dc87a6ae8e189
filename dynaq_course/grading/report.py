"""The class report: what an instructor wants to see after grading.

From the gradebook and the autograded notebooks of an assignment:

* the score distribution (total score of each graded submission);
* the pass rate of each autograded test cell (full points / graded);
* the most common mistakes: each failing test cell's error output, read for the
  ``[mistake: code]`` tag of the course's failure messages
  (:func:`dynaq_course.checks.messages.mistake_code`), else the exception type;
* notebooks that could not be graded (no auto score, waiting for a grader), so
  they are not read as zeros.

As a table for the terminal (:func:`format_table`) and an HTML page with an
embedded matplotlib figure (:func:`render_html`).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dynaq_course.grading.course import load_course

ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
class ClassReport:
    assignment: str
    max_score: float
    scores: dict[str, float] = field(default_factory=dict)  # student -> total score
    cells: dict[tuple, CellStats] = field(default_factory=dict)  # (notebook, grade_id) -> stats
    mistakes: Counter = field(default_factory=Counter)  # (grade_id, code) -> submissions
    not_graded: list[tuple[str, str]] = field(default_factory=list)  # (student, notebook) without an auto score


def _mistake(error) -> str:
    from dynaq_course.checks.messages import mistake_code

    text = ANSI.sub(
        "", "\n".join([f"{error.get('ename', '')}: {error.get('evalue', '')}", *error.get("traceback", [])])
    )
    return mistake_code(text) or error.get("ename") or "error"


def _test_cell_errors(path: Path) -> dict[str, dict]:
    """grade_id -> first error output, for the test cells of an autograded notebook."""
    nb = nbformat.read(path, as_version=4)
    errors = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    errors[meta["grade_id"]] = out
                    break
    return errors


def build_report(course_root: Path, assignment: str) -> ClassReport:
    from nbgrader.api import Gradebook

    course = load_course(course_root)
    with Gradebook(course.db_url, course.course_id) as gb:
        a = gb.find_assignment(assignment)
        report = ClassReport(assignment, a.max_score)
        for sub in sorted(a.submissions, key=lambda s: s.student.id):
            student = sub.student.id
            report.scores[student] = sub.score
            for nb in sub.notebooks:
                autograded = course.folder("autograded", student, assignment) / f"{nb.name}.ipynb"
                errors = _test_cell_errors(autograded) if autograded.exists() else {}
                code_grades = [g for g in nb.grades if g.cell_type == "code"]
                if code_grades and all(g.auto_score is None for g in code_grades):
                    report.not_graded.append((student, nb.name))
                    continue
                for g in code_grades:
                    stats = report.cells.setdefault((nb.name, g.name), CellStats(nb.name, g.name, g.max_score))
                    stats.graded += 1
                    if g.score >= g.max_score:
                        stats.passed += 1
                    elif g.name in errors:
                        report.mistakes[(g.name, _mistake(errors[g.name]))] += 1
    return report


def format_table(r: ClassReport, top: int = 10) -> str:
    lines = [f"Class report: {r.assignment} ({len(r.scores)} submissions, max score {r.max_score:g})", ""]
    if r.scores:
        values = sorted(r.scores.values())
        mean = sum(values) / len(values)
        median = (
            values[len(values) // 2]
            if len(values) % 2
            else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        )
        lines.append(f"Scores: mean {mean:.2f}, median {median:g}, min {values[0]:g}, max {values[-1]:g}")
        counts = Counter(values)
        width = max(counts.values())
        for score in sorted(counts):
            bar = "#" * max(1, round(30 * counts[score] / width))
            lines.append(f"  {score:>6g} | {bar} {counts[score]}")
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
    return "\n".join(lines)


def figure_png(r: ClassReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    values = list(r.scores.values())
    ax1.hist(values, bins=[x - 0.5 for x in range(int(r.max_score) + 2)], color="#4c72b0", edgecolor="white")
    ax1.set(title="Score distribution", xlabel=f"total score (of {r.max_score:g})", ylabel="submissions")
    cells = sorted(r.cells.items())
    ax2.barh([gid for (_, gid), _ in cells], [100 * s.rate for _, s in cells], color="#55a868")
    ax2.set(title="Pass rate per test cell", xlabel="% of graded submissions with full points", xlim=(0, 100))
    ax2.invert_yaxis()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def render_html(r: ClassReport) -> str:
    png = base64.b64encode(figure_png(r)).decode()
    table = html.escape(format_table(r))
    return (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>Class report: {html.escape(r.assignment)}"
        f"</title></head>\n<body style='font-family: sans-serif'>\n<h1>Class report: {html.escape(r.assignment)}</h1>\n"
        f"<img alt='score distribution and pass rate per test cell' src='data:image/png;base64,{png}'>\n"
        f"<pre>{table}</pre>\n</body></html>\n"
    )
