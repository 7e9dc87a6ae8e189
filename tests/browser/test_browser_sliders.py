"""The k and epsilon sliders of Sections 4 and 5 (self-learner edition), moved by keyboard and by drag.

After each move: the figure is redrawn in place (one image, its picture
changed, nothing piled up under it), and the numbers under it are for the
values the sliders show.
"""

from __future__ import annotations

import hashlib
import re

import lab_page as lp
import pytest
from playwright.sync_api import expect

EXPLORERS = {
    "k_sweep": ("notebooks/04_how_much_to_plan.ipynb", "k_sweep_explorer()"),
    "shortcut": ("notebooks/05_when_the_world_changes.ipynb", "shortcut_explorer()"),
}
UPDATE_TIMEOUT = 30_000  # ms: one slider move re-runs 20 agents on the fast engine and redraws


class ExplorerView:
    """The explorer's output as the page shows it."""

    def __init__(self, page, cell):
        self.page, self.cell = page, cell
        self.output = cell.locator(".jp-OutputArea")
        self.sliders = self.output.locator(".widget-slider")
        self.image = self.output.locator("img.widget-image")
        self.status = self.output.locator(".widget-html-content")

    def slider(self, label: str):
        return self.sliders.filter(has=self.page.locator(".widget-label", has_text=label))

    def readout(self, label: str) -> str:
        return self.slider(label).locator(".widget-readout").inner_text().strip()

    def handle(self, label: str):
        return self.slider(label).locator(".noUi-handle")

    def picture(self) -> str:
        """A digest of the PNG the image shows now (read through its blob URL)."""
        data = self.image.evaluate("""async img => {
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            return Array.from(bytes, b => String.fromCharCode(b)).join('');
        }""")
        return hashlib.sha256(data.encode("latin-1")).hexdigest()

    def expect_shows_controls(self) -> None:
        """Wait until the numbers under the figure are for the values the sliders show."""
        k, epsilon = self.readout("planning steps k"), self.readout("exploration ε")
        expect(self.status.locator("b")).to_have_text(f"k = {k}, ε = {epsilon}", timeout=UPDATE_TIMEOUT)

    def expect_one_figure(self) -> None:
        """One widget view, one image, two sliders: nothing piled up (a printed line, such as the
        engine's first-compile note, may sit above it)."""
        expect(
            self.output.locator(".jp-OutputArea-output:not([data-mime-type='application/vnd.jupyter.stdout'])")
        ).to_have_count(1)
        expect(self.output.locator("img")).to_have_count(1)
        expect(self.output.locator(".widget-slider")).to_have_count(2)


def drag(page, handle, dx: float) -> None:
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=5)
    page.mouse.move(x + dx, y, steps=5)
    page.mouse.up()


@pytest.mark.parametrize("kind", list(EXPLORERS))
def test_sliders_redraw_the_figure_in_place(lab, kind):
    page, shots = lab.page, lab.shots
    notebook, call = EXPLORERS[kind]
    panel = lp.open_notebook(page, lab.server, notebook, lab.workspace)
    # Straight to the sliders: the imports, then the explorer.
    setup = lp.code_cell(panel, "from dynaq_course.lesson.widgets import")
    lp.run_cell(page, setup)
    cell = lp.code_cell(panel, call)
    lp.run_cell(page, cell)
    view = ExplorerView(page, cell)
    expect(view.sliders).to_have_count(2, timeout=UPDATE_TIMEOUT)
    expect(view.image).to_have_count(1)
    assert view.readout("planning steps k") == "10" and view.readout("exploration ε") == "0.05"
    view.expect_shows_controls()
    view.expect_one_figure()
    expect(lp.error_outputs(panel)).to_have_count(0)
    shots("sliders as built", cell)

    moves = [
        ("keyboard", "planning steps k", lambda h: (h.focus(), page.keyboard.press("ArrowRight"))),
        ("keyboard", "exploration ε", lambda h: (h.focus(), page.keyboard.press("ArrowRight"))),
        ("drag", "planning steps k", lambda h: drag(page, h, -90)),
        ("drag", "exploration ε", lambda h: drag(page, h, 120)),
    ]
    seen = {view.picture()}
    for how, label, move in moves:
        before = view.readout(label)
        move(view.handle(label))
        expect(view.slider(label).locator(".widget-readout")).not_to_have_text(before, timeout=5_000)
        view.expect_shows_controls()
        picture = view.picture()
        assert picture not in seen, f"after moving {label} ({how}) from {before} the figure did not change"
        seen.add(picture)
        view.expect_one_figure()
        expect(lp.error_outputs(panel)).to_have_count(0)
        shots(f"{how} {label} to {view.readout(label)}", cell)
    k, epsilon = view.readout("planning steps k"), view.readout("exploration ε")
    assert re.fullmatch(r"\d+", k) and re.fullmatch(r"0\.\d\d", epsilon), (k, epsilon)
