"""nbgrader's Execute with a cap on the outputs it keeps (installed by the sandbox's config).

nbclient keeps every output message a kernel sends, and nbgrader's LimitOutput
only trims lines after the whole notebook ran (one 100 MB line passes). Here each
output is measured as it arrives; past ``max_output_bytes_per_cell`` (or the
notebook's budget) outputs are dropped and one note says so. Error outputs are
never dropped -- nbgrader decides a test cell failed from them -- only their text
is shortened, so flooding the output cannot turn a failing test into a pass.

It also removes hidden-test text from outputs, as a second line of defence:
under the grade command the hidden tests of the course's exercises were sealed
before this step (``grading.sealed_tests``: the kernel runs only their verdicts),
but a hidden test the course does not know still runs as stored, and student code
could capture its source (an IPython ``pre_run_cell`` hook, ``sys.settrace``) and
print it. Every output line that contains a line of a ``### BEGIN HIDDEN TESTS``
region as stored (12 characters or more; ``resources[HIDDEN_LINES]`` when the
cells were sealed) is replaced by a note -- except in error tracebacks of the
hidden test cells themselves (nbgrader grade cells with a hidden-test region),
which the instructor needs and the course's feedback hides. Text the student
encodes (base64, reversed, ...) is not recognised here: only sealing keeps such
text out of reach.

The regions are read by ``notebook_cells`` with ``strict=False``: the notebook
is a student's submission, so malformed markers must not stop grading, and the
tolerant reading never finds less than nbgrader hides (every line nbgrader would
take for a marker counts as one; a region left open runs to the end of the cell).
"""

from __future__ import annotations

import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from dynaq_course.grading.sealed_tests import HIDDEN_LINES
from dynaq_course.notebook_cells import BEGIN_HIDDEN, END_HIDDEN, inside, is_grade_cell, regions

ERROR_TEXT_BYTES = 8192
ERROR_TRACEBACK_LINES = 200
MIN_SECRET_LINE = 12
REDACTED = "[hidden test text removed by the grader]"


def hidden_lines(nb) -> set:
    """The lines (stripped, long enough to be specific) of every hidden-test region of ``nb``'s code cells."""
    lines = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            region = inside(cell.source, BEGIN_HIDDEN, END_HIDDEN, strict=False)
            lines.update(line.strip() for line in region.split("\n") if len(line.strip()) >= MIN_SECRET_LINE)
    return lines


def hidden_test_cells(nb) -> set:
    """Indices of the hidden test cells: code cells nbgrader grades that hold a hidden-test region.

    A student's own cell is not one even if it carries the markers' text (its
    errors stay redacted).
    """
    return {
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and is_grade_cell(cell)
        and regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, strict=False)
    }


def redact(text: str, secrets: set) -> str:
    if not secrets or not isinstance(text, str):
        return text
    out = []
    for line in text.split("\n"):
        out.append(REDACTED if any(secret in line for secret in secrets) else line)
    return "\n".join(out)


def _redact_output(out, secrets: set) -> None:
    if "text" in out:
        out["text"] = redact(out["text"], secrets)
    for key, value in (out.get("data") or {}).items():
        if isinstance(value, str) and not key.startswith("image/"):
            out["data"][key] = redact(value, secrets)
        elif isinstance(value, list):
            out["data"][key] = [redact(v, secrets) for v in value]
    if out.get("output_type") == "error":
        out["evalue"] = redact(out.get("evalue", ""), secrets)
        out["traceback"] = [redact(line, secrets) for line in out.get("traceback", [])]


def _size(out) -> int:
    try:
        return len(json.dumps(out, default=str))
    except (TypeError, ValueError):
        return len(str(out))


def _shorten(text: str, limit: int = ERROR_TEXT_BYTES) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} characters cut by the grader]"


class CappedExecute(Execute):
    max_output_bytes_per_cell = Integer(
        2 * 1024 * 1024, help="Outputs kept per cell (bytes of JSON); later ones are dropped with a note."
    ).tag(config=True)
    max_output_bytes_per_notebook = Integer(16 * 1024 * 1024, help="Outputs kept per notebook (bytes of JSON).").tag(
        config=True
    )

    def preprocess(self, nb, resources=None, km=None):
        self._cell_bytes: dict = {}
        self._notebook_bytes = 0
        self._capped_cells: set = set()
        # Under the grade command the hidden tests were sealed before this step (grading.sealed_tests);
        # the lines they held are still removed from outputs.
        stored = (resources or {}).get(HIDDEN_LINES)
        self._secrets = hidden_lines(nb) if stored is None else {s for s in stored if len(s) >= MIN_SECRET_LINE}
        self._hidden_cells = hidden_test_cells(nb)
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or not outs or outs[-1] is not out:
            return out
        if out.get("output_type") == "error":
            out["ename"] = _shorten(out.get("ename", ""), 256)
            out["evalue"] = _shorten(out.get("evalue", ""))
            traceback = [_shorten(line) for line in out.get("traceback", [])]
            if len(traceback) > ERROR_TRACEBACK_LINES:
                half = ERROR_TRACEBACK_LINES // 2
                traceback = traceback[:half] + ["... [traceback cut by the grader] ..."] + traceback[-half:]
            out["traceback"] = traceback
            if cell_index not in self._hidden_cells:
                _redact_output(out, self._secrets)
            return out
        size = _size(out)
        used = self._cell_bytes.get(cell_index, 0)
        if (
            used + size > self.max_output_bytes_per_cell
            or self._notebook_bytes + size > self.max_output_bytes_per_notebook
        ):
            outs.pop()
            if display_id:  # nbclient noted where this output went; it is gone
                indices = self._display_id_map.get(display_id, {}).get(cell_index, [])
                if indices and indices[-1] == len(outs):
                    indices.pop()
            if cell_index not in self._capped_cells:
                self._capped_cells.add(cell_index)
                outs.append(
                    new_output(
                        "stream",
                        name="stderr",
                        text=(
                            f"[grader: output of this cell over {self.max_output_bytes_per_cell} bytes "
                            f"(or the notebook over {self.max_output_bytes_per_notebook}) was dropped]\n"
                        ),
                    )
                )
            return None
        self._cell_bytes[cell_index] = used + size
        self._notebook_bytes += size
        _redact_output(out, self._secrets)
        return out
