"""The exercise registry (dynaq_course.checks.registry) against source/'s notebooks, and what every exercise offers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import dynaq_course.checks as checks_package
from dynaq_course import notebook_cells
from dynaq_course.checks import messages, registry
from dynaq_course.checks.child import WATCHED
from dynaq_course.checks.probes import probes_for
from dynaq_course.grading import editions

ROOT = editions.course_root()
PACKAGE = ROOT / "dynaq_course"
EXERCISES = list(registry.EXERCISES.values())
IDS = [ex.name for ex in EXERCISES]


def _source(ex) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "source" / ex.assignment / ex.notebook, as_version=4)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_the_registry_matches_the_nbgrader_metadata_of_source(ex):
    nb = _source(ex)
    cell = notebook_cells.find_cell(nb, ex.grade_id)
    assert cell is not None and cell.cell_type == "code" and notebook_cells.is_solution_cell(cell)
    assert re.search(rf"^def {ex.name}\(", cell.source, re.MULTILINE)
    for level in registry.LEVELS:
        test = notebook_cells.find_cell(nb, ex.test_cell(level))
        assert test is not None and notebook_cells.is_grade_cell(test), ex.test_cell(level)
        assert notebook_cells.nbgrader_meta(test)["points"] == ex.points(level), ex.test_cell(level)
    hidden = notebook_cells.find_cell(nb, ex.test_cell("hidden")).source
    assert f'assert_exercise_passes("{ex.name}"' in notebook_cells.hidden_test_text(hidden)
    assert f"{ex.self_check}({ex.name})" in notebook_cells.find_cell(nb, ex.test_cell("visible")).source


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_the_label_is_the_notebooks_heading(ex):
    nb = _source(ex)
    index = nb.cells.index(notebook_cells.find_cell(nb, ex.grade_id))
    assert ex.label.startswith(editions.answer_label(nb.cells, index) + " ("), ex.label


def test_every_exercise_and_test_cell_of_source_is_registered():
    """Conversely: no exercise cell and no test cell of an exercise in source/ is missing from the registry."""
    exercises, tests = set(), set()
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = notebook_cells.nbgrader_meta(cell)
            if cell.cell_type == "code" and meta.get("solution"):
                exercises.add((path.parent.name, path.name, meta["grade_id"]))
            if cell.cell_type == "code" and meta.get("grade"):
                tests.add(meta["grade_id"])
    assert exercises == {(ex.assignment, ex.notebook, ex.name) for ex in EXERCISES}
    assert tests == set(registry.graded_cells())


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_every_exercise_module_offers_the_same_functions(ex):
    module = ex.module
    assert module.__name__ == f"dynaq_course.checks.{ex.stem}"
    for name in ("probes", "record", "diagnose") + (("try_once",) if ex.loaded_later else ()):
        assert callable(getattr(module, name, None)), f"{module.__name__} has no {name}"
    assert callable(getattr(checks_package, ex.self_check))
    assert WATCHED[module.__name__] is module  # the child notices a student's cell rebinding its attributes


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_the_visible_cases_come_first_among_the_hidden_ones(ex):
    """The child runs the hidden cases once and the verifier judges the self-check on their first ones."""
    visible, hidden = probes_for(ex.name, "visible"), probes_for(ex.name, "hidden")
    assert len(hidden) > len(visible) > 0
    assert [p.describe() for p in hidden[: len(visible)]] == [p.describe() for p in visible]
    assert {(p.exercise, p.level) for p in visible} == {(ex.name, "visible")}


def test_lookups():
    assert registry.exercise("dyna_q_planning").notebook == "03_planning.ipynb"
    with pytest.raises(ValueError, match="Unknown exercise 'dyna_q_plan'; choose one of dyna_q_model_update, "):
        registry.exercise("dyna_q_plan")
    assert (
        [ex.name for ex in registry.in_notebook("06_going_further.ipynb")]
        == [ex.name for ex in registry.in_notebook("06_going_further")]
        == ["dyna_q_plus_reward", "bonus_greedy_action", "push_predecessors"]
    )
    assert registry.in_notebook("04_how_much_to_plan") == []
    assert [ex.name for ex in registry.in_assignment("dyna_q")] == ["dyna_q_model_update", "dyna_q_planning"]
    assert [ex.name for ex in registry.loaded_later()] == ["dyna_q_model_update", "dyna_q_planning"]
    assert list(registry.graded_cells(registry.in_assignment("dyna_q"))) == [
        "test_model_update_visible",
        "test_model_update_hidden",
        "test_planning_visible",
        "test_planning_hidden",
    ]
    with pytest.raises(ValueError, match="level"):
        registry.exercise("dyna_q_planning").test_cell("secret")


NAMES = "|".join(map(re.escape, registry.EXERCISES))
DISPATCH = re.compile(rf"""(==|!=|\bin)\s*[(\[{{]?\s*["']({NAMES})["']""")


def test_no_code_outside_the_registry_dispatches_on_an_exercise_name():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "registry.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DISPATCH.search(line)
    ]
    assert found == []
    assert not any(hasattr(messages, old) for old in ("MODEL", "PLANNING", "PLUS_REWARD", "GREEDY", "PUSH"))
    assert DISPATCH.search('    if exercise == "dyna_q_planning":')  # negative control: the pattern sees one
    assert DISPATCH.search("    if name in ('push_predecessors', 'bonus_greedy_action'):")


def test_old_module_paths_of_the_section_6_checks_still_import():
    import importlib

    for old in ("dynaq_course.grading.further_probes", "dynaq_course.checks.further_probes"):
        assert importlib.import_module(old).probes_for is probes_for
    assert Path(importlib.import_module("dynaq_course.grading.further_diagnose").__file__).name == "diagnose.py"
