"""Bring a student's exercise function from an earlier section into a later one.

Sections 3-5 need the functions written in sections 2 and 3. Each notebook runs
in its own kernel (in JupyterLab and under ``nbgrader autograde``), so
``load_exercise`` reads the exercise cell out of the sibling notebook in the
same folder, runs it (with that notebook's set-up cell) and hands back the
function.

When the exercise is not done yet, it says so and what to do. In the
self-learner edition, whose notebooks carry "reveal" cells, it falls back to the
revealed solution and says so.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .agent import new_model

SETUP_TAG = "setup"
REVEAL_METADATA_KEY = "dynaq_reveals"


@dataclass(frozen=True)
class Exercise:
    function: str
    notebook: str
    label: str


EXERCISES = {
    "dyna_q_model_update": Exercise("dyna_q_model_update", "02_model_update.ipynb", "Exercise 2 (model update)"),
    "dyna_q_planning": Exercise("dyna_q_planning", "03_planning.ipynb", "Exercise 3 (planning)"),
}


class ExerciseNotReady(RuntimeError):
    """The earlier exercise is missing or not implemented yet."""


def _probe(name: str, function) -> None:
    """Call the function once on a tiny case; NotImplementedError means 'not done'."""
    params = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "k": 1}
    model = new_model(100, 4)
    if name == "dyna_q_model_update":
        function(model, 54, 1, 0.0, 64)
    else:
        model[54, 1] = 0.0, 64
        state = np.random.get_state()  # probing must not shift the learner's random stream
        try:
            function(model, np.ones((100, 4)), params)
        finally:
            np.random.set_state(state)


def _code_cells(notebook: dict):
    return [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _exercise_cell(notebook: dict, name: str):
    """The code cell that defines ``name``: by nbgrader grade_id, else by its def line."""
    cells = _code_cells(notebook)
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name:
            return cell
    pattern = re.compile(rf"^def {re.escape(name)}\s*\(", re.MULTILINE)
    for cell in cells:
        if pattern.search(_source(cell)):
            return cell
    return None


def _revealed_solution(notebook: dict, name: str):
    for cell in notebook.get("cells", []):
        if cell.get("metadata", {}).get(REVEAL_METADATA_KEY) == name:
            match = re.search(r"```python\n(.*?)```", _source(cell), re.DOTALL)
            if match:
                return match.group(1)
    return None


def _setup_code(notebook: dict) -> str:
    """The notebook's set-up cells (tag "setup"), without IPython magics."""
    lines = []
    for cell in _code_cells(notebook):
        if SETUP_TAG in cell.get("metadata", {}).get("tags", []):
            lines += [ln for ln in _source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _define(name: str, setup: str, code: str, origin: str):
    namespace = {"__name__": "__exercise__"}
    exec(compile(setup, f"<set-up of {origin}>", "exec"), namespace)
    exec(compile(code, f"<{name} from {origin}>", "exec"), namespace)
    function = namespace.get(name)
    if not callable(function):
        raise ExerciseNotReady(f"The exercise cell in {origin} no longer defines a function called {name}.")
    return function


def load_exercise(name: str, folder: str | Path = ".", verbose: bool = True):
    """Return the student's ``name`` function, read from its notebook in ``folder``.

    Save the earlier notebook first (Ctrl+S): this reads the file on disk.
    """
    try:
        exercise = EXERCISES[name]
    except KeyError:
        raise ValueError(f"Unknown exercise {name!r}; choose one of {sorted(EXERCISES)}.") from None
    path = Path(folder) / exercise.notebook
    if not path.exists():
        raise ExerciseNotReady(
            f"{name} lives in {exercise.notebook}, which is not in {Path(folder).resolve()}. "
            "Keep all the section notebooks of this assignment in one folder."
        )
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ExerciseNotReady(f"Could not read {exercise.notebook} ({err}). Open it in JupyterLab and save it again.") from None
    cell = _exercise_cell(notebook, name)
    if cell is None:
        raise ExerciseNotReady(f"No cell in {exercise.notebook} defines {name}. Did the exercise cell get deleted?")
    setup = _setup_code(notebook)
    function = _define(name, setup, _source(cell), exercise.notebook)
    try:
        _probe(name, function)
    except NotImplementedError:
        solution = _revealed_solution(notebook, name)
        if solution is None:
            raise ExerciseNotReady(
                f"{name} in {exercise.notebook} is not implemented yet (it still raises NotImplementedError). "
                f"Finish {exercise.label} in {exercise.notebook}, save that notebook (Ctrl+S), "
                "then run this cell again."
            ) from None
        if verbose:
            print(f"Note: your {name} in {exercise.notebook} is not done yet, so this notebook uses the "
                  f"revealed solution of {exercise.label}. Finish yours, save, and re-run this cell to use it.")
        return _define(name, setup, solution, f"{exercise.notebook} (revealed solution)")
    except Exception as err:  # a bug in the student's code: load it anyway, but say so
        if verbose:
            print(f"Warning: {name} from {exercise.notebook} raised {type(err).__name__}: {err} "
                  "on a simple test call. The experiments below will likely fail until it is fixed.")
    else:
        problem = _self_check_problem(name, function)
        if problem and verbose:
            print(f"Warning: your {name} from {exercise.notebook} does not pass its self-check yet: {problem} "
                  "The experiments below use it anyway; fix it, save, and re-run this cell.")
    if verbose:
        print(f"Using your {name} from {exercise.notebook}.")
    return function


def _self_check_problem(name: str, function):
    """The self-check's message when ``function`` fails it, else None (prints nothing)."""
    import contextlib
    import io

    from . import checks

    check = checks.self_check_model_update if name == "dyna_q_model_update" else checks.self_check_planning
    state = np.random.get_state()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(function)
    except AssertionError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - any crash is a problem to report
        return f"{type(err).__name__}: {err}"
    finally:
        np.random.set_state(state)
    return None


def _still_a_stub(name: str, function) -> bool:
    """True when ``function`` is missing or raises NotImplementedError on the exercise's first self-check case."""
    from .grading.probes import call_all, probes_for

    if function is None:
        return True
    return call_all(function, probes_for(name, "visible")[:1])[0]["etype"] == "NotImplementedError"


def solution_if_skipped(name: str, notebook: str | Path, namespace: dict | None = None, verbose: bool = True):
    """The learner's ``name`` from this notebook's kernel, or the revealed solution if they skipped it.

    The self-learner edition puts a call to this after an exercise's self-check
    when later cells of the same notebook use the function: a learner who skips
    the exercise (its stub still raises NotImplementedError, or its cell was
    never run) can still run those cells, as ``load_exercise`` lets later
    sections do. ``notebook`` is this notebook's file, from which the solution
    in its "Show a solution" cell is read; ``namespace`` defaults to the
    caller's globals (the kernel's, in a notebook). Prints which one is used.
    """
    from .grading.messages import MODEL, PLANNING, PLUS_REWARD, PUSH

    known = (MODEL, PLANNING, PLUS_REWARD, PUSH)
    if name not in known:
        raise ValueError(f"Unknown exercise {name!r}; choose one of {', '.join(known)}.")
    if namespace is None:
        import sys

        namespace = sys._getframe(1).f_globals
    function = namespace.get(name)
    if not _still_a_stub(name, function):
        if verbose:
            print(f"Using your {name}.")
        return function
    path = Path(notebook)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ExerciseNotReady(f"{name} is not written yet, and its revealed solution could not be read from "
                               f"{path} ({err}). Run this notebook from its own folder.") from None
    solution = _revealed_solution(saved, name)
    if solution is None:
        raise ExerciseNotReady(f"{name} is not written yet and {path.name} has no revealed solution for it: "
                               "write it in its exercise cell, run that cell, then run this cell again.")
    if verbose:
        why = ("its cell has not been run" if function is None
               else "it still raises NotImplementedError")
        print(f"Note: your {name} is not done yet ({why}), so the cells below use the solution under "
              f"\"Show a solution\". Write yours, run its cell, then run this cell again to use it.")
    return _define(name, _setup_code(saved), solution, f"{path.name} (revealed solution)")
