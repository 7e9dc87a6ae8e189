"""Section 3's planning views in JupyterLab: the Figure 8.3 cell and the slider over planning updates.

The cells are 03_planning.ipynb's own (its set-up cell and the planning-view cells, read from source/),
written into a scratch notebook of the test's course copy, so the rest of Section 3 (the exercise) need not
run. After each keyboard move of the slider: one image, its picture changed in place,
the line under it names the new update, and nothing piled up. The time from key press to the new
caption is printed (benchmark style: not asserted).
"""

from __future__ import annotations

import hashlib
import time

import lab_page as lp
import nbformat
from course_copy import ROOT
from playwright.sync_api import expect

from dynaq_course.lesson.planning_view import planning_trace

NOTEBOOK = "scratch_planning_view.ipynb"
SECTION_3 = ROOT / "source" / "dyna_q" / "03_planning.ipynb"
CELL_IDS = ("planning-visible-intro", "planning-spread", "planning-slider")  # Section 3's own cells


def section_3_cells() -> list:
    """The planning-view cells of 03_planning.ipynb as they are in source/ (the set-up cell first)."""
    cells = nbformat.read(SECTION_3, as_version=4).cells
    setup = next(c for c in cells if "setup" in c.metadata.get("tags", []))
    by_id = {c.id: c for c in cells}
    return [("code", setup.source)] + [(by_id[i].cell_type, by_id[i].source) for i in CELL_IDS]


UPDATE_TIMEOUT = 10_000  # ms: a move only redraws precomputed values


def write_notebook(path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        for kind, text in section_3_cells()
    ]
    nbformat.write(nb, path)


def picture(image) -> str:
    """A digest of the PNG the image shows now (read through its blob URL)."""
    data = image.evaluate("""async img => {
        const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
        return Array.from(bytes, b => String.fromCharCode(b)).join('');
    }""")
    return hashlib.sha256(data.encode("latin-1")).hexdigest()


def test_planning_figure_and_slider(lab):
    page, shots = lab.page, lab.shots
    write_notebook(lab.course.root / NOTEBOOK)
    panel = lp.open_notebook(page, lab.server, NOTEBOOK, lab.workspace)

    lp.run_cell(page, lp.code_cell(panel, "use_course_style()"))  # the notebook's set-up cell
    figure_cell = lp.code_cell(panel, "plot_planning_spread(snapshots)")
    lp.run_cell(page, figure_cell)
    expect(figure_cell.locator(".jp-OutputArea img")).to_have_count(1)
    printed = lp.output_text(figure_cell)
    assert "Dyna-Q (k = 50)      after episode 2:" in printed and "1.80, 1.44, 1.15, 0.92" in printed, printed
    expect(lp.error_outputs(panel)).to_have_count(0)
    shots("figure 8.3 for Quentin's World", figure_cell)

    cell = lp.code_cell(panel, "planning_step_explorer(k=50")
    lp.run_cell(page, cell)
    output = cell.locator(".jp-OutputArea")
    slider = output.locator(".widget-slider")
    image = output.locator("img.widget-image")
    caption = output.locator(".widget-html-content")
    expect(slider).to_have_count(1, timeout=UPDATE_TIMEOUT)
    expect(image).to_have_count(1)
    readout = slider.locator(".widget-readout")
    expect(readout).to_have_text("0")
    expect(caption).to_contain_text("before the first real step of episode 2")
    shots("slider as built", cell)

    # Two positions can show the same picture (the same pair replayed again, with a change too small to
    # see), so each picture is compared with the one just before; these moves replay different pairs.
    trace = planning_trace(k=50, episode=2, seed=51)
    pairs = [None] + [(u.replayed.state, u.replayed.action) for u in trace.updates[:5]]
    assert all(a != b for a, b in zip(pairs, pairs[1:]))
    previous = picture(image)
    handle = slider.locator(".noUi-handle")
    handle.focus()
    times = []
    for position in range(1, 6):
        before = caption.inner_text()
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")
        # Polled at every animation frame, so the time is not rounded up to Playwright's polling steps.
        page.wait_for_function(
            "([node, text]) => node.textContent.includes(text)",
            arg=[caption.element_handle(), f"update {position} of 500,"],
            polling="raf",
            timeout=UPDATE_TIMEOUT,
        )
        times.append(time.perf_counter() - start)
        expect(readout).to_have_text(str(position))
        assert caption.inner_text() != before
        now = picture(image)
        assert now != previous, f"after moving to update {position} the picture did not change"
        previous = now
        expect(output.locator("img")).to_have_count(1)  # redrawn in place, nothing piled up
        expect(output.locator(".widget-slider")).to_have_count(1)
        expect(lp.error_outputs(panel)).to_have_count(0)
    shots("after five keyboard moves", cell)
    ms = [1000 * t for t in times]
    print(
        f"\nplanning slider in the browser: {len(ms)} keyboard moves, key press to new caption "
        f"{', '.join(f'{t:.0f}' for t in ms)} ms (median {sorted(ms)[len(ms) // 2]:.0f} ms; budget 150 ms)"
    )
