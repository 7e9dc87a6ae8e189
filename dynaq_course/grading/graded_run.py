"""Run only what the grades depend on: each notebook up to its last autograded test cell.

An autograded test cell's score depends on the cells above it and on nothing below
it. The grade command (``python -m dynaq_course.grade``, with its default
``--run graded``) therefore runs each notebook in the kernel only as far as its
last autograded test cell, and does not start a kernel at all for a notebook with
no autograded test (its answers are graded by hand and need no kernel). The cells
it did not run keep their code and text, without outputs (nbgrader clears the
submitted outputs before it runs a notebook), below a note that says so: the
instructor in the formgrader and the student in the feedback read what was not
run. ``--run all`` runs every cell of every notebook, as plain ``nbgrader
autograde`` does.

The automatic scores are the same either way. What differs is what a crash or a
timeout *below* the last test cell does: under ``--run all`` it stops the notebook
from being graded (as under plain nbgrader); under ``--run graded`` such a cell
never runs.

``SetAsideUngraded`` (before the Execute step) moves the cells below the last test
cell into the resources; ``RestoreSetAside`` (right after it) puts them back, under
the note. ``autograde_steps`` places both, and drops the Execute step of a notebook
that has no test cell.
"""

from __future__ import annotations

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor, Preprocessor
from traitlets import Bool
from traitlets.utils.importstring import import_item

from dynaq_course.notebook_cells import is_autograded_test

RUN_CHOICES = ("graded", "all")
SET_ASIDE = "dynaq_set_aside"  # resources key: (cells not run, whether any cell ran)
SET_ASIDE_STEP = "dynaq_course.grading.graded_run.SetAsideUngraded"
RESTORE_STEP = "dynaq_course.grading.graded_run.RestoreSetAside"

NOT_RUN_BELOW = (
    "**Not run by the grader below this line.** The grade command runs a notebook only as far as its "
    "last autograded test cell: nothing below it changes a score. The cells below keep their code and "
    "text, without outputs; run the notebook to see them."
)
NOT_RUN_AT_ALL = (
    "**Not run by the grader.** This notebook has no autograded test cell, so the grade command did not "
    "run it: its answers are graded by hand. The cells keep their code and text, without outputs; run "
    "the notebook to see them."
)


def last_test_index(nb) -> int:
    """The index of the notebook's last autograded test cell, or -1 when it has none."""
    return max((i for i, cell in enumerate(nb.cells) if is_autograded_test(cell)), default=-1)


def note_cell(any_run: bool):
    """The markdown cell that heads the cells the grader did not run."""
    cell = nbformat.v4.new_markdown_cell(NOT_RUN_BELOW if any_run else NOT_RUN_AT_ALL)
    cell.metadata["dynaq_not_run_note"] = True
    return cell


class SetAsideUngraded(Preprocessor):
    """Move the cells below the last autograded test cell out of the notebook, into the resources."""

    enabled = Bool(True)  # nbconvert skips a preprocessor that is not enabled

    def preprocess(self, nb, resources):
        last = last_test_index(nb)
        resources[SET_ASIDE] = (nb.cells[last + 1 :], last >= 0)
        nb.cells = nb.cells[: last + 1]
        return nb, resources


class RestoreSetAside(Preprocessor):
    """Put back the cells ``SetAsideUngraded`` moved out, under a note saying they were not run."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        cells, any_run = resources.pop(SET_ASIDE, ([], True))
        if cells:
            nb.cells = [*nb.cells, note_cell(any_run), *cells]
        return nb, resources


def _is_execute(step) -> bool:
    cls = import_item(step) if isinstance(step, str) else step
    return isinstance(cls, type) and issubclass(cls, ExecutePreprocessor)


def autograde_steps(steps: list, run: str, has_tests: bool) -> list:
    """The autograde preprocessors for one notebook: ``steps`` under ``--run all``; under ``--run graded``
    the same with the set-aside around the Execute step, and without that step when the notebook has no
    autograded test cell (``has_tests`` is read from the gradebook, not from the student's file)."""
    if run not in RUN_CHOICES:
        raise ValueError(f"run must be one of {RUN_CHOICES}, got {run!r}")
    if run == "all":
        return list(steps)
    out, placed = [SET_ASIDE_STEP], False
    for step in steps:
        if _is_execute(step):
            if has_tests:
                out.append(step)
            out.append(RESTORE_STEP)
            placed = True
        else:
            out.append(step)
    if not placed:  # no Execute step configured: nothing runs, every cell goes back where it was
        out.insert(1, RESTORE_STEP)
    return out


def notebooks_with_tests(db_url: str, assignment: str) -> set[str]:
    """The names of the assignment's notebooks that have an autograded test cell, per the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        found = set()
        for notebook in gb.find_assignment(assignment).notebooks:
            answers = {cell.name for cell in notebook.solution_cells}
            if any(cell.cell_type == "code" and cell.name not in answers for cell in notebook.grade_cells):
                found.add(notebook.name)
    return found
