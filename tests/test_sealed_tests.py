"""The grade command's sealed hidden tests (issue 18): what the student's kernel gets instead of them.

Fast: no kernel, no nbgrader subprocess. The attack submissions that try to carry the hidden tests
out of the kernel are graded in tests/test_attacks.py.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import nbformat
import pytest

from dynaq_course import notebook_cells
from dynaq_course.checks import registry
from dynaq_course.checks.messages import ExerciseCheckFailed
from dynaq_course.checks.verify import relay_verdict
from dynaq_course.grading import sealed_tests, worker
from dynaq_course.grading.jobs import Job
from dynaq_course.grading.sandbox import Limits, output_cap_config
from dynaq_course.grading.sealed_tests import HIDDEN_LINES, SealHiddenTests, sealed_source, unsealed_hidden_tests
from dynaq_course.notebook_cells import BEGIN_HIDDEN, END_HIDDEN, replace_hidden_tests

ROOT = Path(__file__).resolve().parents[1]
SOURCE_NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))


def _hidden_cells():
    for path in SOURCE_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in sealed_tests.hidden_test_cells(nb):
            yield path, cell


def test_every_exercise_has_a_hidden_test_cell_the_sealing_knows():
    found = {notebook_cells.grade_id(cell) for _, cell in _hidden_cells()}
    expected = {ex.test_cell("hidden") for ex in registry.EXERCISES.values()}
    assert found == expected


@pytest.mark.parametrize("passed", [True, False])
def test_a_sealed_cell_keeps_no_line_of_the_hidden_tests(passed):
    for path, cell in _hidden_cells():
        old = notebook_cells.hidden_test_text(cell.source, path.name)
        assert "def _reference_" in old
        new = sealed_source(cell.source, passed, "Exercise 3 (planning) failed. [mistake: planning-k]")
        inside = notebook_cells.hidden_test_text(new, path.name)
        assert not {line.strip() for line in old.splitlines() if line.strip()} & set(inside.splitlines())
        assert "_reference" not in new and "assert_exercise_passes" not in new
        # The visible comment stays, the markers stay (feedback hides the region), and the cell is Python.
        assert new.startswith("# Hidden tests: these run when your work is graded.")
        assert new.count(BEGIN_HIDDEN) == 1 and new.count(END_HIDDEN) == 1
        ast.parse(new)


CELL = "# Hidden tests\n### BEGIN HIDDEN TESTS\ndef _reference_x():\n    return 1\n### END HIDDEN TESTS"


def test_the_sealed_cell_relays_the_verdict_exactly_when_run(capsys):
    message = "It said \"no\" and \\n then\nmore lines; 'quotes' too; ### END HIDDEN TESTS [mistake: planning-k]"
    with pytest.raises(ExerciseCheckFailed) as caught:
        exec(compile(sealed_source(CELL, False, message), "<cell>", "exec"), {})
    assert str(caught.value) == message
    exec(compile(sealed_source(CELL, True, message), "<cell>", "exec"), {})
    assert capsys.readouterr().out == message + "\n"
    # The message's marker text is no marker in the cell: one region, read strictly.
    for passed in (True, False):
        sealed = sealed_source(CELL, passed, message + "\n### BEGIN SOLUTION\n# BEGIN HIDDEN TESTS")
        assert len(notebook_cells.regions(sealed, BEGIN_HIDDEN, END_HIDDEN, "sealed")) == 1
        assert not notebook_cells.regions(sealed, notebook_cells.BEGIN_SOLUTION, notebook_cells.END_SOLUTION)


def test_relay_verdict_prints_a_pass_and_raises_a_failure(capsys):
    relay_verdict(True, "dyna_q_planning passed the checks.")
    assert capsys.readouterr().out == "dyna_q_planning passed the checks.\n"
    with pytest.raises(ExerciseCheckFailed) as caught:
        relay_verdict(False, "planning ignores k [mistake: planning-k]")
    assert str(caught.value) == "planning ignores k [mistake: planning-k]"


def test_replace_hidden_tests_leaves_one_region_where_the_first_was():
    source = (
        "a = 1\n    ### BEGIN HIDDEN TESTS\n    secret_one()\n    ### END HIDDEN TESTS\n"
        "b = 2\n### BEGIN HIDDEN TESTS\nsecret_two()\n### END HIDDEN TESTS\nc = 3"
    )
    assert replace_hidden_tests(source, "relay()") == (
        "a = 1\n    ### BEGIN HIDDEN TESTS\n    relay()\n    ### END HIDDEN TESTS\nb = 2\nc = 3"
    )
    assert replace_hidden_tests("no region here", "relay()") == "no region here"


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n### BEGIN HIDDEN TESTS\nsecret()\nmore_secret()",  # never closed: runs to the end
        "### BEGIN HIDDEN TESTS\nsecret()\n### BEGIN HIDDEN TESTS\nmore_secret()\n### END HIDDEN TESTS",  # nested
        "x = 1  # BEGIN HIDDEN TESTS\nsecret()\nmore_secret()  # END HIDDEN TESTS",  # markers nbgrader still sees
    ],
)
def test_malformed_markers_leave_no_hidden_line_behind(source):
    sealed = replace_hidden_tests(source, "relay()")
    assert "secret" not in sealed and "relay()" in sealed


def _notebook_with_verdicts():
    nb = nbformat.read(ROOT / "source" / "dyna_q" / "03_planning.ipynb", as_version=4)
    verdicts = {"test_planning_hidden": {"passed": False, "message": "planning ignores k"}}
    return nb, verdicts


def test_the_preprocessor_seals_the_exercises_and_keeps_the_old_lines_for_redaction():
    nb, verdicts = _notebook_with_verdicts()
    before = copy.deepcopy(nb)
    sealed, resources = SealHiddenTests(verdicts=verdicts).preprocess(nb, {})
    changed = [i for i, (a, b) in enumerate(zip(before.cells, sealed.cells)) if a.source != b.source]
    hidden = notebook_cells.find_cell(sealed, "test_planning_hidden")
    assert changed == [sealed.cells.index(hidden)]
    assert "relay_verdict(False, 'planning ignores k')" in hidden.source and "_reference" not in hidden.source
    assert "def _reference_planning(model, value, params):" in resources[HIDDEN_LINES]
    # A self-check cell the grader has no verdict for runs as the student saw it.
    visible = notebook_cells.find_cell(sealed, "test_planning_visible")
    assert visible.source == notebook_cells.find_cell(before, "test_planning_visible").source


def test_a_self_check_with_a_verdict_only_reports_it_under_its_own_comment(capsys):
    nb, verdicts = _notebook_with_verdicts()
    message = "dyna_q_planning passed the self-check."
    verdicts["test_planning_visible"] = {"passed": True, "message": message}
    before = notebook_cells.find_cell(nb, "test_planning_visible").source
    sealed, _ = SealHiddenTests(verdicts=verdicts).preprocess(nb, {})
    visible = notebook_cells.find_cell(sealed, "test_planning_visible").source
    assert visible.startswith(before.split("\n")[0] + "\n" + sealed_tests.SEALED_NOTE)
    assert "self_check_planning" in before and "self_check_planning" not in visible
    exec(compile(visible, "<cell>", "exec"), {})
    assert capsys.readouterr().out == message + "\n"
    hidden = notebook_cells.find_cell(sealed, "test_planning_hidden").source
    assert hidden.count("relay_verdict(") == 1 and "BEGIN HIDDEN TESTS" in hidden  # sealed once, as a hidden test


def test_a_hidden_test_the_course_does_not_know_runs_as_stored_and_is_named(tmp_path):
    nb, _ = _notebook_with_verdicts()
    extra = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert my_own_check()\n### END HIDDEN TESTS")
    extra.metadata["nbgrader"] = {"grade": True, "grade_id": "my_extra_test", "points": 1, "solution": False}
    nb.cells.append(extra)
    sealed, _ = SealHiddenTests(verdicts={}).preprocess(copy.deepcopy(nb), {})
    assert sealed.cells[-1].source == extra.source
    nbformat.write(nb, tmp_path / "03_planning.ipynb")
    known = set(registry.graded_cells())
    assert unsealed_hidden_tests(tmp_path, known) == ["03_planning.ipynb: my_extra_test"]
    assert unsealed_hidden_tests(ROOT / "source" / "dyna_q", known) == []
    assert unsealed_hidden_tests(ROOT / "source" / "going_further", known) == []


@pytest.mark.parametrize("sandboxed", [False, True])
def test_the_grade_command_seals_first_whatever_the_course_or_sandbox_config_lists(tmp_path, sandboxed):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    env = {}
    if sandboxed:
        config_dir = tmp_path / "sandbox-config"
        config_dir.mkdir()
        (config_dir / "nbgrader_config.py").write_text(output_cap_config(Limits()))
        env = {"JUPYTER_CONFIG_PATH": str(config_dir)}
    ws = type("Ws", (), {"course": course, "db_url": "sqlite:///gb.db"})()
    job = Job("dyna_q", "alice", ["03_planning"], b"", b"", {}, {})
    verdict = worker.Verdict(False, "planning-k", "planning ignores k")
    cfg = worker._config(ws, job, worker.PlainKernel(env=env), {"test_planning_hidden": verdict})
    steps = list(cfg.Autograde.autograde_preprocessors)
    assert steps[0] == worker.SEAL and steps.count(worker.SEAL) == 1
    assert ("dynaq_course.grading.sandbox_execute.CappedExecute" in steps) == sandboxed
    assert cfg.SealHiddenTests.verdicts == {"test_planning_hidden": {"passed": False, "message": "planning ignores k"}}
