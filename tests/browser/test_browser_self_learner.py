"""A self-learner in JupyterLab: Section 2 of notebooks/ (no nbgrader in it), revealing the
solution, using it, and running the notebook top to bottom."""

from __future__ import annotations

import lab_page as lp
import nbformat
from playwright.sync_api import expect

NOTEBOOK = "notebooks/02_model_update.ipynb"


def revealer(panel, summary: str):
    """The markdown cell whose folded <details> is opened by ``summary``."""
    found = panel.locator(".jp-MarkdownCell").filter(has=panel.page.locator("summary", has_text=summary))
    expect(found).to_have_count(1)
    return found


def test_self_learner_reveals_the_solution_and_runs_the_notebook(lab):
    page, shots = lab.page, lab.shots
    nb = nbformat.read(lab.course.root / NOTEBOOK, as_version=4)
    assert not any("nbgrader" in cell.metadata for cell in nb.cells), "the self-learner edition carries nbgrader cells"
    panel = lp.open_notebook(page, lab.server, NOTEBOOK, lab.workspace)

    # Two steps of help, each folded away until the learner opens it: first a hint, then the solution.
    hint = revealer(panel, "Show a hint")
    hint_text = hint.locator("details p").first
    expect(hint_text).to_be_hidden()
    hint.locator("summary").click()
    expect(hint_text).to_be_visible()
    expect(hint.locator("details")).not_to_contain_text("def dyna_q_model_update(")
    shots("hint revealed", hint)
    reveal = revealer(panel, "Show a solution")
    assert hint.bounding_box()["y"] < reveal.bounding_box()["y"], "the hint comes before the solution"
    details = reveal.locator("details")
    code = details.locator("pre")
    expect(code).to_be_hidden()
    # A stray double-click does not open an editor on the cell's source (the course's overrides.json).
    reveal.locator(".jp-RenderedMarkdown").dblclick(position={"x": 400, "y": 5})
    page.wait_for_timeout(500)
    expect(reveal.locator(".cm-editor")).to_be_hidden()
    expect(code).to_be_hidden()
    shots("solution folded", reveal)
    details.locator("summary").click()
    expect(code).to_be_visible()
    expect(code).to_contain_text("def dyna_q_model_update(")
    assert "NotImplementedError" not in code.inner_text()
    shots("solution revealed", reveal)

    # The learner pastes it over the stub, then runs the whole notebook.
    exercise = lp.code_cell(panel, "raise NotImplementedError")
    lp.set_source(page, exercise, code.inner_text().rstrip("\n"))
    lp.menu(page, "Run", "Run All Cells")
    code_cells = panel.locator(".jp-CodeCell")
    last = code_cells.last
    lp.wait_executed(last)
    lp.wait_idle(page)
    prompts = [lp.prompt(code_cells.nth(i)) for i in range(code_cells.count())]
    assert all(p.startswith("[") and p[1:-2].isdigit() for p in prompts), f"not every cell ran: {prompts}"
    expect(lp.error_outputs(panel)).to_have_count(0)
    self_check = lp.code_cell(panel, "self_check_model_update(dyna_q_model_update")
    expect(self_check.locator(".jp-OutputArea")).to_contain_text("passed the self-check")
    expect(last.locator(".jp-OutputArea img")).to_have_count(1)
    assert "nbgrader" not in panel.locator(".jp-OutputArea").all_inner_texts().__str__().lower()
    shots("ran top to bottom", last)

    # The model answer to the question opens the same way.
    answer = revealer(panel, "Show a model answer")
    answer.locator("summary").click()
    expect(answer.locator("details")).to_have_attribute("open", "")
    expect(answer.locator("details p").first).to_be_visible()
    shots("model answer revealed", answer)
