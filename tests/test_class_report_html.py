"""The class report's HTML page, on a course made by hand in a temporary folder: a gradebook
filled with nbgrader.api.Gradebook and fake autograded notebooks (no nbgrader command, no kernel).

Students: ann (all right, feedback released), bob (planning-ignores-k, late, a `<script>` in his
roster name and code), cid (03_planning missing from his submission: not graded), dan (the kernel
passed a cell the trusted re-check did not: tampering suspected), eve (submitted, never graded),
fay (on the roster, no submission).

    pytest -q -p no:cacheprovider tests/test_class_report_html.py
"""

from __future__ import annotations

import datetime
import html
import re
import warnings
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from dynaq_course.checks import registry
from dynaq_course.checks.messages import CATALOGUE
from dynaq_course.grading import similarity
from dynaq_course.grading.report import build_report, explanation, format_table, render_html
from dynaq_course.report import main as report_main

A = "dyna_q"
CELLS = {  # notebook -> {test cell: points}
    "02_model_update": {"test_model_update_visible": 1, "test_model_update_hidden": 2},
    "03_planning": {"test_planning_visible": 1, "test_planning_hidden": 3},
}
DUE = datetime.datetime(2024, 3, 1, 12, 0)
EVIL = "<script>alert('x')</script>"
IGNORES_K = "planning makes the same number of updates (1) whatever params['k'] is. [mistake: planning-ignores-k]"


def _notebook(notebook: str, errors: dict[str, str]):
    """An autograded notebook: one test cell per grade cell; ``errors`` grade_id -> error message."""
    nb = nbformat.v4.new_notebook()
    for gid, points in CELLS[notebook].items():
        cell = nbformat.v4.new_code_cell(f"check({gid!r})")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": gid, "points": points}
        if gid in errors:
            cell.outputs = [
                nbformat.v4.new_output(
                    "error",
                    ename="ExerciseCheckFailed",
                    evalue=errors[gid],
                    traceback=[f"\x1b[0;31mExerciseCheckFailed\x1b[0m: {errors[gid]}"],
                )
            ]
        nb.cells.append(cell)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("class_report") / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    # student -> {grade_id: auto score (None: not graded)}, and the submission's timestamp
    scores = {
        "ann": ({"test_model_update_visible": 1, "test_model_update_hidden": 2, "test_planning_visible": 1,
                 "test_planning_hidden": 3}, DUE - datetime.timedelta(hours=1)),
        "bob": ({"test_model_update_visible": 1, "test_model_update_hidden": 2, "test_planning_visible": 0,
                 "test_planning_hidden": 0}, DUE + datetime.timedelta(hours=2, minutes=5)),
        "cid": ({"test_model_update_visible": 1, "test_model_update_hidden": 0, "test_planning_visible": None,
                 "test_planning_hidden": None}, DUE),
        "dan": ({"test_model_update_visible": 1, "test_model_update_hidden": 0, "test_planning_visible": 1,
                 "test_planning_hidden": 3}, DUE),
    }  # fmt: skip
    with warnings.catch_warnings(), Gradebook("sqlite:///" + str(root / "gradebook.db")) as gb:
        warnings.simplefilter("ignore", category=Warning)  # nbgrader's SQLAlchemy autoflush warnings (harmless)
        gb.add_assignment(A, duedate=DUE)
        for notebook, cells in CELLS.items():
            gb.add_notebook(notebook, A)
            for gid, points in cells.items():
                gb.add_grade_cell(gid, notebook, A, max_score=points, cell_type="code")
        for student, (cells, timestamp) in scores.items():
            gb.add_student(student)
            gb.add_submission(A, student, timestamp=timestamp)
            for gid, score in cells.items():
                notebook = next(nb for nb, c in CELLS.items() if gid in c)
                grade = gb.find_grade(gid, notebook, A, student)
                grade.auto_score = score
                grade.needs_manual_grade = score is None or (student == "dan" and score == 0)
        gb.find_submission_notebook("02_model_update", A, "bob").late_submission_penalty = 1.0
        gb.db.commit()
    errors = {
        "ann": {},
        "bob": {"test_planning_visible": IGNORES_K, "test_planning_hidden": IGNORES_K},
        "cid": {"test_model_update_hidden": "model[state, action] holds ... [mistake: model-swapped]"},
        "dan": {},  # the kernel passed test_model_update_hidden; the gradebook has 0 for it
    }
    for student, errs in errors.items():
        folder = root / "autograded" / student / A
        folder.mkdir(parents=True)
        for notebook in CELLS:
            if student == "cid" and notebook == "03_planning":
                continue  # not graded: the grade command writes no autograded copy
            nbformat.write(_notebook(notebook, errs), folder / f"{notebook}.ipynb")
    for student in ("ann", "bob", "cid", "dan", "eve"):
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        for notebook in CELLS:
            if not (student == "cid" and notebook == "03_planning"):
                nbformat.write(_notebook(notebook, {}), folder / f"{notebook}.ipynb")
    for student in ("ann", "bob"):
        folder = root / "feedback" / student / A
        folder.mkdir(parents=True)
        for notebook in CELLS:
            (folder / f"{notebook}.html").write_text(f"<p>feedback of {student}</p>")
    return root


@pytest.fixture(scope="module")
def roster(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    path.write_text(
        "username,role,first_name,last_name\n"
        "prof,instructor,Ada,Quinn\n"
        "ann,student,Ann,Lee\n"
        f'bob,student,"{EVIL}",Nguyen\n'
        "cid,student,,\n"
        "dan,student,Dan,Okafor\n"
        "fay,student,Fay,Moreau\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def no_similarity(monkeypatch):
    def fake(course_root, assignment, threshold=similarity.DEFAULT_THRESHOLD):
        return []

    monkeypatch.setattr(similarity, "class_similarity", fake)


def _row(page: str, student: str) -> str:
    match = re.search(rf"<tr id='student-{student}'>(.*?)</tr>", page, re.S)
    assert match, f"no row for {student}"
    return match.group(1)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _page(course: Path, roster: Path | None = None, where: Path | None = None) -> str:
    r = build_report(course, A, roster=roster)
    return render_html(r, base=where)


def test_student_rows_scores_late_not_graded_and_tampering(course, roster, no_similarity):
    page = _page(course, roster)
    cells = lambda s: re.findall(r"<td[^>]*>(.*?)</td>", _row(page, s), re.S)  # noqa: E731
    # name, username, 02_model_update, 03_planning, total, late, flags, feedback
    assert [_text(c).strip() for c in cells("ann")[:6]] == ["Ann Lee", "ann", "3", "4", "7", ""]
    assert [_text(c).strip() for c in cells("bob")[2:6]] == ["3", "0", "3", "late 2 h 5 min, −1 points"]
    cid = [_text(c).strip() for c in cells("cid")]
    assert cid[:5] == ["", "cid", "1", "not graded", "1 + not graded"]  # no name on the roster; not a 0
    assert "could not be graded: 03_planning missing notebook: 03_planning.ipynb is not in the submission" in cid[6]
    dan = _text(_row(page, "dan"))
    assert "tampering suspected" in dan and "test_model_update_hidden: the kernel passed it" in dan
    assert "tampering" not in _text(_row(page, "ann")) + _text(_row(page, "bob"))
    eve = [_text(c).strip() for c in cells("eve")]
    assert eve[2:5] == ["not graded"] * 3  # both notebooks and the total
    assert "submitted but not in the gradebook" in eve[6] and "not in the roster" in eve[6]
    assert [_text(c).strip() for c in cells("fay")[:5]] == ["Fay Moreau", "fay", "—", "—", "no submission"]
    assert "prof" not in page  # instructors are not students


def test_table_lists_the_students_briefly(course, roster, no_similarity):
    table = format_table(build_report(course, A, roster=roster))
    assert re.search(r"^ann +Ann Lee +7/7 *$", table, re.M), table
    assert re.search(r"^bob .* 3/7 +late 2 h 5 min \(-1\)$", table, re.M), table
    assert re.search(r"^cid +1\+\?/7 +NOT GRADED: 03_planning$", table, re.M), table
    assert re.search(r"^dan .*TAMPERING SUSPECTED: test_model_update_hidden$", table, re.M), table
    assert re.search(r"^fay +Fay Moreau +-/7 +NO SUBMISSION$", table, re.M), table
    # the histogram counts fully graded submissions only: cid and eve are not zeros
    assert "Scores (3 fully graded): mean 5.00, median 5, min 3, max 7" in table


def test_mistakes_are_explained_from_the_catalogue_with_who_made_them(course, roster, no_similarity):
    page = _page(course, roster)
    section = re.search(r"<section class='mistake' id='mistake-planning-ignores-k'>(.*?)</section>", page, re.S)
    assert section, page
    text = _text(section.group(1))
    expected = explanation("planning-ignores-k", "test_planning_hidden")
    fn = registry.graded_cells()["test_planning_hidden"][0].name
    assert expected == CATALOGUE["planning-ignores-k"].format(fn=fn, count="…")
    assert expected in text
    assert "1 student" in text and "test_planning_hidden, test_planning_visible" in text
    people = [_text(li) for li in re.findall(r"<li>(.*?)</li>", section.group(1))]
    assert people == [f"{EVIL} Nguyen (bob) — test_planning_hidden, test_planning_visible"]
    swapped = _text(re.search(r"id='mistake-model-swapped'>(.*?)</section>", page, re.S).group(1))
    assert CATALOGUE["model-swapped"] in swapped and "cid" in swapped and "bob" not in swapped


def test_feedback_links_are_relative_to_the_page_and_resolve(course, tmp_path, no_similarity):
    where = tmp_path / "elsewhere" / "deeper"
    where.mkdir(parents=True)
    page = _page(course, where=where)
    ann = _row(page, "ann")
    links = re.findall(r"href='([^']+)'", ann)
    assert len(links) == 2
    for link in links:
        assert not link.startswith("/")
        target = (where / unquote(link)).resolve()
        assert target.is_file() and target.read_text() == "<p>feedback of ann</p>"
    assert "none yet" in _row(page, "dan")  # no feedback generated for dan


def test_cli_writes_the_page_in_the_course_with_links_that_work(course, roster, no_similarity, capsys, monkeypatch):
    monkeypatch.chdir(course)
    assert report_main([A, "--html", "class_report.html", "--roster", str(roster)]) == 0
    out = capsys.readouterr().out
    assert "HTML report: class_report.html" in out and "Fay Moreau" in out
    page = (course / "class_report.html").read_text()
    links = re.findall(r"href='([^']+)'", page)
    assert "feedback/ann/dyna_q/02_model_update.html" in links
    assert all((course / unquote(link)).is_file() for link in links)


def test_names_and_code_are_escaped(course, roster, monkeypatch):
    pair = similarity.SimilarPair("planning", "bob", "dan", 0.93, f"def planning():\n    {EVIL}\n", "x = '&'\n")
    monkeypatch.setattr(similarity, "class_similarity", lambda *args, **kwargs: [pair])
    page = _page(course, roster)
    assert "<script" not in page
    assert html.escape(EVIL, quote=True) in page
    assert "x = &#x27;&amp;&#x27;" in page


def test_similarity_pairs_side_by_side(course, roster, monkeypatch):
    pair = similarity.SimilarPair(
        "planning", "ann", "dan", 0.91, "def planning(a):\n    return a\n", "def planning(b):"
    )
    monkeypatch.setattr(similarity, "class_similarity", lambda *args, **kwargs: [pair])
    page = _page(course, roster)
    block = re.search(r"<details class='pair' open>(.*?)</details>", page, re.S).group(1)
    assert "Ann Lee (ann) and Dan Okafor (dan), similarity 0.91" in _text(block)
    assert re.search(r"<td><pre>def planning\(a\):\n    return a\n</pre></td><td><pre>def planning\(b\):</pre>", block)


def test_no_flag_and_no_comparison_are_said_plainly(course, no_similarity, monkeypatch):
    assert "No pair of submissions was flagged as similar" in _page(course)

    def broken(*args, **kwargs):
        raise FileNotFoundError("no submitted/ folder")

    monkeypatch.setattr(similarity, "class_similarity", broken)
    page = _page(course)
    assert "The similarity comparison could not run:" in page and "FileNotFoundError: no submitted/ folder" in page


def test_figure_has_a_description(course, no_similarity):
    page = _page(course)
    alt = re.search(r"<img alt='([^']+)'", page).group(1)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", page).group(1)
    assert alt == caption
    assert "histogram of the total scores of the 3 fully graded submissions" in alt
    assert "test_planning_hidden 67%" in alt
