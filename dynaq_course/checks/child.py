"""The child process that runs a student's exercise function, and nothing else.

    python -I -m dynaq_course.checks.child NOTEBOOK EXERCISE LEVEL RESULTS.npz

It reads NOTEBOOK from disk, runs its set-up cells (tag "setup", IPython
magics dropped; imports whose names nothing uses are skipped, see
``needed_setup``) and the exercise cell (by nbgrader grade_id), calls the
function on the probes of (EXERCISE, LEVEL) (see ``probes``), and writes the raw
outcomes (arrays, or exception type and message, per call) to RESULTS.npz. It
judges nothing: the verifier (``verify``) loads the file with
``allow_pickle=False`` and computes the verdict in a process that never runs
student code.

It also notes whether the exercise cell (or the function, when called) rebinds
anything the course relies on: builtins, numpy's functions, numpy.testing, or
the attributes of the course's own modules. A load problem (notebook missing or
invalid, no such cell, the cell raising, no function) is written as
``x_problem`` with its details instead of outcomes.
"""

from __future__ import annotations

import builtins
import json
import linecache
import os
import sys

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import callable, dict, exec, isinstance, open, setattr, str, vars
from pathlib import Path

import numpy as np
import numpy.testing

import dynaq_course.checks as checks_package
from dynaq_course import agent, notebook_cells, params, world
from dynaq_course.checks import diagnose, messages, probes, registry, verify
from dynaq_course.checks import loader as exercises
from dynaq_course.checks import self_check as checks

WATCHED = {
    "builtins": builtins,
    "numpy": np,
    "numpy.testing": numpy.testing,
    "numpy.random": np.random,
    "dynaq_course.agent": agent,
    "dynaq_course.checks": checks_package,
    "dynaq_course.checks.self_check": checks,
    "dynaq_course.params": params,
    "dynaq_course.world": world,
    "dynaq_course.checks.loader": exercises,
    "dynaq_course.checks.diagnose": diagnose,
    "dynaq_course.checks.messages": messages,
    "dynaq_course.checks.probes": probes,
    "dynaq_course.checks.registry": registry,
    "dynaq_course.checks.verify": verify,
}
# ... and every exercise's module (its probes and its diagnosis).
WATCHED |= {ex.module.__name__: ex.module for ex in registry.EXERCISES.values()}


def snapshot() -> dict:
    return {name: dict(vars(module)) for name, module in WATCHED.items()} | {"os.environ": dict(os.environ)}


def rebound(before: dict) -> list[str]:
    """Names of watched attributes that no longer hold the object they held in ``before``."""
    changed = [f"os.environ[{key!r}]" for key, text in before["os.environ"].items() if os.environ.get(key) != text]
    for name, attrs in before.items():
        if name == "os.environ":
            continue
        now = vars(WATCHED[name])
        for attr, obj in attrs.items():
            if attr in ("__builtins__", "_") or attr.startswith("__warningregistry"):
                continue
            if now.get(attr, changed) is not obj:
                changed.append(f"{name}.{attr}")
    for name, module in WATCHED.items():
        if sys.modules.get(name, module) is not module:
            changed.append(f"sys.modules[{name!r}]")
    return changed


def restore(before: dict) -> None:
    """Put back every watched attribute that was rebound (so the child can still write its results)."""
    os.environ.update(before["os.environ"])
    for name, attrs in before.items():
        if name == "os.environ":
            continue
        module_dict = vars(WATCHED[name])
        for attr, obj in attrs.items():
            if module_dict.get(attr, restore) is not obj:
                setattr(WATCHED[name], attr, obj)
    for name, module in WATCHED.items():
        sys.modules[name] = module


def _bound_names(node) -> set[str]:
    return {(alias.asname or alias.name).split(".")[0] for alias in node.names}


def needed_setup(setup: str, cell: str) -> str:
    """The set-up code without the imports nothing uses (e.g. matplotlib for the plots: a second of start-up).

    An import statement is dropped only when none of the names it binds appears in the
    exercise cell or in the rest of the set-up code; everything else runs as written.
    """
    import ast

    try:
        tree, cell_tree = ast.parse(setup), ast.parse(cell)
    except SyntaxError:
        return setup
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not any(a.name == "*" for a in node.names):
            others = [n for n in tree.body if n is not node]
            used = {n.id for t in [cell_tree, *others] for n in ast.walk(t) if isinstance(n, ast.Name)}
            used |= {
                n.value.id
                for t in [cell_tree, *others]
                for n in ast.walk(t)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            }
            if not (_bound_names(node) & used):
                continue
        keep.append(ast.get_source_segment(setup, node))
    return "\n".join(keep)


def load_function(notebook_path: Path, exercise: str):
    """(function, None) or (None, (code, fields)) for a load problem."""
    name = Path(notebook_path).name
    if not Path(notebook_path).exists():
        return None, ("notebook-missing", {"notebook": name})
    try:
        notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
        if not isinstance(notebook, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as err:
        return None, ("notebook-invalid", {"notebook": name, "detail": f"{type(err).__name__}: {err}"[:300]})
    cell = exercises._exercise_cell(notebook, exercise)
    if cell is None:
        return None, ("function-missing", {"notebook": name})
    namespace = {"__name__": "__exercise__"}
    cell_code = notebook_cells.cell_source(cell)
    for code, label in ((needed_setup(exercises._setup_code(notebook), cell_code), "set-up"), (cell_code, "exercise")):
        filename = f"<{label} cell of {name}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # a crash can quote its line
        try:
            exec(compile(code, filename, "exec"), namespace)
        except BaseException as err:  # noqa: BLE001 - SystemExit too: report, do not die
            return None, ("cell-error", {"notebook": name, "etype": type(err).__name__, "evalue": str(err)[:300]})
    function = namespace.get(exercise)
    if not callable(function):
        return None, ("function-missing", {"notebook": name})
    return function, None


def main(argv=None) -> int:
    notebook, exercise, level, results = (argv or sys.argv[1:])[:4]
    # Bound before any student code runs.
    savez, call_all, probes_for, to_arrays = np.savez, probes.call_all, probes.probes_for, probes.outcomes_to_arrays
    before = snapshot()
    function, problem = load_function(Path(notebook), exercise)
    extra = {}
    outcomes = []
    if problem is not None:
        extra = {"problem": problem[0], "fields": json.dumps(problem[1], default=str)}
    else:
        tampered = rebound(before)
        restore(before)
        outcomes = call_all(function, probes_for(exercise, level))
        tampered += [t for t in rebound(before) if t not in tampered]
        restore(before)
        if tampered:
            extra["tampered"] = ", ".join(tampered[:8])
    with open(results, "wb") as f:
        savez(f, **to_arrays(outcomes, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
