"""A whole term on the class hub, in Chromium: scripts/start-class.sh with real Unix users.

The instructor logs in and releases ``dyna_q`` from the formgrader; two students log in, fetch
it in the Assignment List, hand in their answers (one right, one whose planner ignores ``k``)
and submit; a third tries to reach another student's work and the instructor's course through
the hub and is refused; the instructor collects, grades with ``python -m dynaq_course.grade
--sandbox require`` and releases feedback; each student fetches their feedback in the
Assignment List and sees their own score and the named mistake, never the hidden tests.

Needs root (it makes Unix users, as CI does); elsewhere it is skipped. The class runs in its
own folder, with its own users (``dqt_*``) and ports, and ``stop-class.sh --clean`` removes
them all at the end, also when a step fails. Screenshots: artifacts/browser/hub-term-*.png.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import SCREENSHOTS, SHOTS_TAKEN
from course_copy import ASSIGNMENT, MODEL_UPDATE_NB, PLANNING_NB, ROOT, fill_exercise, student_work
from playwright.sync_api import expect
from test_pipeline import HIDDEN_ONLY, SECRET_NAMES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the class hub makes Unix users: run as root (CI does)")

CLASS_DIR = Path("/srv/dynaq-class-test")
TEACHER, ALICE, BOB, CAROL = "dqt_teacher", "dqt_alice", "dqt_bob", "dqt_carol"
ROSTER = f"""username,role,first_name,last_name,email,lms_id,sis_id,section
{TEACHER},instructor,Tess,Teacher,t@example.org,,,
{ALICE},student,Alice,Right,a@example.org,1,S1,A
{BOB},student,Bob,Planner,b@example.org,2,S2,A
{CAROL},student,Carol,Curious,c@example.org,3,S3,B
"""
LOGIN_TIMEOUT = 180_000  # ms: the first login starts the user's server on a busy 2-core machine


def free_port_block(n: int = 3) -> int:
    """A port p with p .. p+n-1 free on 127.0.0.1 (the class, the proxy's API, the hub)."""
    for base in range(18_000, 19_000, 10):
        try:
            for p in range(base, base + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports in 18000-19000")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert out.returncode == 0, f"{' '.join(cmd)} exited {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


def as_user(user: str, script: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a shell script as ``user`` with a login shell and the class venv first on PATH."""
    env_path = f"{CLASS_DIR}/venv/bin:/usr/local/bin:/usr/bin:/bin"
    out = subprocess.run(
        ["su", "-", user, "-c", f"export PATH={env_path}; {script}"], capture_output=True, text=True, timeout=900
    )
    if check:
        assert out.returncode == 0, f"as {user}: {script}\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out


@dataclass
class Hub:
    url: str
    passwords: dict
    first_start: float
    second_start: float
    second_output: str


def stop_class(clean: bool = True) -> subprocess.CompletedProcess:
    args = ["bash", str(ROOT / "scripts" / "stop-class.sh"), "--class-dir", str(CLASS_DIR)]
    return subprocess.run([*args, "--clean"] if clean else args, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    stop_class()  # what a crashed earlier run may have left
    roster = tmp_path_factory.mktemp("roster") / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    port = free_port_block()
    start = [
        "bash",
        str(ROOT / "scripts" / "start-class.sh"),
        "--roster",
        str(roster),
        "--port",
        str(port),
        "--class-dir",
        str(CLASS_DIR),
    ]
    try:
        t0 = time.perf_counter()
        run(start, timeout=900)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = run(start, timeout=300)
        second = time.perf_counter() - t0
        passwords = dict(line.split() for line in (CLASS_DIR / "passwords.txt").read_text().splitlines())
        print(f"start-class.sh: first run {first:.0f} s, second run {second:.1f} s")
        yield Hub(f"http://127.0.0.1:{port}", passwords, first, second, again.stdout)
    finally:
        out = stop_class()
        print(out.stdout, out.stderr)
    left = [u for u in (TEACHER, ALICE, BOB, CAROL) if subprocess.run(["id", u], capture_output=True).returncode == 0]
    assert not left and not CLASS_DIR.exists(), f"stop-class.sh --clean left users {left} or {CLASS_DIR}"


@pytest.fixture(scope="module")
def shots_for(browser):
    """A logged-in browser context per user (made on first use) and the term's screenshots."""
    contexts = {}
    shots = {"count": 0}

    def login(hub: Hub, user: str):
        if user in contexts:
            return contexts[user]
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", user)
        page.fill("#password_input", hub.passwords[user])
        page.click("#login_submit")
        page.wait_for_url(f"**/user/{user}/lab**", timeout=LOGIN_TIMEOUT)
        expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=LOGIN_TIMEOUT)
        contexts[user] = page
        return page

    def shot(page, label: str):
        shots["count"] += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = SCREENSHOTS / f"hub-term-{shots['count']:02d}-{slug}.png"
        page.screenshot(path=path)
        SHOTS_TAKEN.append(path)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("hub-term-*.png"):
        old.unlink()
    yield login, shot
    for page in contexts.values():
        page.context.close()


def api(page, hub: Hub, user: str, path: str, method: str = "GET", data=None):
    """A request to ``user``'s own server from their logged-in browser (cookies and XSRF token)."""
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_xsrf"), "")
    headers = {"X-XSRFToken": xsrf, "Content-Type": "application/json"}
    url = f"{hub.url}/user/{user}/{path}"
    response = page.request.fetch(url, method=method, headers=headers, data=json.dumps(data) if data else None)
    return response


def answered(user_home_nb: dict, kind: str) -> dict:
    """The fetched notebook as the student hands it in: the stub replaced by their answer."""
    model_update, planning = student_work(kind)
    nb = nbformat.from_dict(user_home_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "dyna_q_model_update":
            fill_exercise(nb, grade_id, model_update)
        if grade_id == "dyna_q_planning":
            fill_exercise(nb, grade_id, planning)
    return nb


def assignment_list(page):
    """Open nbgrader's Assignment List from the Nbgrader menu; return its panel."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Assignment List$")).click()
    panel = page.locator("#assignment-list, .nbgrader-AssignmentList, .jp-Activity:has-text('Released assignments')")
    expect(page.get_by_text("Released assignments").first).to_be_visible()
    return panel


def nbgrader_menu_items(page) -> list[str]:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    items = page.locator(".lm-Menu-content .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    return items


def test_start_class_is_safe_to_run_again(hub):
    out = hub.second_output
    assert "made user" not in out, out
    assert "class venv up to date" in out, out
    assert f"kept /home/{TEACHER}/course" in out, out
    assert "already running" in out, out
    for user in (TEACHER, ALICE, BOB, CAROL):
        home = Path(f"/home/{user}")
        assert oct(home.stat().st_mode & 0o777) == "0o700", f"{home} should be private"
    exchange = CLASS_DIR / "exchange"
    assert oct(exchange.stat().st_mode & 0o7777) == "0o1777", "nbgrader's exchange: world-writable and sticky"


def test_a_whole_term(hub, shots_for):
    login, shot = shots_for

    # --- The instructor: each role sees its own nbgrader tools; release dyna_q from the formgrader.
    teacher = login(hub, TEACHER)
    teacher_menu = nbgrader_menu_items(teacher)
    assert "Formgrader" in teacher_menu and "Assignment List" not in teacher_menu, teacher_menu
    teacher.goto(f"{hub.url}/user/{TEACHER}/formgrader")
    row = teacher.locator("tr", has_text=ASSIGNMENT).first
    expect(row).to_be_visible()
    shot(teacher, "instructor formgrader before release")
    row.locator("td.assign a").click()
    expect(teacher.locator(".modal-dialog")).to_contain_text("Success", timeout=300_000)
    teacher.locator(".modal-footer button", has_text="OK").first.click()
    row.locator("td.release a").click()
    expect(teacher.locator(".modal-dialog")).to_contain_text("Success", timeout=120_000)
    teacher.locator(".modal-footer button", has_text="OK").first.click()
    expect(row.locator("td.status")).to_contain_text("released")
    shot(teacher, "instructor released dyna_q")

    # --- Two students fetch, answer (one right, one whose planner ignores k) and submit.
    for user, kind in ((ALICE, "all_right"), (BOB, "wrong_planning")):
        page = login(hub, user)
        menu = nbgrader_menu_items(page)
        assert "Assignment List" in menu and "Formgrader" not in menu, menu
        assignment_list(page)
        released = page.locator(".list_item", has_text=ASSIGNMENT).first
        released.locator("button", has_text="Fetch").click()
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
        expect(fetched.locator("button", has_text="Submit")).to_be_visible(timeout=60_000)
        shot(page, f"{user} fetched dyna_q")
        for name in (MODEL_UPDATE_NB, PLANNING_NB):
            got = api(page, hub, user, f"api/contents/{ASSIGNMENT}/{name}?content=1")
            assert got.ok, f"{user} could not read their own {name}: {got.status}"
            nb = answered(got.json()["content"], kind)
            put = api(page, hub, user, f"api/contents/{ASSIGNMENT}/{name}", "PUT", {"type": "notebook", "content": nb})
            assert put.ok, f"{user} could not save {name}: {put.status} {put.text()}"
        page.goto(f"{hub.url}/user/{user}/lab/tree/{ASSIGNMENT}/{PLANNING_NB}")
        expect(page.locator(".jp-NotebookPanel .jp-Notebook")).to_be_visible()
        answer = page.locator(".jp-NotebookPanel .jp-CodeCell", has_text="def dyna_q_planning").first
        answer.scroll_into_view_if_needed()
        expect(answer).to_contain_text("return value")
        shot(page, f"{user} answer in the planning notebook")
        assignment_list(page)
        page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.locator(
            "button", has_text="Submit"
        ).click()
        expect(page.locator("#submitted_assignments_list")).to_contain_text(ASSIGNMENT, timeout=60_000)
        shot(page, f"{user} submitted")

    # --- A third student tries to reach another student's work and the instructor's course.
    carol = login(hub, CAROL)
    for path in (f"/user/{ALICE}/api/contents/{ASSIGNMENT}", f"/user/{TEACHER}/api/contents/course/source"):
        response = carol.request.get(hub.url + path, max_redirects=0)
        assert response.status in (302, 403, 404), f"carol got {response.status} for {path}"
        assert ASSIGNMENT not in response.text() or response.status != 200
    for path in ("../dqt_alice", "..%2Fdqt_alice", f"..%2F{TEACHER}%2Fcourse"):
        response = api(carol, hub, CAROL, f"api/contents/{path}")
        assert not response.ok, f"carol's own server served {path}: {response.status}"
    carol.goto(f"{hub.url}/user/{ALICE}/lab")
    shot(carol, "carol refused at alice's server")
    page_text = carol.locator("body").inner_text()
    assert "def dyna_q_planning" not in page_text
    snoop = f"ls /home/{ALICE} /home/{TEACHER}/course 2>&1; ls {CLASS_DIR}/exchange/*/inbound 2>&1"
    refused = as_user(CAROL, snoop, check=False)
    assert refused.stdout.count("Permission denied") >= 3, refused.stdout

    # --- The instructor collects, grades in the sandbox, releases feedback.
    graded = as_user(
        TEACHER,
        f"cd ~/course && nbgrader collect {ASSIGNMENT} && python -m dynaq_course.grade {ASSIGNMENT} "
        f"--sandbox require --jobs 1 --no-progress && nbgrader generate_feedback {ASSIGNMENT} "
        f"&& nbgrader release_feedback {ASSIGNMENT}",
    )
    print(graded.stdout[-3000:])
    assert "dqt_alice                    7 / 7" in graded.stdout, graded.stdout
    # The morning after: the class report and the LMS file, from the instructor's own account.
    roster = f"{CLASS_DIR}/roster.csv"
    as_user(
        TEACHER,
        f"cd ~/course && python -m dynaq_course.report {ASSIGNMENT} --html class_report.html --roster {roster} "
        f"&& python -m dynaq_course.export {ASSIGNMENT} --roster {roster} --canvas grades-canvas.csv",
    )
    report = Path(f"/home/{TEACHER}/course/class_report.html").read_text(encoding="utf-8")
    assert "Alice Right" in report and "Bob Planner" in report, "the report names the roster's students"
    assert "planning-" in report, "the report lists Bob's planning mistake"
    canvas = Path(f"/home/{TEACHER}/course/grades-canvas.csv").read_text(encoding="utf-8").splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section"), canvas[0]
    assert any(row.startswith('"Curious, Carol"') and row.endswith(",") for row in canvas), (
        "carol did not submit: her cell is blank, not 0"
    )
    teacher.goto(f"file:///home/{TEACHER}/course/class_report.html")
    shot(teacher, "instructor class report")
    teacher.goto(f"{hub.url}/user/{TEACHER}/formgrader")
    expect(teacher.locator("tr", has_text=ASSIGNMENT).first.locator("td.num-submissions")).to_contain_text("2")
    shot(teacher, "instructor graded two submissions")

    # --- Each student fetches feedback and sees their score and mistake, never the hidden tests.
    scores = {}
    for user in (ALICE, BOB):
        page = login(hub, user)
        page.goto(f"{hub.url}/user/{user}/lab")
        assignment_list(page)
        submitted = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first
        submitted.locator("button", has_text="Fetch Feedback").click()
        expect(submitted).to_contain_text("(view feedback)", timeout=60_000)
        shot(page, f"{user} fetched feedback")
        listing = api(page, hub, user, f"api/contents/{ASSIGNMENT}/feedback").json()["content"]
        stamp = sorted(item["name"] for item in listing)[-1]
        page.goto(f"{hub.url}/user/{user}/files/{ASSIGNMENT}/feedback/{stamp}/{PLANNING_NB[:-6]}.html")
        text = page.locator("body").inner_text()
        if user == BOB:
            page.get_by_text("[mistake: planning-").first.scroll_into_view_if_needed()
        shot(page, f"{user} planning feedback")
        leaked = [line for line in HIDDEN_ONLY if line in text] + [name for name in SECRET_NAMES if name in text]
        assert not leaked, f"{user}'s feedback shows hidden-test code: {leaked}"
        match = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", text)
        assert match, text[:500]
        scores[user] = float(match.group(1)), float(match.group(2))
        if user == BOB:
            assert "[mistake: planning-" in text, text[-2000:]
    # The planning notebook's written question waits for the instructor (not graded yet, so
    # neither total is full); the autograded planner is what tells the two apart.
    assert scores[ALICE][0] > scores[BOB][0], scores
