"""The Nbgrader menu: the instructor's formgrader, and the student's Assignment List on the
course's exchange (fetch and submit, with no exchange warning)."""

from __future__ import annotations

import re

import lab_page as lp
from course_copy import ASSIGNMENT, COURSE_ID, ROOT
from playwright.sync_api import expect

from dynaq_course.grading import editions

NOTEBOOKS = [p.stem for p in editions.source_notebooks(ROOT)]
EXCHANGE_WARNINGS = re.compile(r"unwritable|not writable|does not exist|could not be created|error", re.I)


def open_lab(lab):
    lab.page.goto(f"{lab.server.url}lab/workspaces/{lab.workspace}?token={lab.server.token}")
    expect(lab.page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_be_visible(
        timeout=lp.KERNEL_START_TIMEOUT
    )


def test_formgrader_lists_the_assignment_and_its_notebooks(lab):
    page, shots = lab.page, lab.shots
    open_lab(lab)
    lp.menu(page, "Nbgrader", "Formgrader")
    formgrader = page.frame_locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe")
    row = formgrader.locator("tr", has=formgrader.get_by_role("link", name=ASSIGNMENT, exact=True))
    expect(row).to_have_count(1, timeout=30_000)
    expect(row).to_contain_text("released")
    shots("formgrader: manage assignments")

    formgrader.get_by_role("link", name="Manual Grading").click()
    formgrader.get_by_role("link", name=ASSIGNMENT, exact=True).click()
    table = formgrader.locator("table")
    for notebook in NOTEBOOKS:
        expect(table.get_by_text(notebook, exact=True)).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(NOTEBOOKS))
    shots("formgrader: the assignment's notebooks")


def test_student_assignment_list_fetches_and_submits(lab):
    page, shots = lab.page, lab.shots
    open_lab(lab)
    lp.menu(page, "Nbgrader", "Assignment List")
    assignments = page.locator("#assignments")
    released = assignments.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    expect(released).to_have_count(1, timeout=30_000)
    expect(released).to_contain_text(COURSE_ID)
    expect(assignments.locator("#course_list_default")).to_have_text(COURSE_ID)
    shots("assignment list: released")

    released.get_by_role("button", name="Fetch").click()
    fetched = assignments.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)
    expect(fetched).to_have_count(1, timeout=30_000)
    fetched.locator("a.assignment-notebooks-link").click()  # unfolds the list of notebooks
    for notebook in NOTEBOOKS:
        expect(assignments.locator("#fetched_assignments_list").get_by_text(notebook)).to_be_visible()
    assert sorted(p.stem for p in (lab.course.root / ASSIGNMENT).glob("*.ipynb")) == NOTEBOOKS
    shots("assignment list: fetched")

    fetched.get_by_role("button", name="Submit").click()
    submitted = assignments.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
    expect(submitted).to_have_count(1, timeout=30_000)
    inbound = list((lab.course.exchange / COURSE_ID / "inbound").glob(f"*+{ASSIGNMENT}+*"))
    assert len(inbound) == 1, f"expected one submission in the exchange's inbound folder, found {inbound}"
    shots("assignment list: submitted")

    # No exchange or version warning anywhere in the list.
    for selector in (".version_error", ".list_error"):
        for node in assignments.locator(selector).all():
            assert not node.is_visible() or not node.inner_text().strip(), node.inner_text()
    assert not EXCHANGE_WARNINGS.search(assignments.inner_text()), assignments.inner_text()
    expect(page.locator(".jp-Dialog")).to_have_count(0)
