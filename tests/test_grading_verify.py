"""The fresh-process verification: RNG independence, faults, load problems, and its three entry points."""

from __future__ import annotations

import json
import shutil
import time

import grading_corpus
import nbformat
import pytest

from dynaq_course.checks import verify
from dynaq_course.checks.messages import CATALOGUE, Verdict, message, mistake_code
from dynaq_course.checks.self_check import ExerciseCheckFailed
from dynaq_course.grading import editions

ROOT = editions.course_root()
RELEASE = ROOT / "release" / editions.ASSIGNMENT
SOURCE = ROOT / "source" / editions.ASSIGNMENT
PLANNING, MODEL = "dyna_q_planning", "dyna_q_model_update"


def _notebook(folder, exercise, cell):
    entry = grading_corpus.Entry("x/x", exercise, None, None, cell)
    return grading_corpus.write_notebook(RELEASE, entry, folder)


def _hidden(tmp_path, exercise, cell, timeout=verify.CHILD_TIMEOUT):
    path = _notebook(tmp_path, exercise, cell)
    references = verify.reference_sources(SOURCE)
    return verify.judge(
        exercise, "hidden", verify.run_child(path, exercise, "hidden", timeout=timeout), references[exercise]
    )


PLANNER = """
{setup}
def dyna_q_planning(model, value, params):
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = pairs[{draw}]
        value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
    return value
"""
RNG_STYLES = {
    "fresh entropy generator": ("rng = np.random.default_rng()", "rng.integers(len(pairs))"),
    "global stream seeded 1": ("np.random.seed(1)", "np.random.randint(len(pairs))"),
    "global stream seeded 99": ("np.random.seed(99)", "np.random.randint(len(pairs))"),
    "python random, seeded 5": ("import random\nrandom.seed(5)", "random.randrange(len(pairs))"),
    "generator seeded 2024": ("rng = np.random.default_rng(2024)", "rng.integers(len(pairs))"),
}


@pytest.mark.parametrize("style", RNG_STYLES)
def test_a_correct_planner_passes_whatever_its_random_numbers(tmp_path, style):
    setup, draw = RNG_STYLES[style]
    verdict = _hidden(tmp_path, PLANNING, PLANNER.format(setup=setup, draw=draw))
    assert verdict.passed, verdict.message


def test_a_planner_that_never_returns_did_not_finish(tmp_path):
    cell = "def dyna_q_planning(model, value, params):\n    while True:\n        pass\n"
    start = time.perf_counter()
    verdict = _hidden(tmp_path, PLANNING, cell, timeout=3)
    assert verdict.code == "did-not-finish" and "did not finish within 3 seconds" in verdict.message
    assert time.perf_counter() - start < 15


def test_a_cell_that_kills_its_process_gets_no_credit(tmp_path):
    cell = "import os\n\ndef dyna_q_model_update(model, state, action, reward, next_state):\n    os._exit(3)\n"
    verdict = _hidden(tmp_path, MODEL, cell)
    assert verdict.code == "child-died" and "exit status 3" in verdict.message


def test_exit_in_the_cell_is_reported_not_fatal(tmp_path):
    verdict = _hidden(tmp_path, MODEL, "import sys\nsys.exit(0)\n")
    assert verdict.code == "cell-error" and "SystemExit" in verdict.message


def test_the_childs_output_is_kept_apart_from_its_results(tmp_path):
    cell = (
        "print('x' * 100000)\n\ndef dyna_q_model_update(model, state, action, reward, next_state):\n"
        "    print('noise')\n    model[state, action] = reward, next_state\n    return model\n"
    )
    path = _notebook(tmp_path, MODEL, cell)
    child = verify.run_child(path, MODEL, "hidden")
    assert verify.judge(MODEL, "hidden", child).passed
    assert len(child.stdout) <= verify.OUTPUT_LIMIT + 10 and child.stdout.rstrip().endswith("noise")


def test_missing_and_invalid_notebooks(tmp_path):
    assert verify.verdict(MODEL, "hidden", tmp_path / "02_model_update.ipynb").code == "notebook-missing"
    (tmp_path / "02_model_update.ipynb").write_text("{ not json")
    verdict = verify.verdict(MODEL, "hidden", tmp_path / "02_model_update.ipynb")
    assert verdict.code == "notebook-invalid" and "02_model_update.ipynb" in verdict.message


def test_a_deleted_exercise_cell_means_the_function_is_missing(tmp_path):
    nb = nbformat.read(RELEASE / "03_planning.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != PLANNING]
    nbformat.write(nb, tmp_path / "03_planning.ipynb")
    assert verify.verdict(PLANNING, "visible", tmp_path / "03_planning.ipynb").code == "function-missing"


def test_trusted_verdicts_of_a_submission_folder(tmp_path):
    for name in ("02_model_update.ipynb", "03_planning.ipynb"):
        shutil.copy(SOURCE / name, tmp_path / name)
    right = verify.trusted_verdicts(tmp_path, SOURCE)
    assert sorted(right) == [
        "test_model_update_hidden",
        "test_model_update_visible",
        "test_planning_hidden",
        "test_planning_visible",
    ] and all(v.passed for v in right.values()), right
    _notebook(tmp_path, PLANNING, "def dyna_q_planning(model, value, params):\n    return value\n")
    (tmp_path / "02_model_update.ipynb").unlink()
    verdicts = verify.trusted_verdicts(tmp_path, SOURCE)
    assert {g: v.code for g, v in verdicts.items()} == {
        "test_model_update_visible": "notebook-missing",
        "test_model_update_hidden": "notebook-missing",
        "test_planning_visible": "planning-not-returned",
        "test_planning_hidden": "planning-not-returned",
    }


FURTHER_SOURCE = ROOT / "source" / "going_further"
FURTHER_NB = "06_going_further.ipynb"
FURTHER_CELLS = [
    f"test_{name}_{level}"
    for name in ("dyna_q_plus_reward", "bonus_greedy_action", "push_predecessors")
    for level in ("visible", "hidden")
]


def test_trusted_verdicts_of_a_going_further_submission(tmp_path):
    """Section 6: its three exercises' six test cells, each exercise judged on its own."""
    shutil.copy(FURTHER_SOURCE / FURTHER_NB, tmp_path / FURTHER_NB)
    assert sorted(verify.reference_sources(FURTHER_SOURCE)) == [
        "bonus_greedy_action",
        "dyna_q_plus_reward",
        "push_predecessors",
    ]
    right = verify.trusted_verdicts(tmp_path, FURTHER_SOURCE)
    assert sorted(right) == sorted(FURTHER_CELLS) and all(v.passed for v in right.values()), right
    nb = nbformat.read(tmp_path / FURTHER_NB, as_version=4)
    grading_corpus.set_exercise_cell(
        nb,
        "bonus_greedy_action",
        "def bonus_greedy_action(value_row, tau_row, kappa):\n    return int(np.argmin(value_row))\n",
    )
    nbformat.write(nb, tmp_path / FURTHER_NB)
    verdicts = verify.trusted_verdicts(tmp_path, FURTHER_SOURCE)
    assert {g: v.code for g, v in verdicts.items() if not v.passed} == {
        "test_bonus_greedy_action_visible": "greedy-wrong",
        "test_bonus_greedy_action_hidden": "greedy-wrong",
    }


def test_without_readable_references_every_cell_of_the_assignment_is_a_grader_error(tmp_path):
    """The assignment is the source folder's name: going_further's six cells, not dyna_q's four."""
    source = tmp_path / "source" / "going_further"
    source.mkdir(parents=True)
    verdicts = verify.trusted_verdicts(tmp_path, source)
    assert sorted(verdicts) == sorted(FURTHER_CELLS)
    assert {v.code for v in verdicts.values()} == {"grader-error"}
    assert "no reference solutions" in verdicts["test_push_predecessors_hidden"].message


def test_the_reference_comes_from_the_hidden_tests_and_passes():
    sources = verify.reference_sources(SOURCE)
    assert sorted(sources) == [MODEL, PLANNING]
    assert all(src.startswith("def _reference_") for src in sources.values())


def test_a_broken_reference_is_the_graders_error_not_the_students(tmp_path):
    path = _notebook(tmp_path, MODEL, grading_corpus.entries()[0].source)
    child = verify.run_child(path, MODEL, "hidden")
    broken = "def ref(model, state, action, reward, next_state):\n    return model\n"
    assert verify.judge(MODEL, "hidden", child, broken).code == "grader-error"


def test_assert_exercise_passes_from_a_cell(tmp_path):
    for name in ("02_model_update.ipynb", "03_planning.ipynb"):
        shutil.copy(RELEASE / name, tmp_path / name)
    with pytest.raises(ExerciseCheckFailed, match=r"still raises NotImplementedError.*\[mistake: not-implemented\]"):
        verify.assert_exercise_passes(MODEL, folder=tmp_path, level="visible")
    shutil.copy(SOURCE / "03_planning.ipynb", tmp_path / "03_planning.ipynb")
    reference = verify.reference_sources(SOURCE)[PLANNING]
    verify.assert_exercise_passes(PLANNING, reference=reference, folder=tmp_path)


def test_the_command_line_prints_one_json_verdict(tmp_path, capsys):
    shutil.copy(SOURCE / "02_model_update.ipynb", tmp_path / "02_model_update.ipynb")
    assert (
        verify.main(["--exercise", MODEL, "--level", "visible", "--notebook", str(tmp_path / "02_model_update.ipynb")])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {
        "passed": True,
        "code": None,
        "message": "dyna_q_model_update passed the self-check.",
    }


def test_every_message_ends_with_its_tag_and_parses_back():
    for code in CATALOGUE:
        for where in ("", "at line 3 of your exercise cell, `x = y[1]`, "):
            text = message(
                code,
                fn="f",
                etype="E",
                evalue="v",
                case="c",
                seconds=1,
                detail="d",
                notebook="n.ipynb",
                name="x",
                shape=(1,),
                expected_shape=(2,),
                count=3,
                k=4,
                what="w",
                where=where,
            )
            assert mistake_code(text) == code and "{" not in text and "?" not in text, text
    assert mistake_code("AssertionError: nothing") is None and mistake_code("") is None
    assert Verdict.from_dict(Verdict(False, "crash", "m").as_dict()) == Verdict(False, "crash", "m")


CRASHING_PLANNER = """
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        state, action = candidates[len(candidates)]
        value = q_learning(state, action, *model[state, action], value, params)
    return value
"""


@pytest.mark.parametrize("level", ["visible", "hidden"])
def test_a_crash_names_the_learners_line_and_the_input(tmp_path, level):
    """The fresh process quotes the line of the exercise cell that raised, not the course's code."""
    path = _notebook(tmp_path, PLANNING, CRASHING_PLANNER)
    child = verify.run_child(path, PLANNING, level)
    verdict = verify.judge(PLANNING, level, child)
    cell = next(
        c for c in nbformat.read(path, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade_id") == PLANNING
    )
    line = cell.source.split("\n").index("        state, action = candidates[len(candidates)]") + 1
    assert verdict.code == "crash"
    assert (
        f"raised IndexError at line {line} of your exercise cell, "
        "`state, action = candidates[len(candidates)]`, when called with 1 remembered pair, k=1" in verdict.message
    ), verdict.message
    assert "self-check" not in verdict.message  # no advice to run the check that is speaking


def test_a_crash_inside_the_courses_code_points_at_the_learners_call(tmp_path):
    """q_learning raising on the learner's arguments: the message quotes the learner's call of it."""
    cell = (
        "def dyna_q_planning(model, value, params):\n"
        "    for _ in range(params['k']):\n"
        "        value = q_learning(0.5, 0, 1.0, 2, value, params)\n"
        "    return value\n"
    )
    verdict = verify.judge(
        PLANNING, "visible", verify.run_child(_notebook(tmp_path, PLANNING, cell), PLANNING, "visible")
    )
    assert verdict.code == "crash"
    assert "at line 3 of your exercise cell, `value = q_learning(0.5, 0, 1.0, 2, value, params)`" in verdict.message
    assert "agent.py" not in verdict.message


def test_a_failing_hidden_test_shows_only_its_message_first(tmp_path):
    """What IPython prints for the hidden test's error: the wrapped message, tag last, no course path."""
    for name in ("02_model_update.ipynb", "03_planning.ipynb"):
        shutil.copy(RELEASE / name, tmp_path / name)
    _notebook(tmp_path, PLANNING, CRASHING_PLANNER)
    with pytest.raises(ExerciseCheckFailed) as err:
        verify.assert_exercise_passes(PLANNING, reference=verify.reference_sources(SOURCE)[PLANNING], folder=tmp_path)
    shown = err.value._render_traceback_()
    assert " ".join(shown) == str(err.value)
    assert shown[0].startswith("dyna_q_planning raised IndexError at line")
    assert all(len(line) <= 88 for line in shown) and shown[-1].endswith("[mistake: crash]")
