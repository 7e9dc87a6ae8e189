"""load_exercise brings a student's function into a later section, in every edition."""

import re
import shutil

import nbformat
import numpy as np
import pytest

from dynaq_course.checks.loader import ExerciseNotReady, load_exercise
from dynaq_course.grading import editions

ROOT = editions.course_root()
MODEL_NB, PLANNING_NB = "02_model_update.ipynb", "03_planning.ipynb"


def _copy(folder, tmp_path, names=(MODEL_NB, PLANNING_NB)):
    for name in names:
        shutil.copy(folder / name, tmp_path / name)
    return tmp_path


def _edit_exercise(path, grade_id_or_def, new_source):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id_or_def or cell.source.startswith(
            f"def {grade_id_or_def}("
        ):
            cell.source = new_source
            break
    else:
        raise AssertionError("exercise cell not found")
    nbformat.write(nb, path)


def test_solutions_edition_gives_working_functions(tmp_path):
    folder = _copy(ROOT / "solutions", tmp_path)
    update = load_exercise("dyna_q_model_update", folder, verbose=False)
    planning = load_exercise("dyna_q_planning", folder, verbose=False)
    model = update(np.full((100, 4, 2), np.nan), 54, 1, 0.0, 64)
    assert list(model[54, 1]) == [0.0, 64.0]
    value = planning(model, np.ones((100, 4)), {"alpha": 0.5, "gamma": 0.8, "k": 2, "epsilon": 0.05})
    assert value[54, 1] != 1.0 and np.count_nonzero(value != 1.0) == 1


def test_release_edition_unfinished_says_what_to_do(tmp_path):
    folder = _copy(ROOT / "release" / editions.ASSIGNMENT, tmp_path)
    with pytest.raises(ExerciseNotReady) as err:
        load_exercise("dyna_q_model_update", folder)
    message = str(err.value)
    assert "02_model_update.ipynb" in message and "not implemented yet" in message
    assert "save" in message.lower()


def test_release_edition_uses_the_students_saved_answer(tmp_path, capsys):
    folder = _copy(ROOT / "release" / editions.ASSIGNMENT, tmp_path)
    _edit_exercise(
        folder / MODEL_NB,
        "dyna_q_model_update",
        "def dyna_q_model_update(model, state, action, reward, next_state):\n"
        "    model[state, action, 0] = reward\n"
        "    model[state, action, 1] = np.nan if next_state is None else next_state\n"
        "    return model",
    )
    update = load_exercise("dyna_q_model_update", folder)
    assert "Using your dyna_q_model_update" in capsys.readouterr().out
    assert np.isnan(update(np.full((100, 4, 2), np.nan), 99, 0, 0.0, None)[99, 0, 1])


def test_self_learner_edition_falls_back_to_the_revealed_solution(tmp_path, capsys):
    folder = _copy(ROOT / "notebooks", tmp_path)
    planning = load_exercise("dyna_q_planning", folder)
    assert "revealed solution" in capsys.readouterr().out
    model = np.full((100, 4, 2), np.nan)
    model[98, 0] = 1.0, 99
    value = planning(model, np.ones((100, 4)), {"alpha": 0.5, "gamma": 0.8, "k": 1, "epsilon": 0.05})
    assert value[98, 0] == pytest.approx(1.4)


def test_buggy_function_is_loaded_with_a_warning(tmp_path, capsys):
    folder = _copy(ROOT / "release" / editions.ASSIGNMENT, tmp_path)
    _edit_exercise(
        folder / MODEL_NB,
        "dyna_q_model_update",
        "def dyna_q_model_update(model, state, action, reward, next_state):\n    return model[state, action, 7]",
    )
    load_exercise("dyna_q_model_update", folder)
    assert "Warning" in capsys.readouterr().out


def test_missing_or_broken_notebook_is_reported(tmp_path):
    with pytest.raises(ExerciseNotReady, match="in one folder"):
        load_exercise("dyna_q_planning", tmp_path)
    (tmp_path / PLANNING_NB).write_text("{ not json")
    with pytest.raises(ExerciseNotReady, match="Could not read"):
        load_exercise("dyna_q_planning", tmp_path)


def test_deleted_exercise_cell_is_reported(tmp_path):
    folder = _copy(ROOT / "release" / editions.ASSIGNMENT, tmp_path)
    nb = nbformat.read(folder / MODEL_NB, as_version=4)
    nb.cells = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") != "dyna_q_model_update"
        and not c.source.startswith("def dyna_q_model_update")
    ]
    nbformat.write(nb, folder / MODEL_NB)
    with pytest.raises(ExerciseNotReady, match="No cell"):
        load_exercise("dyna_q_model_update", folder)


def test_unknown_exercise_name():
    with pytest.raises(ValueError, match="dyna_q_planning"):
        load_exercise("dyna_q_plan")


def test_loading_does_not_move_the_learners_random_stream(tmp_path):
    folder = _copy(ROOT / "solutions", tmp_path)
    np.random.seed(5)
    expected = np.random.random()
    np.random.seed(5)
    load_exercise("dyna_q_planning", folder, verbose=False)
    assert np.random.random() == expected


def test_wrong_function_is_loaded_with_its_self_check_message(tmp_path, capsys):
    folder = _copy(ROOT / "release" / editions.ASSIGNMENT, tmp_path)
    _edit_exercise(
        folder / MODEL_NB,
        "dyna_q_model_update",
        "def dyna_q_model_update(model, state, action, reward, next_state):\n"
        "    model[state, action] = next_state, reward\n"
        "    return model",
    )
    load_exercise("dyna_q_model_update", folder)
    out = " ".join(capsys.readouterr().out.split())
    assert "does not pass its self-check yet" in out and "reward" in out


def test_correct_function_loads_without_warning(tmp_path, capsys):
    folder = _copy(ROOT / "solutions", tmp_path)
    load_exercise("dyna_q_planning", folder)
    out = capsys.readouterr().out
    assert "Warning" not in out
    assert re.fullmatch(
        r"Using your dyna_q_planning, read from 03_planning\.ipynb \(saved (just now|\d+ seconds "
        r"ago), at \d\d:\d\d\)\.",
        " ".join(out.split()),
    ), out
