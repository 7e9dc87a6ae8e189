"""A student in JupyterLab: Section 2 of the release edition, from a first Run All to Validate."""

from __future__ import annotations

import re

import lab_page as lp
import nbformat
from course_copy import ASSIGNMENT, MODEL_UPDATE_NB, fill_exercise, source_solution
from playwright.sync_api import expect

NOTEBOOK = f"release/{ASSIGNMENT}/{MODEL_UPDATE_NB}"
ANSWER = "In a world where a move can end in different places, the model keeps only the last outcome."


def answered_cell_source(course_root) -> str:
    """The exercise cell as released, with the stub replaced by the instructor's solution body."""
    nb = nbformat.read(course_root / NOTEBOOK, as_version=4)
    fill_exercise(nb, "dyna_q_model_update", source_solution(MODEL_UPDATE_NB, "dyna_q_model_update"))
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dyna_q_model_update")


def test_student_solves_the_model_update_and_validates(lab):
    page, shots = lab.page, lab.shots
    answer_source = answered_cell_source(lab.course.root)
    panel = lp.open_notebook(page, lab.server, NOTEBOOK, lab.workspace)
    shots("opened, kernel idle")

    # Run All: the self-check under the exercise calls the stub, shows its
    # NotImplementedError, and Run All stops there.
    lp.menu(page, "Run", "Run All Cells")
    exercise = lp.code_cell(panel, "def dyna_q_model_update(")
    visible_test = lp.code_cell(panel, "self_check_model_update(dyna_q_model_update)")
    expect(visible_test.locator(".jp-OutputArea")).to_contain_text("NotImplementedError", timeout=lp.RUN_TIMEOUT)
    lp.wait_idle(page)
    lp.wait_executed(exercise)
    coverage = lp.code_cell(panel, "plot_model_coverage(env, model)")
    assert lp.prompt(coverage) == "[ ]:", "Run All should stop at the failing self-check"
    shots("run all stops at the self-check", visible_test)

    # The student writes the function, runs it, then the self-check.
    lp.set_source(page, exercise, answer_source)
    lp.run_cell(page, exercise)
    expect(exercise.locator(".jp-OutputArea-output")).to_have_count(0)
    lp.run_cell(page, visible_test)
    expect(visible_test.locator(".jp-OutputArea")).to_contain_text("passed the self-check")
    expect(lp.error_outputs(panel)).to_have_count(0)
    lp.wait_idle(page)
    shots("answer written, self-check passes", visible_test)

    # The rest of the notebook now runs: the coverage map is drawn.
    lp.run_cell(page, coverage)
    expect(coverage.locator(".jp-OutputArea img")).to_have_count(1)
    expect(lp.error_outputs(panel)).to_have_count(0)
    shots("model coverage map", coverage)

    # Validate (it saves first): nbgrader's verdict names the unanswered question.
    validate_button = panel.locator(".validate-button")
    validate_button.click()
    dialog = lp.dialog(page)
    expect(dialog).to_contain_text("Validation Results", timeout=lp.RUN_TIMEOUT)
    expect(dialog).to_contain_text("You did not provide a response.")
    expect(dialog).to_contain_text("YOUR ANSWER HERE")
    shots("validate: the question is unanswered")
    dialog.get_by_role("button", name=re.compile("^ok$", re.I)).click()
    expect(dialog).to_have_count(0)
    saved = nbformat.read(lab.course.root / NOTEBOOK, as_version=4)
    assert [
        c.source for c in saved.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dyna_q_model_update"
    ] == [answer_source], "Validate should have saved the student's answer first"

    # The student answers the question; now the notebook passes.
    lp.set_markdown(page, lp.markdown_cell(panel, "YOUR ANSWER HERE"), ANSWER)
    validate_button.click()
    expect(dialog).to_contain_text("Validation Results", timeout=lp.RUN_TIMEOUT)
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    shots("validate: success")
    dialog.get_by_role("button", name=re.compile("^ok$", re.I)).click()
    expect(dialog).to_have_count(0)
