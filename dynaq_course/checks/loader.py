"""Bring a student's exercise function from an earlier section into a later one.

Sections 3-5 need the functions written in sections 2 and 3. Each notebook runs
in its own kernel (in JupyterLab and under ``nbgrader autograde``), so
``load_exercise`` reads the exercise cell out of the sibling notebook in the
same folder, runs it (with that notebook's set-up cell) and hands back the
function.

When the exercise is not done yet, it says so and what to do. In the
self-learner edition, whose notebooks carry "reveal" cells, it falls back to the
revealed solution and says so.

Because it reads the file on disk, it says when that file was saved, and warns
when the kernel that calls it already holds a different function of the same
name (typically: the exercise cell was edited and run, but not saved).
"""

from __future__ import annotations

import json
import linecache
import re
import sys
import time
from pathlib import Path
from types import CodeType

import numpy as np

from dynaq_course import notebook_cells
from dynaq_course.checks import registry
from dynaq_course.checks.messages import LearnerFacingError, wrap

SETUP_TAG = "setup"
REVEAL_METADATA_KEY = "dynaq_reveals"


class ExerciseNotReady(LearnerFacingError, RuntimeError):
    """The earlier exercise is missing or not implemented yet (shown as its message alone, see LearnerFacingError)."""


def _exercise_cell(notebook: dict, name: str):
    """The code cell that defines ``name``: by nbgrader grade_id, else by its def line."""
    cell = notebook_cells.find_cell(notebook, name, "code")
    if cell is not None:
        return cell
    pattern = re.compile(rf"^def {re.escape(name)}\s*\(", re.MULTILINE)
    return next((c for c in notebook_cells.code_cells(notebook) if pattern.search(notebook_cells.cell_source(c))), None)


def _revealed_solution(notebook: dict, name: str):
    for cell in notebook.get("cells", []):
        if cell.get("metadata", {}).get(REVEAL_METADATA_KEY) == name:
            match = re.search(r"```python\n(.*?)```", notebook_cells.cell_source(cell), re.DOTALL)
            if match:
                return match.group(1)
    return None


def _setup_code(notebook: dict) -> str:
    """The notebook's set-up cells (tag "setup"), without IPython magics."""
    lines = []
    for cell in notebook_cells.code_cells(notebook):
        if SETUP_TAG in cell.get("metadata", {}).get("tags", []):
            lines += [
                ln for ln in notebook_cells.cell_source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))
            ]
    return "\n".join(lines)


def _run_cell(code: str, filename: str, namespace: dict, what: str) -> None:
    """Run one saved cell; an error in it becomes ExerciseNotReady naming the cell's own line."""
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # tracebacks can quote it
    try:
        exec(compile(code, filename, "exec"), namespace)
    except SyntaxError as err:
        raise ExerciseNotReady(
            f"{what}, as saved, is not valid Python: {err.msg} at line {err.lineno} "
            f"(`{(err.text or '').strip()}`). Fix it there, save that notebook (Ctrl+S), "
            "then run this cell again."
        ) from None
    except Exception as err:  # noqa: BLE001 - any error of the learner's cell, said in their terms
        from dynaq_course.checks.messages import crash_location
        from dynaq_course.checks.probes import error_line

        where = error_line(filename, err)
        place = crash_location(where.get("line"), where.get("code")).replace("your exercise cell", "that cell")
        raise ExerciseNotReady(
            f"{what}, as saved, raised {type(err).__name__} {place}when it ran: {err}. "
            "Fix it there, save that notebook (Ctrl+S), then run this cell again."
        ) from None


def _define(name: str, setup: str, code: str, origin: str):
    namespace = {"__name__": "__exercise__"}
    _run_cell(setup, f"<set-up of {origin}>", namespace, f"The set-up cell of {origin}")
    _run_cell(code, f"<{name} from {origin}>", namespace, f"The exercise cell of {name} in {origin}")
    function = namespace.get(name)
    if not callable(function):
        raise ExerciseNotReady(f"The exercise cell in {origin} no longer defines a function called {name}.")
    return function


def saved_when(path: Path, now: float | None = None) -> str:
    """When ``path`` was last saved, in words: "saved 3 minutes ago, at 14:02" (local time)."""
    mtime = path.stat().st_mtime
    now = time.time() if now is None else now
    clock = time.strftime("%H:%M", time.localtime(mtime))
    age = now - mtime
    if age < 0:
        return f"saved at {clock}"
    if age < 10:
        return f"saved just now, at {clock}"
    if age < 90:
        seconds = int(age)
        return f"saved {seconds} second{'s' * (seconds != 1)} ago, at {clock}"
    if age < 90 * 60:
        return f"saved {round(age / 60)} minutes ago, at {clock}"
    if age < 24 * 3600:
        hours = round(age / 3600)
        return f"saved {hours} hour{'s' * (hours != 1)} ago, at {clock}"
    return f"saved on {time.strftime('%Y-%m-%d', time.localtime(mtime))} at {clock}"


def _fingerprint(code: CodeType) -> tuple:
    """What a function does, from its compiled code: instructions, names and constants (not line numbers,
    so moving or re-commenting the cell does not count as a change)."""
    consts = tuple(_fingerprint(c) if isinstance(c, CodeType) else repr(c) for c in code.co_consts)
    return code.co_code, code.co_names, code.co_varnames, consts


def differs_from_kernel(saved, namespace: dict | None, name: str) -> bool:
    """True when ``namespace`` holds a function ``name`` of the learner's own (not one load_exercise made)
    whose code is not the saved one's."""
    existing = (namespace or {}).get(name)
    code = getattr(existing, "__code__", None)
    if not isinstance(code, CodeType) or getattr(existing, "__module__", None) == LOADED_MODULE:
        return False
    return _fingerprint(code) != _fingerprint(saved.__code__)


LOADED_MODULE = "__exercise__"  # the __module__ of the functions load_exercise makes


def _say(text: str) -> None:
    """Print a message for the learner, wrapped like the checks' messages (no horizontal scrolling)."""
    print("\n".join(wrap(text)))


def _caller_namespace() -> dict | None:
    """The globals of the code that called load_exercise: in a notebook, the kernel's user namespace."""
    try:
        return sys._getframe(2).f_globals
    except ValueError:
        return None


def load_exercise(name: str, folder: str | Path = ".", verbose: bool = True, namespace: dict | None = None):
    """Return the student's ``name`` function, read from its notebook in ``folder``.

    Save the earlier notebook first (Ctrl+S): this reads the file on disk, and
    says when it was saved. ``namespace`` is where to look for a function of the
    same name already defined (default: the caller's globals, i.e. the notebook
    kernel's variables); when it differs from the saved one, a warning says so
    and that the saved one is used.
    """
    if namespace is None:
        namespace = _caller_namespace()
    exercise = registry.EXERCISES.get(name) if isinstance(name, str) else None
    if exercise is None or not exercise.loaded_later:
        names = ", ".join(ex.name for ex in registry.loaded_later())
        raise ValueError(f"Unknown exercise {name!r} for load_exercise; choose one of {names}.")
    path = Path(folder) / exercise.notebook
    if not path.exists():
        raise ExerciseNotReady(
            f"{name} lives in {exercise.notebook}, which is not in {Path(folder).resolve()}. "
            "Keep all the section notebooks of this assignment in one folder."
        )
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ExerciseNotReady(
            f"Could not read {exercise.notebook} ({err}). Open it in JupyterLab and save it again."
        ) from None
    saved = saved_when(path)
    cell = _exercise_cell(notebook, name)
    if cell is None:
        raise ExerciseNotReady(
            f"No cell in {exercise.notebook} ({saved}) defines {name}. Did the exercise cell get deleted?"
        )
    setup = _setup_code(notebook)
    function = _define(name, setup, notebook_cells.cell_source(cell), exercise.notebook)
    if verbose and differs_from_kernel(function, namespace, name):
        _say(
            f"Warning: the {name} defined in this kernel differs from the one saved in {exercise.notebook} "
            f"({saved}). This cell uses the saved one. If the kernel's version is your latest, save "
            f"{exercise.notebook} (Ctrl+S) and run this cell again."
        )
    try:
        exercise.module.try_once(function)
    except NotImplementedError:
        solution = _revealed_solution(notebook, name)
        if solution is None:
            raise ExerciseNotReady(
                f"{name} in {exercise.notebook} ({saved}) is not implemented yet (it still raises "
                f"NotImplementedError). Finish {exercise.label} in {exercise.notebook}, save that notebook "
                "(Ctrl+S), then run this cell again."
            ) from None
        if verbose:
            _say(
                f"Note: your {name} in {exercise.notebook} ({saved}) is not done yet, so this notebook uses "
                f"the revealed solution of {exercise.label}. Finish yours, save, and re-run this cell to use it."
            )
        return _define(name, setup, solution, f"{exercise.notebook} (revealed solution)")
    except Exception as err:  # noqa: BLE001 - a bug in the student's code: load it anyway, but say so
        if verbose:
            from dynaq_course.checks.messages import crash_location
            from dynaq_course.checks.probes import learner_line

            where = learner_line(function, err)
            _say(
                f"Warning: your {name} from {exercise.notebook} raised {type(err).__name__} "
                f"{crash_location(where.get('line'), where.get('code'))}on a simple test call: {err}. "
                "The experiments below will likely fail until it is fixed; fix it, save, and re-run this cell."
            )
    else:
        problem = _self_check_problem(name, function)
        if problem and verbose:
            _say(
                f"Warning: your {name} from {exercise.notebook} does not pass its self-check yet: {problem} "
                "The experiments below use it anyway; fix it, save, and re-run this cell."
            )
    if verbose:
        _say(f"Using your {name}, read from {exercise.notebook} ({saved}).")
    return function


def _self_check_problem(name: str, function):
    """The self-check's message when ``function`` fails it, else None (prints nothing)."""
    import contextlib
    import io

    from dynaq_course.checks import self_check

    check = getattr(self_check, registry.exercise(name).self_check)
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
    from dynaq_course.checks.probes import call_all, probes_for

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
    registry.exercise(name)  # a ValueError naming the exercises if there is none of that name
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
        raise ExerciseNotReady(
            f"{name} is not written yet, and its revealed solution could not be read from "
            f"{path} ({err}). Run this notebook from its own folder."
        ) from None
    solution = _revealed_solution(saved, name)
    if solution is None:
        raise ExerciseNotReady(
            f"{name} is not written yet and {path.name} has no revealed solution for it: "
            "write it in its exercise cell, run that cell, then run this cell again."
        )
    if verbose:
        why = "its cell has not been run" if function is None else "it still raises NotImplementedError"
        print(
            f"Note: your {name} is not done yet ({why}), so the cells below use the solution under "
            f'"Show a solution". Write yours, run its cell, then run this cell again to use it.'
        )
    return _define(name, _setup_code(saved), solution, f"{path.name} (revealed solution)")
