"""Browser tests: Playwright drives Chromium against a JupyterLab server started here.

* Every test in this folder has the markers ``browser`` and ``e2e`` (the tier
  table in tests/conftest.py): ``pytest -m "not browser"`` leaves them out.
* Without Chromium (``/usr/bin/chromium``, or the path in ``DYNAQ_CHROMIUM``) or
  without Playwright they are SKIPPED, with the reason and the install line. With
  ``DYNAQ_REQUIRE_BROWSER=1`` (CI) a missing browser is an error instead.
* One throw-away course per session (``course``): a copy of the generated course
  that the whole test run shares (``generated_dyna_q``, tests/conftest.py),
  ``nbgrader release_assignment`` to a temporary exchange, and the self-learner
  notebooks/ copied beside them. One JupyterLab
  server serves it (``lab_server``), with its own HOME and Jupyter folders; each
  test gets a fresh browser context and JupyterLab workspace (``lab``), and its
  kernels are shut down after it.
* Screenshots go to ``artifacts/browser/`` at the repository root (git-ignored;
  CI keeps it as an artifact); the path is printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from course_copy import ASSIGNMENT, ROOT, copy_course, nbgrader, nbgrader_env

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("DYNAQ_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "browser"
# This machine's network is closed: keep Chromium from trying background connections.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
]
INSTALL_HINT = (
    "install it with `apt-get install -y chromium` (Debian/Ubuntu), or set DYNAQ_CHROMIUM to a Chromium binary"
)


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python Playwright is not installed (it is in requirements.txt: run scripts/setup.sh)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}"
    return None


def pytest_collection_modifyitems(config, items):
    reason = browser_unavailable()
    required = os.environ.get("DYNAQ_REQUIRE_BROWSER", "") not in ("", "0")
    for item in items:
        if HERE not in Path(str(item.fspath)).parents:
            continue
        if reason and not required:
            item.add_marker(pytest.mark.skip(reason=f"browser test skipped: {reason}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


SHOTS_TAKEN: list = []


def pytest_terminal_summary(terminalreporter):
    if SHOTS_TAKEN:
        terminalreporter.write_line(f"browser screenshots: {len(SHOTS_TAKEN)} in {SCREENSHOTS}")


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def browser():
    reason = browser_unavailable()
    if reason:
        pytest.fail(f"DYNAQ_REQUIRE_BROWSER is set but {reason}")
    from playwright.sync_api import expect, sync_playwright

    # Playwright's own 5 s default is short for a 2-core machine that runs kernels and other tests.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Course:
    root: Path  # the course folder the server serves (and runs in)
    exchange: Path
    env: dict
    setup_seconds: float


@pytest.fixture(scope="session")
def course(generated_dyna_q, tmp_path_factory) -> Course:
    """A throw-away course: the assignment generated (a copy of the shared generated course) and released,
    the self-learner notebooks beside it."""
    start = time.perf_counter()
    base = tmp_path_factory.mktemp("browser_course")
    root = copy_course(generated_dyna_q.course, base / "course")
    exchange = base / "exchange"
    exchange.mkdir()
    env = nbgrader_env(exchange, base / "nbgrader_jupyter_config")
    nbgrader(root, env, "release_assignment", ASSIGNMENT)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    return Course(root, exchange, env, time.perf_counter() - start)


@pytest.fixture(scope="session")
def lab_server(course, tmp_path_factory):
    from lab_server import start_lab

    env = dict(course.env)
    env.pop("MPLBACKEND", None)  # the kernels draw with the inline backend, as for a person
    server = start_lab(course.root, tmp_path_factory.mktemp("browser_home"), env)
    yield server
    server.stop()


@dataclass
class Lab:
    page: object
    server: object
    course: Course
    workspace: str
    shots: object
    notes: list = field(default_factory=list)


@pytest.fixture
def lab(request, browser, lab_server, course):
    """A fresh browser context and JupyterLab workspace for one test; screenshots on failure."""
    from lab_page import Screenshots

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name.replace("test_", "", 1)).strip("-")
    shots = Screenshots(page, SCREENSHOTS, name)
    yield Lab(page, lab_server, course, name, shots)
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            shots("FAILED")
        except Exception as exc:  # noqa: BLE001 - the page may be gone; the failure itself is what matters
            print(f"could not take the failure screenshot: {exc}")
    context.close()
    try:
        for session in lab_server.api("api/sessions"):
            lab_server.api(f"api/sessions/{session['id']}", method="DELETE")
    except (urllib.error.URLError, OSError) as exc:
        print(f"could not shut the test's kernels down: {exc}")
    SHOTS_TAKEN.extend(shots.paths)
    print(f"screenshots: {', '.join(str(p) for p in shots.paths)}")
