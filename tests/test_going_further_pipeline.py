"""End to end for the bonus assignment going_further (Section 6, notebook 06).

On a throwaway copy of the course: ``nbgrader generate_assignment going_further``,
submissions of test students made from the release notebook, ``nbgrader
autograde going_further`` of the WHOLE notebook (every lesson cell runs, the
experiments shortened as under any grading), then the grades from the gradebook:

* a correct submission (the instructor's solutions) and one in another style
  get all 10 automatic points (visible + hidden: 1 + 2 for the bonus reward,
  1 + 2 for the greedy action with the bonus, 1 + 3 for the predecessor step);
* a wrong bonus reward loses exactly its two cells (3 points), a wrong greedy
  action exactly its two (3 points), a wrong predecessor step exactly its two
  (4 points), and the failing hidden cell names the mistake;
* the two questions (Question 6a, 6b) are left to the instructor (no automatic
  score);
* the main assignment dyna_q is untouched by all this (not in the gradebook's
  going_further rows, and the other way round).

Two nbgrader processes (two course copies) grade at the same time. The grade command
(``python -m dynaq_course.grade going_further``, sandboxed, ``--run graded``) grades the same
submissions in a third copy: the same scores on every cell, the mistakes named, and the
notebook says where the grader stopped running it.

    pytest -q -s tests/test_going_further_pipeline.py    # -s prints the times
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from course_copy import answer_question, copy_course, fill_exercise, nbgrader, nbgrader_env

from dynaq_course.checks.messages import mistake_code
from dynaq_course.grading import editions
from dynaq_course.grading.graded_run import NOT_RUN_BELOW, last_test_index

ROOT = editions.course_root()
ASSIGNMENT = "going_further"
NOTEBOOK = "06_going_further.ipynb"
CELLS = {
    "test_dyna_q_plus_reward_visible": 1,
    "test_dyna_q_plus_reward_hidden": 2,
    "test_bonus_greedy_action_visible": 1,
    "test_bonus_greedy_action_hidden": 2,
    "test_push_predecessors_visible": 1,
    "test_push_predecessors_hidden": 3,
}
QUESTIONS = ("question_bonus_placement", "question_going_further")  # Questions 6a and 6b, graded by hand
PLUS, GREEDY, PUSH = "dyna_q_plus_reward", "bonus_greedy_action", "push_predecessors"


def _solution(grade_id: str) -> str:
    nb = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return editions.solution_region(cell.source)


PLUS_OTHER_STYLE = """
bonus = kappa * tau ** 0.5
return reward + bonus
"""
GREEDY_OTHER_STYLE = """
best, best_score = 0, -np.inf
for a in range(len(value_row)):
    score = value_row[a] + kappa * tau_row[a] ** 0.5
    if score > best_score:
        best, best_score = a, score
return best
"""
PUSH_OTHER_STYLE = """
s_bars, a_bars = np.nonzero(model[:, :, 1] == state)
priorities = np.abs(model[s_bars, a_bars, 0] + params["gamma"] * np.max(value[state]) - value[s_bars, a_bars])
for s_bar, a_bar, priority in zip(s_bars, a_bars, priorities):
    if priority > params["theta"]:
        queue.push((s_bar, a_bar), priority)
return queue
"""
PLUS_LINEAR_TAU = """
return reward + kappa * tau
"""
GREEDY_NO_BONUS = """
return int(np.argmax(value_row))
"""
PUSH_NO_ABS = """
for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
    error = model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar]
    if error > params["theta"]:
        queue.push((s_bar, a_bar), error)
return queue
"""

# student -> (bonus reward body, greedy action body, predecessor step body, expected points per test cell,
#             expected mistake codes)
STUDENTS = {
    "all_right": (_solution(PLUS), _solution(GREEDY), _solution(PUSH), dict(CELLS), {}),
    "other_style": (PLUS_OTHER_STYLE, GREEDY_OTHER_STYLE, PUSH_OTHER_STYLE, dict(CELLS), {}),
    "wrong_bonus": (
        PLUS_LINEAR_TAU,
        GREEDY_OTHER_STYLE,
        PUSH_OTHER_STYLE,
        {**CELLS, "test_dyna_q_plus_reward_visible": 0, "test_dyna_q_plus_reward_hidden": 0},
        {"test_dyna_q_plus_reward_hidden": "plus-linear-tau"},
    ),
    "wrong_greedy": (
        PLUS_OTHER_STYLE,
        GREEDY_NO_BONUS,
        PUSH_OTHER_STYLE,
        {**CELLS, "test_bonus_greedy_action_visible": 0, "test_bonus_greedy_action_hidden": 0},
        {"test_bonus_greedy_action_hidden": "greedy-bonus-ignored"},
    ),
    "wrong_push": (
        PLUS_OTHER_STYLE,
        GREEDY_OTHER_STYLE,
        PUSH_NO_ABS,
        {**CELLS, "test_push_predecessors_visible": 0, "test_push_predecessors_hidden": 0},
        {"test_push_predecessors_hidden": "push-no-abs"},
    ),
}


def _submit(course: Path, student: str) -> None:
    plus, greedy, push, _, _ = STUDENTS[student]
    nb = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    fill_exercise(nb, PLUS, plus)
    fill_exercise(nb, GREEDY, greedy)
    fill_exercise(nb, PUSH, push)
    for question in QUESTIONS:
        answer_question(nb, question, f"My answer ({student}): Dyna-Q+ explores, sweeping focuses.")
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)
    (folder / "timestamp.txt").write_text("2025-03-01 12:00:00.000000 UTC")


@pytest.fixture(scope="module")
def graded(generated_going_further, tmp_path_factory):
    base = tmp_path_factory.mktemp("going_further")
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    courses = [copy_course(generated_going_further.course, base / f"course{i}") for i in range(2)]
    for i, student in enumerate(STUDENTS):
        _submit(courses[i % 2], student)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda c: nbgrader(c, env, "autograde", ASSIGNMENT, timeout=900), courses))
    seconds = time.perf_counter() - start
    print(
        f"\ngoing_further: {len(STUDENTS)} submissions of the whole notebook 06 autograded by two nbgrader "
        f"processes in {seconds:.0f} s (" + ", ".join(f"{r.seconds:.0f} s" for r in runs) + ")"
    )
    from nbgrader.api import Gradebook

    scores, assignments = {}, set()
    for course in courses:
        with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
            assignments |= {a.name for a in gb.assignments}
        scores.update(_scores(course))
    return {"courses": courses, "scores": scores, "assignments": assignments}


def _scores(course: Path) -> dict:
    """{student: {grade cell: score}} of the course's going_further gradebook rows."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        return {
            sub.student.id: {g.name: g.score for nb in sub.notebooks for g in nb.grades}
            for sub in gb.assignment_submissions(ASSIGNMENT)
        }


@pytest.fixture(scope="module")
def by_the_grade_command(generated_going_further, tmp_path_factory):
    """(course, CompletedProcess) of the same submissions graded by ``python -m dynaq_course.grade``."""
    base = tmp_path_factory.mktemp("going_further_command")
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    course = copy_course(generated_going_further.course, base / "course")
    for student in STUDENTS:
        _submit(course, student)
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "dynaq_course.grade", ASSIGNMENT, "--no-progress", "--jobs", "2"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.perf_counter() - start
    print(f"\ngoing_further: {len(STUDENTS)} submissions graded by the grade command in {seconds:.0f} s")
    return course, run


def test_the_grade_command_gives_plain_nbgraders_scores(graded, by_the_grade_command):
    course, run = by_the_grade_command
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert _scores(course) == graded["scores"]


@pytest.mark.parametrize("student", [s for s in STUDENTS if STUDENTS[s][4]])
def test_under_the_grade_command_the_failing_hidden_cell_names_the_mistake(by_the_grade_command, student):
    course, _ = by_the_grade_command
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    for grade_id, code in STUDENTS[student][4].items():
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert "relay_verdict" in cell.source
        assert mistake_code("\n".join(o.evalue for o in cell.outputs if o.output_type == "error")) == code


def test_under_the_grade_command_the_notebook_says_where_the_grader_stopped(by_the_grade_command):
    course, _ = by_the_grade_command
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    nb = nbformat.read(course / "autograded" / "all_right" / ASSIGNMENT / NOTEBOOK, as_version=4)
    last = last_test_index(released)
    assert 0 <= last < len(released.cells) - 1
    assert nb.cells[last + 1].source == NOT_RUN_BELOW
    assert all(c.execution_count for c in nb.cells[: last + 1] if c.cell_type == "code")
    assert not [c for c in nb.cells[last + 2 :] if c.cell_type == "code" and c.outputs]


def _course_of(graded, student: str) -> Path:
    return graded["courses"][list(STUDENTS).index(student) % 2]


def _error(graded, student: str, grade_id: str) -> str:
    path = _course_of(graded, student) / "autograded" / student / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(o.evalue for o in cell.outputs if o.output_type == "error")


def test_the_gradebook_knows_going_further_alone(graded):
    assert graded["assignments"] == {ASSIGNMENT}


@pytest.mark.parametrize("student", STUDENTS)
def test_each_test_cell_gets_exactly_its_points(graded, student):
    expected = STUDENTS[student][3]
    got = {cell: graded["scores"][student][cell] for cell in CELLS}
    assert got == expected
    for question in QUESTIONS:  # manual: not graded automatically
        assert graded["scores"][student][question] in (None, 0)


@pytest.mark.parametrize("student", [s for s in STUDENTS if STUDENTS[s][4]])
def test_the_failing_hidden_cell_names_the_mistake(graded, student):
    for grade_id, code in STUDENTS[student][4].items():
        assert mistake_code(_error(graded, student, grade_id)) == code


def test_every_lesson_cell_ran_without_error_for_a_correct_submission(graded):
    path = _course_of(graded, "all_right") / "autograded" / "all_right" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    errors = [
        (c.get("id"), o.ename, o.evalue[:200])
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    experiments, sliders = _calling(nb, _noted_experiments()), _calling(nb, _imported(nb, "going_further.widgets"))
    assert len(experiments) >= 3 and len(sliders) >= 3
    for cell in experiments:  # every experiment ran shortened ...
        assert "is shortened to a few short runs" in _printed(cell), cell.source[:200]
    for cell in sliders:  # ... and no slider was built
        assert "the sliders are not built" in _printed(cell), cell.source[:200]
    assert not [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]


def _noted_experiments() -> set:
    """The functions of going_further.experiments that print the note saying they run shortened under nbgrader
    (they call ``_grading_note``, directly or through ``_graded_size``)."""
    from dynaq_course.going_further import experiments as further_experiments

    tree = ast.parse(inspect.getsource(further_experiments))
    return {
        f.name
        for f in tree.body
        if isinstance(f, ast.FunctionDef)
        and any(
            isinstance(n, ast.Call) and getattr(n.func, "id", None) in ("_grading_note", "_graded_size")
            for n in ast.walk(f)
        )
    }


def _imported(nb, module: str) -> set:
    """The names the set-up cell imports from dynaq_course.<module>."""
    setup = next(c for c in nb.cells if "setup" in c.metadata.get("tags", []))
    return {
        alias.asname or alias.name
        for node in ast.walk(ast.parse(setup.source))
        if isinstance(node, ast.ImportFrom) and node.module == f"dynaq_course.{module}"
        for alias in node.names
    }


def _calling(nb, names: set) -> list:
    """The code cells (other than the set-up cell) that call one of ``names``."""
    call = re.compile(rf"\b({'|'.join(sorted(names))})\(")
    return [
        c
        for c in nb.cells
        if c.cell_type == "code" and "setup" not in c.metadata.get("tags", []) and names and call.search(c.source)
    ]


def _printed(cell) -> str:
    return "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)
