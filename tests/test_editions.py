"""The generated editions match source/, and no edition leaks an answer.

release/, solutions/ and notebooks/ are committed so that students and
self-learners get them with a plain clone; these tests regenerate each one
into a temporary folder and compare it cell by cell with what is committed,
for every assignment of source/ (dyna_q, and the bonus going_further).
Rebuild with `python -m dynaq_course.grading.editions` when a test here fails.
"""

import shutil
from pathlib import Path

import nbformat
import pytest

from dynaq_course import notebook_cells
from dynaq_course.grading import editions

ROOT = editions.course_root()
NAMES = [p.name for p in editions.source_notebooks(ROOT)]
ASSIGNMENTS = editions.assignments(ROOT)
# (assignment, notebook name) of every source notebook; test ids like "going_further/06_going_further.ipynb"
ALL = [(a, p.name) for a in ASSIGNMENTS for p in editions.source_notebooks(ROOT, a)]
ALL_IDS = [f"{a}/{name}" for a, name in ALL]
REBUILD = "Rebuild the editions: python -m dynaq_course.grading.editions"


def _cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    return [
        (c.get("id"), c.cell_type, c.source, {k: v for k, v in c.metadata.items() if k != "execution"})
        for c in nb.cells
    ]


def _assert_same_cells(generated: Path, committed: Path):
    assert committed.exists(), f"{committed.relative_to(ROOT)} is missing. {REBUILD}"
    new, old = _cells(generated), _cells(committed)
    assert len(new) == len(old), f"{committed.relative_to(ROOT)}: {len(old)} cells, source gives {len(new)}. {REBUILD}"
    for i, (a, b) in enumerate(zip(new, old)):
        assert a == b, f"{committed.relative_to(ROOT)} cell {i} differs from what source/ gives. {REBUILD}"


def test_five_section_notebooks():
    assert NAMES == [
        "01_the_world.ipynb",
        "02_model_update.ipynb",
        "03_planning.ipynb",
        "04_how_much_to_plan.ipynb",
        "05_when_the_world_changes.ipynb",
    ]


def test_the_bonus_assignment_is_one_more_notebook():
    assert ASSIGNMENTS == [editions.ASSIGNMENT, "going_further"]
    assert [p.name for p in editions.source_notebooks(ROOT, "going_further")] == ["06_going_further.ipynb"]
    assert editions.edition_folder(ROOT, "solutions") == ROOT / "solutions"
    assert editions.edition_folder(ROOT, "notebooks", "going_further") == ROOT / "notebooks" / "going_further"
    assert editions.edition_folder(ROOT, "release", "going_further") == ROOT / "release" / "going_further"


@pytest.fixture(scope="module")
def regenerated_release(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in ASSIGNMENTS:
        editions.build_release(course, assignment)
    return course / "release"


@pytest.mark.parametrize("assignment, name", ALL, ids=ALL_IDS)
def test_release_matches_source(regenerated_release, assignment, name):
    _assert_same_cells(
        regenerated_release / assignment / name, editions.edition_folder(ROOT, "release", assignment) / name
    )


@pytest.mark.parametrize("assignment, name", ALL, ids=ALL_IDS)
def test_self_learner_edition_matches_source(tmp_path, assignment, name):
    editions.build_notebooks(ROOT, tmp_path, assignment)
    _assert_same_cells(tmp_path / name, editions.edition_folder(ROOT, "notebooks", assignment) / name)


@pytest.mark.parametrize("assignment, name", ALL, ids=ALL_IDS)
def test_solutions_match_source(tmp_path, assignment, name):
    editions.build_solutions(ROOT, tmp_path, execute=False, assignment=assignment)
    _assert_same_cells(tmp_path / name, editions.edition_folder(ROOT, "solutions", assignment) / name)


def test_building_one_assignment_keeps_the_others(tmp_path):
    """The main assignment's notebooks sit at the top of notebooks/: rebuilding them keeps notebooks/going_further/."""
    other = tmp_path / "going_further"
    editions.build_notebooks(ROOT, other, "going_further")
    editions.build_notebooks(ROOT, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == NAMES
    assert [p.name for p in other.glob("*.ipynb")] == ["06_going_further.ipynb"]


@pytest.mark.parametrize("assignment, name", ALL, ids=ALL_IDS)
def test_committed_solutions_were_run_without_error(assignment, name):
    folder = editions.edition_folder(ROOT, "solutions", assignment)
    nb = nbformat.read(folder / name, as_version=4)
    where = folder.relative_to(ROOT) / name
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        assert cell.execution_count is not None, f"{where}: code cell {i} was not run. {REBUILD}"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{where}: code cell {i} raised {errors[0].ename}"


def test_solutions_show_figures():
    for path in [
        ROOT / "solutions" / name
        for name in [
            "01_the_world.ipynb",
            "03_planning.ipynb",
            "04_how_much_to_plan.ipynb",
            "05_when_the_world_changes.ipynb",
        ]
    ] + [editions.edition_folder(ROOT, "solutions", "going_further") / "06_going_further.ipynb"]:
        nb = nbformat.read(path, as_version=4)
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        assert images, f"{path.relative_to(ROOT)} has no figure"


# ------------------------------------------------------------------ leaks

SOURCE_NOTEBOOKS = [ROOT / "source" / a / name for a, name in ALL]  # what may leak comes from every assignment


def _region_lines(begin: str, end: str) -> set[str]:
    """Every substantive line inside begin/end regions of source/ (comments and short lines skipped)."""
    lines = set()
    for path in SOURCE_NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            where = notebook_cells.describe(cell, path.name)
            for line in notebook_cells.inside(cell.source, begin, end, where).split("\n"):
                text = line.strip()
                if len(text) > 8 and not text.startswith("#"):
                    lines.add(text)
    return lines


def _answer_texts() -> set[str]:
    texts = set()
    for path in SOURCE_NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("solution"):
                texts |= {ln.strip() for ln in cell.source.split("\n") if len(ln.strip()) > 20}
    return texts


def _lesson_lines() -> set[str]:
    """Lines source/ shows outside every solution and hidden-test region (hints, lesson code)."""
    lines = set()
    for path in SOURCE_NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "markdown":
                continue
            where = notebook_cells.describe(cell, path.name)
            outside = notebook_cells.outside(cell.source, editions.BEGIN_SOLUTION, editions.END_SOLUTION, where)
            outside = notebook_cells.outside(outside, editions.BEGIN_HIDDEN, editions.END_HIDDEN, where)
            lines |= {line.strip().strip("`") for line in outside.split("\n")}
    return lines


LESSON_LINES = _lesson_lines()
SOLUTION_LINES = _region_lines(editions.BEGIN_SOLUTION, editions.END_SOLUTION) - LESSON_LINES
HIDDEN_LINES = _region_lines(editions.BEGIN_HIDDEN, editions.END_HIDDEN) - LESSON_LINES
MODEL_ANSWERS = _answer_texts()


def test_leak_check_has_something_to_look_for():
    assert len(SOLUTION_LINES) >= 6 and len(HIDDEN_LINES) >= 6 and len(MODEL_ANSWERS) >= 5
    bonus = ROOT / "source" / "going_further" / "06_going_further.ipynb"
    text = nbformat.read(bonus, as_version=4)
    hidden = {ln.strip() for c in text.cells if editions.BEGIN_HIDDEN in c.source for ln in c.source.split("\n")}
    assert len(hidden & HIDDEN_LINES) >= 4, "the leak check does not look for notebook 06's hidden tests"
    assert any("Dyna-Q+ changes the reward" in answer for answer in MODEL_ANSWERS)


def _notebook_text(path: Path, skip_reveals: bool = False) -> str:
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        if skip_reveals and cell.source.startswith("<details>"):
            continue
        parts.append(cell.source)
        parts += [str(o) for o in cell.get("outputs", [])]
    return "\n".join(parts)


@pytest.mark.parametrize("assignment, name", ALL, ids=ALL_IDS)
def test_release_has_no_solution_hidden_test_or_model_answer(assignment, name):
    text = _notebook_text(ROOT / "release" / assignment / name)
    leaked = [ln for ln in SOLUTION_LINES | HIDDEN_LINES | MODEL_ANSWERS if ln in text]
    assert not leaked, f"release/{assignment}/{name} leaks: {leaked[:3]}"
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text


@pytest.mark.parametrize("assignment, name", ALL, ids=ALL_IDS)
def test_self_learner_edition_hides_answers_behind_reveals(assignment, name):
    path = editions.edition_folder(ROOT, "notebooks", assignment) / name
    where = path.relative_to(ROOT)
    outside = _notebook_text(path, skip_reveals=True)
    leaked = [ln for ln in SOLUTION_LINES | HIDDEN_LINES | MODEL_ANSWERS if ln in outside]
    assert not leaked, f"{where} shows outside a reveal cell: {leaked[:3]}"
    everything = _notebook_text(path)
    hidden_only = HIDDEN_LINES - SOLUTION_LINES
    assert not [ln for ln in hidden_only if ln in everything], f"{where} carries hidden tests"
    assert "nbgrader" not in nbformat.read(path, as_version=4).metadata


def test_self_learner_edition_reveals_every_solution():
    text = "\n".join(_notebook_text(editions.edition_folder(ROOT, "notebooks", a) / n) for a, n in ALL)
    assert all(line in text for line in SOLUTION_LINES)
    assert all(line in text for line in MODEL_ANSWERS)


# ------------------------------------------------------------------ markers are read strictly


def _notebook_with(exercise: str, tests: str):
    cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n## Exercise 1"),
        nbformat.v4.new_code_cell(exercise, metadata={"nbgrader": {"grade_id": "f", "solution": True}}),
        nbformat.v4.new_code_cell(tests, metadata={"nbgrader": {"grade_id": "f-tests", "grade": True, "points": 1}}),
    ]
    return nbformat.v4.new_notebook(cells=cells)


GOOD_EXERCISE = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"
GOOD_TESTS = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS"


def test_well_formed_markers_give_stub_reveal_and_no_hidden_tests():
    learner = editions.make_self_learner_notebook(_notebook_with(GOOD_EXERCISE, GOOD_TESTS), where="x.ipynb")
    sources = [c.source for c in learner.cells]
    assert (
        'def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError("Student exercise: write this function")'
        in sources
    )
    assert any("```python\ndef f(x):\n    return x + 1\n```" in s for s in sources)
    assert "assert f(1) == 2" in sources and not any("f(2) == 3" in s for s in sources)
    solved = editions.make_solution_notebook(_notebook_with(GOOD_EXERCISE, GOOD_TESTS), where="x.ipynb")
    assert [c.source for c in solved.cells][-2:] == ["def f(x):\n    return x + 1", "assert f(1) == 2"]


@pytest.mark.parametrize(
    "exercise, tests, cell, line",
    [
        ("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1", GOOD_TESTS, "f", 2),
        ("def f(x):\n    return x + 1\n    ### END SOLUTION", GOOD_TESTS, "f", 3),
        (GOOD_EXERCISE, "assert f(1) == 2\nassert f(2) == 3\n### END HIDDEN TESTS", "f-tests", 3),
        (GOOD_EXERCISE, "### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS", "f-tests", 2),
        (GOOD_EXERCISE, "assert f(1) == 2  # END HIDDEN TESTS", "f-tests", 1),
    ],
)
def test_malformed_markers_stop_the_build_naming_cell_and_line(exercise, tests, cell, line):
    """Before notebook_cells, these were read silently (a stray END HIDDEN TESTS stayed in solutions/)."""
    for make in (editions.make_solution_notebook, editions.make_self_learner_notebook):
        with pytest.raises(notebook_cells.MarkerError, match=rf"^x\.ipynb cell '{cell}', line {line}: "):
            make(_notebook_with(exercise, tests), where="x.ipynb")


def test_a_hint_before_an_exercise_with_malformed_markers_stops_the_release():
    nb = _notebook_with("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1", GOOD_TESTS)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("Add one.", metadata={"tags": [editions.HINT]}))
    with pytest.raises(notebook_cells.MarkerError, match=r"^x\.ipynb cell 'f', line 2: .*never closed"):
        editions.release_cells(nb, where="x.ipynb")
