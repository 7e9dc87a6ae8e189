"""Finding what could not be graded, so it is never mistaken for a real zero.

* :func:`precheck_submission` (main process, before dispatch): every notebook of
  the assignment present, each valid JSON and valid nbformat.
* :func:`classify_autograde_error` (worker): nbgrader's error for one notebook ->
  kernel died / timed out / nbgrader error.
* :func:`timed_out_cells` (worker): cells nbgrader interrupted at the timeout
  (nbgrader records them as a ``CellTimeoutError`` output and carries on).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from dynaq_course.grading.jobs import (
    INVALID_NOTEBOOK,
    KERNEL_DIED,
    MISSING_NOTEBOOK,
    NBGRADER_ERROR,
    TIMED_OUT,
    Failure,
)


def precheck_submission(folder: Path, student: str, notebooks: list[str]) -> tuple[list[str], list[Failure]]:
    """(notebooks that can be autograded, failures) for the submission in ``folder``."""
    ok, failures = [], []
    for name in notebooks:
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            failures.append(Failure(student, name, MISSING_NOTEBOOK, f"{name}.ipynb is not in the submission"))
            continue
        try:
            json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            failures.append(Failure(student, name, INVALID_NOTEBOOK, f"not valid JSON ({err})"))
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as err:  # noqa: BLE001 - nbformat raises ValidationError, NBFormatError, KeyError...
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            failures.append(Failure(student, name, INVALID_NOTEBOOK, f"not a valid notebook: {first[:200]}"))
            continue
        ok.append(name)
    return ok, failures


def classify_autograde_error(student: str, notebook: str, text: str) -> Failure:
    """What went wrong, from nbgrader's log and traceback for one notebook."""
    if "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text:
        kind, detail = KERNEL_DIED, "the kernel died while running the notebook (e.g. os._exit, a crash, memory limit)"
    elif "UnresponsiveKernelError" in text or "became unresponsive" in text:
        kind, detail = TIMED_OUT, "the kernel stopped responding and could not be interrupted"
    elif "CellTimeoutError" in text or "TimeoutError" in text:
        kind, detail = (
            TIMED_OUT,
            "a cell ran past the time limit (raise --timeout if honest code is this slow): "
            + (_error_line(text).split(": ", 1)[-1]),
        )
    else:
        kind, detail = NBGRADER_ERROR, _error_line(text) or "nbgrader did not write the autograded notebook"
    return Failure(student, notebook, kind, detail)


def timed_out_cells(nb) -> list[str]:
    """grade_ids (or cell numbers) of the cells nbgrader stopped at the timeout."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == "CellTimeoutError":
                found.append(cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i}")
                break
    return found


def timed_out_failure(student: str, notebook: str, cells: list[str], timeout) -> Failure:
    limit = f" of {timeout} s" if timeout else ""
    return Failure(student, notebook, TIMED_OUT, f"stopped at the timeout{limit} in {', '.join(cells)}")


_EXCEPTION_LINE = re.compile(
    r"^\s*((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Kernel|Timeout)\w*(?::.*)?)$"
)


def _error_line(text: str) -> str:
    """The most telling error of a log: the last exception line (nbgrader indents its tracebacks)
    that is not nbgrader's wrapper (NbGraderException)."""
    found = [m.group(1).strip() for m in map(_EXCEPTION_LINE.match, text.splitlines()) if m]
    useful = [ln for ln in found if "NbGraderException" not in ln]
    return (useful or found or [""])[-1][:300]
