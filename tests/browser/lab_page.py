"""What a person does in JupyterLab, as Playwright steps: open a notebook, wait for
the kernel, Run All, find a cell, type into it, run it, read its output, save
screenshots.

Cells are found by text in their source (then held by position, so edits do not lose them); outputs are read
from the page as the person sees them. Every wait has a time limit and fails
with a message that says what was awaited.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

IDLE = "Python 3 (ipykernel) | Idle"
KERNEL_START_TIMEOUT = 60_000  # ms: a kernel start and the course's imports on a busy 2-core machine
RUN_TIMEOUT = 120_000  # ms: a notebook's Run All


def open_notebook(page: Page, server, path: str, workspace: str) -> Locator:
    """Open ``path`` in a fresh JupyterLab workspace and wait for the kernel to be idle.

    The status bar is what tells: the toolbar's kernel indicator says idle before
    the kernel has started. Returns the notebook panel.
    """
    page.goto(f"{server.url}lab/workspaces/{workspace}/tree/{path}?token={server.token}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(panel.locator(".jp-Notebook")).to_be_visible(timeout=KERNEL_START_TIMEOUT)
    wait_idle(page)
    return panel


def status_bar(page: Page) -> Locator:
    return page.locator("#jp-main-statusbar")


def wait_idle(page: Page, timeout: float = KERNEL_START_TIMEOUT) -> None:
    expect(status_bar(page)).to_contain_text(IDLE, timeout=timeout)


def menu(page: Page, top: str, item: str) -> None:
    """Click a main-menu entry, e.g. ``menu(page, "Run", "Run All Cells")``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(
        ".lm-Menu-content .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel",
        has_text=re.compile(f"^{re.escape(item)}$"),
    ).click()


def cells(panel: Locator) -> Locator:
    return panel.locator(".jp-Notebook .jp-Cell")


def _pinned(panel: Locator, kind: str, text: str) -> Locator:
    """The one cell of ``kind`` whose source contains ``text``, as a locator by position,
    so it still finds the cell after its text is edited."""
    expect(cells(panel).first).to_be_attached()
    matches = cells(panel).evaluate_all(
        """(nodes, [kind, text]) => nodes.map((node, i) => [i, node]).filter(([i, node]) =>
               node.classList.contains(kind) &&
               (node.querySelector('.jp-InputArea-editor')?.textContent.includes(text) ||
                node.querySelector('.jp-RenderedMarkdown')?.textContent.includes(text))).map(([i]) => i)""",
        [kind, text],
    )
    assert len(matches) == 1, f"expected exactly one {kind} containing {text!r}, found {len(matches)}"
    return cells(panel).nth(matches[0])


def code_cell(panel: Locator, text: str) -> Locator:
    """The one code cell whose source contains ``text``."""
    return _pinned(panel, "jp-CodeCell", text)


def markdown_cell(panel: Locator, text: str) -> Locator:
    """The one markdown cell whose rendered text (or source, while edited) contains ``text``."""
    return _pinned(panel, "jp-MarkdownCell", text)


def prompt(cell: Locator) -> str:
    return (cell.locator(".jp-InputPrompt").text_content() or "").strip()


def wait_executed(cell: Locator, timeout: float = RUN_TIMEOUT) -> None:
    """Wait until the cell's prompt shows an execution count ([n]:, not [*]: or [ ]:)."""
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=timeout)


def output_text(cell: Locator) -> str:
    return cell.locator(".jp-OutputArea").text_content() or ""


def error_outputs(panel: Locator) -> Locator:
    """Tracebacks shown anywhere in the notebook."""
    return panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")


def editor_text(cell: Locator) -> str:
    """The source shown in a cell's editor, line by line."""
    return cell.locator(".jp-InputArea-editor .cm-content").evaluate(
        "node => Array.from(node.querySelectorAll('.cm-line')).map(line => line.textContent).join('\\n')"
    )


def set_source(page: Page, cell: Locator, source: str) -> None:
    """Replace a code cell's source as a person pasting it would (no auto-indent on the way)."""
    cell.locator(".jp-InputArea-editor .cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)
    written = editor_text(cell)
    assert written == source, f"the cell's editor holds\n{written}\ninstead of\n{source}"


def set_markdown(page: Page, cell: Locator, text: str) -> None:
    """Write ``text`` into a markdown cell (double-click, replace, Ctrl+Enter) and check how it renders."""
    cell.dblclick()
    editor = cell.locator(".jp-InputArea-editor .cm-content")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Control+Enter")  # render in place (Shift+Enter on a last cell adds a new one)
    expect(cell.locator(".jp-RenderedMarkdown")).to_have_text(text)


def run_cell(page: Page, cell: Locator, timeout: float = RUN_TIMEOUT) -> None:
    """Run one cell with Shift+Enter from its editor and wait for its new execution count."""
    before = prompt(cell)
    cell.locator(".jp-InputArea-editor .cm-content").click()
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputPrompt")).not_to_have_text(before, timeout=timeout)
    wait_executed(cell, timeout)


def dialog(page: Page) -> Locator:
    return page.locator(".jp-Dialog")


class Screenshots:
    """Numbered screenshots of one test in ``folder``: ``shots("after run all")``."""

    def __init__(self, page: Page, folder: Path, test_name: str):
        self.page, self.folder, self.test_name = page, folder, test_name
        self.count = 0
        self.paths = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{test_name}-*.png"):
            old.unlink()

    def _path(self, label: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = self.folder / f"{self.test_name}-{self.count:02d}-{slug}.png"
        self.paths.append(path)
        return path

    def __call__(self, label: str, locator: Locator | None = None) -> Path:
        """The browser window; with ``locator``, scrolled so that it is in view (its bottom if it is taller)."""
        path = self._path(label)
        if locator is not None:
            locator.evaluate("""node => {
                const tall = node.getBoundingClientRect().height > window.innerHeight - 150;
                node.scrollIntoView({block: tall ? 'end' : 'center'});
            }""")
            self.page.wait_for_timeout(150)  # let the notebook's windowing paint what came into view
        self.page.screenshot(path=path)
        return path
