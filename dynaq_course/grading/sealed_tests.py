"""Hidden-test cells that hold no secret, for grading with ``python -m dynaq_course.grade``.

Under plain ``nbgrader autograde`` a hidden-test cell runs in the student's kernel
as the gradebook stores it: with its reference solution. Code of the student's
that ran earlier in that kernel can read it (an IPython event hook on later cells,
``In`` and the history, the call stack, ``gc``, the files the cell writes) and
print it, encoded, into an output that reaches the student's feedback.

The grade command reaches every exercise's verdict first, outside the kernel
(``checks.verify.trusted_verdicts``: the student's function runs in a fresh
sandboxed child; the reference is read from ``source/`` and run only in the
grader's own process). ``SealHiddenTests``, the first of its autograde
preprocessors, then replaces the hidden-test region of each exercise's
hidden-test cell by one call that reports that verdict
(``checks.verify.relay_verdict``), so the cell that runs in the kernel holds the
verdict's message and nothing else. The text outside the region (the cell's
visible comment) stays. The original hidden lines go into
``resources[HIDDEN_LINES]``, which the sandbox's output-capping Execute still
removes from outputs, as a second line of defence.

The visible self-check cells hold no secret, but under grading each one would start
a verifier process of its own to reach a verdict the trusted re-check already has;
``SealHiddenTests`` replaces their code below the leading comment by the same call
(``sealed_self_check``), which prints the same message.

A hidden-test cell the course does not know (its grade_id is not an exercise
test cell of ``checks.registry``, e.g. one an instructor added) gets no verdict
here: it runs as stored, and ``unsealed_hidden_tests`` names it so the grade
command can warn.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Dict

from dynaq_course.notebook_cells import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    MARKERS,
    cell_source,
    code_cells,
    grade_id,
    inside,
    is_autograded_test,
    is_grade_cell,
    regions,
    replace_hidden_tests,
)

HIDDEN_LINES = "dynaq_hidden_lines"  # resources key: the hidden lines as stored, before sealing
SEALED_NOTE = "# Checked by the grader outside this notebook's kernel; this cell only reports the verdict."


def hidden_test_cells(nb) -> list:
    """The code cells nbgrader grades that hold a hidden-test region (read tolerantly, as nbgrader would)."""
    return [
        cell
        for cell in code_cells(nb)
        if is_grade_cell(cell) and regions(cell_source(cell), BEGIN_HIDDEN, END_HIDDEN, strict=False)
    ]


def _literal(text: str) -> str:
    """``text`` as a Python string literal in which no line reads as an nbgrader marker.

    A verdict's message can quote the student's own error text, which could hold ``END HIDDEN TESTS``;
    nbgrader would take the line for a marker. The literal spells the space as ``\\x20`` there: the same
    string when run, no marker when read.
    """
    literal = repr(str(text))
    for marker in MARKERS:
        word = marker.lstrip("# ")
        literal = literal.replace(word, word.replace(" ", "\\x20"))
    return literal


def _relay(passed: bool, message: str) -> list[str]:
    """The lines that report a verdict reached outside the kernel."""
    return [
        SEALED_NOTE,
        "from dynaq_course.checks.verify import relay_verdict",
        f"relay_verdict({bool(passed)!r}, {_literal(message)})",
    ]


def sealed_source(source: str, passed: bool, message: str) -> str:
    """``source`` with its hidden tests replaced by a call that reports the verdict (``passed``, ``message``)."""
    return replace_hidden_tests(source, "\n".join(_relay(passed, message)))


def sealed_self_check(source: str, passed: bool, message: str) -> str:
    """A self-check cell's ``source``: its leading comment lines, then the call that reports the verdict."""
    lines = source.split("\n")
    comment = []
    for line in lines:
        if not line.startswith("#"):
            break
        comment.append(line)
    return "\n".join(comment + _relay(passed, message))


class SealHiddenTests(Preprocessor):
    """Replace the hidden tests of the exercises' test cells, and their self-checks, by their verdicts
    (see the module docstring).

    ``verdicts``: {test cell grade_id: {"passed": bool, "message": str}}, reached outside the kernel
    (the grade command's worker sets it for each submission).
    """

    enabled = Bool(True).tag(config=True)
    verdicts = Dict(help="{test cell grade_id: {'passed': bool, 'message': str}}, reached outside the kernel.").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        lines = set()
        hidden = hidden_test_cells(nb)
        for cell in hidden:
            source = cell_source(cell)
            lines.update(line.strip() for line in inside(source, BEGIN_HIDDEN, END_HIDDEN, strict=False).split("\n"))
            verdict = self.verdicts.get(grade_id(cell))
            if verdict is None:
                self.log.warning("hidden test cell %s is not a course exercise's: it runs as stored", grade_id(cell))
                continue
            cell.source = sealed_source(source, verdict["passed"], verdict["message"])
        resources[HIDDEN_LINES] = sorted(line for line in lines if line)
        for cell in nb.cells:
            verdict = self.verdicts.get(grade_id(cell))
            if is_autograded_test(cell) and verdict is not None and not any(cell is h for h in hidden):
                cell.source = sealed_self_check(cell_source(cell), verdict["passed"], verdict["message"])
        return nb, resources


def unsealed_hidden_tests(source_dir: Path, known: set) -> list[str]:
    """``notebook: grade_id`` of each hidden-test cell of ``source_dir``'s notebooks whose grade_id is not ``known``."""
    found = []
    for path in sorted(Path(source_dir).glob("*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a notebook the grader can read: nbgrader reports it
        found += [f"{path.name}: {grade_id(cell)}" for cell in hidden_test_cells(nb) if grade_id(cell) not in known]
    return found
