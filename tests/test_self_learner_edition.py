"""The self-learner edition reads as a self-learner's course, and the edition tags do what editions.py says.

* The committed notebooks/ and solutions/ carry no grading language (points,
  "graded", extra credit, hidden tests, Validate, submit, ...): a failure names
  the notebook, the cell and the words.
* On a throw-away copy of source/ to which these tests add their own tagged
  cells (so they do not depend on which cells the course has tagged): a
  ``graded-only`` cell is only in release/, a ``self-learner-only`` cell only in
  notebooks/ (also when nbgrader alone generates release/), a ``hint`` is a
  closed "Show a hint" reveal between the stub and the "Show a solution" reveal
  in notebooks/ and a closed <details> in place elsewhere.
* Reveal cells are closed, read-only markdown (Run All renders them, never runs
  them), no code cell holds a solution line, and each banner names only what
  its notebook has.
* A learner who skips Exercise 3 can run the rest of Section 3: the cell after
  the self-check says it is not written, the cell after it uses the revealed
  solution and says so, and Run All goes on, as the banner says.
* The same fallback knows the three exercises of Section 6 (6a, 6b, 6c): in the
  committed self-learner edition, a skipped one is replaced by its revealed
  solution, which passes the exercise's self-check.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from dynaq_course.checks import loader as exercises
from dynaq_course.grading import editions

ROOT = editions.course_root()
COMMITTED = [
    (edition, a, p.name)
    for edition in ("notebooks", "solutions")
    for a in editions.assignments(ROOT)
    for p in editions.source_notebooks(ROOT, a)
]
GRADED_MARK = "MARK-GRADED: 4 points, 3 of them from further tests that run when your work is graded."
SELF_MARK = "MARK-SELF: try it on paper first, then in the cell below."
SELF_CODE_MARK = 'print("MARK-SELF-CODE")'
HINT_MARK = "MARK-HINT: list the remembered pairs once, then draw one of them at random per planning step."
QHINT_MARK = "MARK-QHINT: think about which rewards the model can hold before the goal is reached."
PLANNING = "03_planning.ipynb"


# ------------------------------------------------------------------ no grading language in what learners read


@pytest.mark.parametrize("edition, assignment, name", COMMITTED, ids=[f"{e}/{a}/{n}" for e, a, n in COMMITTED])
def test_no_grading_language(edition, assignment, name):
    path = editions.edition_folder(ROOT, edition, assignment) / name
    hits = editions.grading_language(nbformat.read(path, as_version=4))
    listed = "; ".join(f"cell {i} (id {cid}): {phrase} {words!r}" for i, cid, phrase, words in hits)
    assert not hits, (
        f"{path.relative_to(ROOT)} has grading language: {listed}. Reword the source cell, or tag "
        f"it {editions.GRADED_ONLY}, then rebuild (python -m dynaq_course.grading.editions)."
    )


def test_the_grading_scan_finds_each_kind_of_phrase():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(text)
            for text in [
                "## Exercise 3 (4 points)",
                "When your work is graded, the cell after it runs more tests.",
                "Its points are extra credit.",
                "Click Validate, then submit before the deadline.",
                "nbgrader autograde runs hidden tests.",
                "Nothing to see: a gradient, upgraded, scores, pointers.",
            ]
        ]
    )
    found = {(i, phrase) for i, _, phrase, _ in editions.grading_language(nb)}
    assert {
        (0, "points"),
        (1, "graded"),
        (1, "more tests"),
        (2, "points"),
        (2, "extra credit"),
        (3, "validate"),
        (3, "submit"),
        (3, "deadline"),
        (4, "nbgrader"),
        (4, "more tests"),
    } <= found
    assert not [f for f in found if f[0] == 5]


# ------------------------------------------------------------------ a tagged copy of the course


def _planning_with_test_tags(nb):
    """Notebook 03 with the test's own tagged cells; any hint the course already has in it is removed."""
    cells = [c for c in nb.cells if editions.HINT not in c.metadata.get("tags", [])]
    exercise = next(
        i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "dyna_q_planning"
    )

    def md(text, tag):
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [tag]
        return cell

    code = nbformat.v4.new_code_cell(SELF_CODE_MARK)
    code.metadata["tags"] = [editions.SELF_LEARNER_ONLY]
    cells[exercise + 1 : exercise + 1] = [
        md(GRADED_MARK, editions.GRADED_ONLY),
        md(SELF_MARK, editions.SELF_LEARNER_ONLY),
        code,
    ]
    cells.insert(exercise, md(HINT_MARK, editions.HINT))
    answer = next(
        i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "question_planning"
    )
    cells.insert(answer, md(QHINT_MARK, editions.HINT))
    nb.cells = cells
    return nb


def _tagged_course(course):
    """A course copy in ``course`` with the test's tags in notebook 03 of source/."""
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    path = course / "source" / editions.ASSIGNMENT / PLANNING
    nbformat.write(_planning_with_test_tags(nbformat.read(path, as_version=4)), path)
    return course


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    """A course copy with the test's tags in notebook 03, built into all three editions (release by nbgrader)."""
    course = _tagged_course(tmp_path_factory.mktemp("tagged_course"))
    editions.build_release(course, editions.ASSIGNMENT)
    editions.build_notebooks(course, course / "notebooks")
    editions.build_solutions(course, course / "solutions", execute=False)
    return course


@pytest.fixture(scope="module")
def tagged_notebooks(tmp_path_factory):
    """The same tagged course with only its self-learner edition built (no nbgrader run)."""
    course = _tagged_course(tmp_path_factory.mktemp("tagged_notebooks"))
    editions.build_notebooks(course, course / "notebooks")
    return course


def _read(course, edition, name=PLANNING):
    return nbformat.read(editions.edition_folder(course, edition) / name, as_version=4)


def _where(nb, text):
    return [i for i, c in enumerate(nb.cells) if text in c.source]


def test_graded_only_cells_are_only_in_release(tagged):
    assert len(_where(_read(tagged, "release"), GRADED_MARK)) == 1
    assert not _where(_read(tagged, "notebooks"), GRADED_MARK)
    assert not _where(_read(tagged, "solutions"), GRADED_MARK)


def test_self_learner_only_cells_are_only_in_notebooks(tagged):
    """release/ here is what `nbgrader generate_assignment` alone wrote, with the course's config."""
    notebooks = _read(tagged, "notebooks")
    for mark in (SELF_MARK, SELF_CODE_MARK):
        assert len(_where(notebooks, mark)) == 1
        assert not _where(_read(tagged, "release"), mark), f"nbgrader put a self-learner-only cell in release/: {mark}"
        assert not _where(_read(tagged, "solutions"), mark)
    assert not [c for c in notebooks.cells if set(c.metadata.get("tags", [])) & set(editions.EDITION_TAGS)]


def test_hint_is_a_reveal_between_the_stub_and_the_solution(tagged):
    nb = _read(tagged, "notebooks")
    stub = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "def dyna_q_planning(" in c.source)
    assert "NotImplementedError" in nb.cells[stub].source
    hint, solution = nb.cells[stub + 1], nb.cells[stub + 2]
    assert HINT_MARK in hint.source and hint.source.startswith("<details>\n<summary>Show a hint for Exercise 3")
    assert exercises.REVEAL_METADATA_KEY not in hint.metadata, "a hint must not be read as the solution"
    assert solution.source.startswith("<details>\n<summary>Show a solution to Exercise 3")
    assert solution.metadata[exercises.REVEAL_METADATA_KEY] == "dyna_q_planning"
    # the question's hint sits between its answer cell and the model answer
    answer = next(i for i, c in enumerate(nb.cells) if c.source.startswith("*Your answer:*"))
    assert QHINT_MARK in nb.cells[answer + 1].source and "Show a hint for Question 3" in nb.cells[answer + 1].source
    assert nb.cells[answer + 2].source.startswith("<details>\n<summary>Show a model answer to Question 3")


@pytest.mark.parametrize("edition", ["release", "solutions"])
def test_hint_is_folded_in_place_in_the_other_editions(tagged, edition):
    nb = _read(tagged, edition)
    [hint] = _where(nb, HINT_MARK)
    assert nb.cells[hint].source.startswith("<details>\n<summary>Show a hint for Exercise 3")
    after = nb.cells[hint + 1]
    assert after.cell_type == "code" and "def dyna_q_planning(" in after.source


def test_reveals_are_closed_read_only_markdown_and_no_code_cell_holds_a_solution(tagged):
    source = nbformat.read(tagged / "source" / editions.ASSIGNMENT / PLANNING, as_version=4)

    def lesson(text):  # what source shows outside solution and hidden-test regions
        text = editions._drop_lines_between(text, editions.BEGIN_SOLUTION, editions.END_SOLUTION, keep_inside=False)
        return editions._drop_lines_between(text, editions.BEGIN_HIDDEN, editions.END_HIDDEN, keep_inside=False)

    outside = {ln.strip() for c in source.cells for ln in lesson(c.source).split("\n")}
    solution = {
        ln.strip()
        for c in source.cells
        for ln in editions.solution_region(c.source).split("\n")
        if len(ln.strip()) > 8 and not ln.strip().startswith("#")
    } - outside
    assert len(solution) >= 3
    nb = _read(tagged, "notebooks")
    reveals = [c for c in nb.cells if "<details" in c.source]
    assert len(reveals) == 4  # hint and solution of Exercise 3, hint and model answer of Question 3
    for cell in reveals:
        assert cell.cell_type == "markdown" and cell.source.startswith("<details>\n<summary>")
        assert not re.search(r"<details[^>]*\bopen\b", cell.source), "a reveal is open before it is clicked"
        assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = {ln.strip() for ln in cell.source.split("\n")}
            assert not solution & lines, f"code cell {cell.id} runs a solution line: {sorted(solution & lines)[:2]}"


def test_each_banner_names_only_what_its_notebook_has(tagged):
    for path in sorted((tagged / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        banner = nb.cells[1].source
        has = {
            "**Show a hint**": any(c.source.startswith("<details>\n<summary>Show a hint") for c in nb.cells),
            "**Show a solution**": any(c.source.startswith("<details>\n<summary>Show a solution") for c in nb.cells),
            "**Show a model answer**": any(
                c.source.startswith("<details>\n<summary>Show a model answer") for c in nb.cells
            ),
            "If you skip an exercise": any("solution_if_skipped(" in c.source for c in nb.cells),
            "functions from earlier sections": any(
                "load_exercise(" in c.source for c in nb.cells if c.cell_type == "code"
            ),
        }
        for words, present in has.items():
            assert (words in banner) == present, f"{path.name}: banner and notebook disagree about {words!r}"
        assert not editions.grading_language(nbformat.v4.new_notebook(cells=[nb.cells[1]]))
    solutions_banner = _read(tagged, "solutions").cells[1].source
    assert solutions_banner == editions.SOLUTIONS_BANNER and not re.search(r"Show a", solutions_banner)


# ------------------------------------------------------------------ tag mistakes are errors, not silent


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def _tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


def _exercise(body="    return value + 1"):
    cell = nbformat.v4.new_code_cell(
        f"def f(value):\n    {editions.BEGIN_SOLUTION}\n{body}\n    {editions.END_SOLUTION}"
    )
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": "f",
        "locked": False,
        "schema_version": 3,
        "solution": True,
    }
    return cell


@pytest.mark.parametrize(
    "cells, message",
    [
        (
            lambda: [
                _tagged(nbformat.v4.new_markdown_cell("Hint: add one."), "hint"),
                nbformat.v4.new_code_cell("x = 1"),
                _exercise(),
            ],
            "not directly before an exercise",
        ),
        (
            lambda: [_exercise(), _tagged(nbformat.v4.new_markdown_cell("Hint: add one."), "hint")],
            "not directly before an exercise",
        ),
        (
            lambda: [_tagged(nbformat.v4.new_markdown_cell("Try `return value + 1`"), "hint"), _exercise()],
            "gives away the solution line",
        ),
        (lambda: [_tagged(nbformat.v4.new_markdown_cell("x"), "graded_only")], "not an edition tag"),
        (lambda: [_tagged(nbformat.v4.new_markdown_cell("x"), "Self-Learner-Only")], "not an edition tag"),
        (lambda: [_tagged(nbformat.v4.new_markdown_cell("x"), "graded-only", "self-learner-only")], "in no edition"),
        (lambda: [_tagged(nbformat.v4.new_code_cell("x = 1"), "hint"), _exercise()], "hints are markdown"),
        (
            lambda: [_tagged(nbformat.v4.new_markdown_cell("x"), "hint", "graded-only"), _exercise()],
            "a hint is in every edition",
        ),
    ],
)
def test_tag_mistakes_are_errors_naming_the_cell(cells, message):
    made = cells()
    for build in (
        lambda nb: editions.make_self_learner_notebook(nb, "x.ipynb", "x.ipynb"),
        lambda nb: editions.make_solution_notebook(nb, "x.ipynb"),
        lambda nb: editions.release_cells(nb, "x.ipynb"),
    ):
        with pytest.raises(ValueError, match=message) as err:
            build(_nb(*[c.copy() for c in made]))
        assert "x.ipynb" in str(err.value) and "cell" in str(err.value)


# ------------------------------------------------------------------ skipping an exercise inside Section 3


def _execute(nb, folder, allow_errors):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    try:
        with editions.environment(NBGRADER_EXECUTION=None, MPLBACKEND="Agg"):
            NotebookClient(
                nb,
                timeout=300,
                kernel_name="python3",
                allow_errors=allow_errors,
                resources={"metadata": {"path": str(folder)}},
            ).execute()
        return None
    except CellExecutionError as err:
        return err


def _text(cell, kind="stream"):
    return "".join(
        o.get("text", "") if kind == "stream" else f"{o.get('ename')}: {o.get('evalue')}"
        for o in cell.get("outputs", [])
        if o.get("output_type") == kind
    )


@pytest.fixture
def self_learner_folder(tagged_notebooks, tmp_path):
    folder = tmp_path / "notebooks"
    shutil.copytree(tagged_notebooks / "notebooks", folder)
    return folder


def test_run_all_goes_past_a_skipped_exercise_using_its_revealed_solution(self_learner_folder):
    """As later sections do with load_exercise: the self-check says the exercise is not written, the next cell
    uses the revealed solution and says so, and the rest of the notebook runs."""
    nb = nbformat.read(self_learner_folder / PLANNING, as_version=4)
    error = _execute(nb, self_learner_folder, allow_errors=False)
    assert error is None, f"Run All stopped: {error}"
    check = next(c for c in nb.cells if c.cell_type == "code" and "self_check_planning(" in c.source)
    assert 'if_not_written="note"' in check.source
    assert "dyna_q_planning is not written yet" in _text(check) and not _text(check, "error")
    fallback = next(c for c in nb.cells if "solution_if_skipped(" in c.source)
    said = _text(fallback)
    assert "dyna_q_planning is not done yet" in said and "Show a solution" in said, said
    printed = "".join(_text(c) for c in nb.cells[nb.cells.index(fallback) + 1 :] if c.cell_type == "code")
    assert "first five episodes" in printed, printed[-800:]


def test_a_wrong_answer_still_stops_at_the_self_check(self_learner_folder):
    """Only a skipped (still NotImplementedError) exercise passes by: a written but wrong one fails its self-check."""
    nb = nbformat.read(self_learner_folder / PLANNING, as_version=4)
    exercise = next(
        c for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith("def dyna_q_planning")
    )
    exercise.source = exercise.source.replace(
        'raise NotImplementedError("Student exercise: write this function")', "return value"
    )
    error = _execute(nb, self_learner_folder, allow_errors=False)
    assert error is not None
    check = next(c for c in nb.cells if c.cell_type == "code" and "self_check_planning(" in c.source)
    assert "planning" in _text(check, "error") and "not written yet" not in _text(check)


def test_solution_if_skipped_keeps_the_learners_own_function(self_learner_folder, capsys, monkeypatch):
    monkeypatch.chdir(self_learner_folder)
    import numpy as np

    from dynaq_course import q_learning

    def dyna_q_planning(model, value, params):
        for _ in range(params["k"]):
            pairs = np.argwhere(~np.isnan(model[:, :, 0]))
            state, action = pairs[np.random.randint(len(pairs))]
            value = q_learning(state, action, *model[state, action], value, params)
        return value

    mine = exercises.solution_if_skipped("dyna_q_planning", PLANNING, {"dyna_q_planning": dyna_q_planning})
    assert mine is dyna_q_planning and "Using your dyna_q_planning." in capsys.readouterr().out

    def stub(model, value, params):
        raise NotImplementedError("Student exercise: write this function")

    revealed = exercises.solution_if_skipped("dyna_q_planning", PLANNING, {"dyna_q_planning": stub})
    assert revealed is not stub and "still raises NotImplementedError" in capsys.readouterr().out
    model = np.full((100, 4, 2), np.nan)
    model[54, 1] = 0.0, 64
    value = revealed(model, np.ones((100, 4)), {"alpha": 0.5, "gamma": 0.8, "k": 3})
    assert value[54, 1] != 1.0, "the revealed solution did not plan"
    exercises.solution_if_skipped("dyna_q_planning", PLANNING, {})
    assert "its cell has not been run" in capsys.readouterr().out


def test_solution_if_skipped_says_what_is_wrong(self_learner_folder, monkeypatch):
    monkeypatch.chdir(self_learner_folder)
    with pytest.raises(ValueError, match="Unknown exercise"):
        exercises.solution_if_skipped("dyna_q_plan", PLANNING, {})
    with pytest.raises(exercises.ExerciseNotReady, match="no revealed solution"):
        exercises.solution_if_skipped("dyna_q_plus_reward", PLANNING, {})
    with pytest.raises(exercises.ExerciseNotReady, match="could not be read"):
        exercises.solution_if_skipped("dyna_q_planning", "no_such_notebook.ipynb", {})


# ------------------------------------------------------------------ skipping an exercise of Section 6

FURTHER_NB = "06_going_further.ipynb"
FURTHER_EXERCISES = ("dyna_q_plus_reward", "bonus_greedy_action", "push_predecessors")  # Exercises 6a, 6b, 6c


@pytest.mark.parametrize("name", FURTHER_EXERCISES)
def test_a_skipped_section_6_exercise_falls_back_to_a_solution_that_passes_its_self_check(name, capsys, monkeypatch):
    from dynaq_course.checks.self_check import check_in_kernel

    monkeypatch.chdir(editions.edition_folder(ROOT, "notebooks", "going_further"))

    def stub(*args):
        raise NotImplementedError("Student exercise: write this function")

    revealed = exercises.solution_if_skipped(name, FURTHER_NB, {name: stub})
    assert revealed is not stub and "still raises NotImplementedError" in capsys.readouterr().out
    check_in_kernel(name, revealed)  # raises ExerciseCheckFailed, naming the mistake, if the solution is wrong
