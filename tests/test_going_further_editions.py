"""Section 6 as a learner runs it, in the editions learners open (not under nbgrader).

* Self-learner edition (``notebooks/going_further/``): a learner who pastes the
  revealed solution into each exercise cell (Exercises 6a, 6b, 6c) gets a
  notebook that runs top to bottom without an error, passes the three
  self-checks, and shows its figures.
* Student edition (``release/going_further/``), untouched: Run All stops at the
  first exercise's self-check, which says the stub still raises
  NotImplementedError and what to do, not anywhere earlier.

(The worked-solutions edition is executed when it is built, and
``test_editions.test_committed_solutions_were_run_without_error`` checks it; the
graded run is ``test_going_further_pipeline``.)
"""

import shutil

import nbformat

from dynaq_course.checks import loader as exercises
from dynaq_course.grading.editions import course_root, edition_folder, environment

ROOT = course_root()
ASSIGNMENT = "going_further"
NOTEBOOK = "06_going_further.ipynb"
EXERCISES = ("dyna_q_plus_reward", "bonus_greedy_action", "push_predecessors")  # in notebook order
INLINE = "module://matplotlib_inline.backend_inline"


def _execute(nb, folder):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    try:
        with environment(NBGRADER_EXECUTION=None, MPLBACKEND=INLINE):
            NotebookClient(
                nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
            ).execute()
        return None
    except CellExecutionError as err:
        return err


def _copy(edition, tmp_path):
    folder = tmp_path / edition
    shutil.copytree(edition_folder(ROOT, edition, ASSIGNMENT), folder)
    return folder


def _outputs(nb, kind):
    return [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == kind
    ]


def test_self_learner_edition_runs_top_to_bottom_with_the_revealed_solutions(tmp_path):
    folder = _copy("notebooks", tmp_path)
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    for name in EXERCISES:
        code = exercises._revealed_solution(nb, name)
        assert code, f"no revealed solution for {name} in the self-learner edition"
        cell = exercises._exercise_cell(nb, name)
        assert "NotImplementedError" in cell.source, f"the self-learner edition should start {name} as a stub"
        cell.source = code  # what a learner does: paste the revealed solution
    error = _execute(nb, folder)
    assert error is None, f"the self-learner edition stopped with an error:\n{str(error)[-1500:]}"
    printed = "".join(out["text"] for out in _outputs(nb, "stream") if out.get("name") == "stdout")
    for name in EXERCISES:
        assert f"{name} passed the self-check" in printed
    figures = [out for out in _outputs(nb, "display_data") if "image/png" in out.get("data", {})]
    assert len(figures) >= 4, f"expected the section's figures, got {len(figures)}"


def test_untouched_student_edition_stops_at_the_first_self_check_saying_what_to_do(tmp_path):
    folder = _copy("release", tmp_path)
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    error = _execute(nb, folder)
    assert error is not None, "an untouched student notebook ran to the end"
    assert "still raises NotImplementedError" in error.evalue and "replace the `raise` line" in error.evalue, error
    failing = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and any(out.get("output_type") == "error" for out in cell.get("outputs", []))
    ]
    first_exercise = nb.cells.index(exercises._exercise_cell(nb, EXERCISES[0]))
    assert failing and failing[0] > first_exercise, "an error before the first exercise"
    # everything before the exercise ran (the set-up imports, the narrative's code)
    assert all(cell.get("execution_count") for cell in nb.cells[: first_exercise + 1] if cell.cell_type == "code")
