"""Verdicts on the exercises that the student's code cannot reach.

The student's function runs in a fresh child process (``child``: ``python -I``,
reads the notebook from disk, runs the set-up cells and the exercise cell, calls
the function on the probes, writes the raw outcomes to an npz file). The
verdict (comparison and diagnosis, ``diagnose``) is computed here, in a process
that never runs student code, with the reference solution executed from its
source text with clean imports. Monkeypatching numpy, ``q_learning`` or builtins
in the student's kernel or cell therefore cannot change a verdict.

Three ways in:

* From a test cell (the kernel only relays the verdict)::

      from dynaq_course.checks.verify import assert_exercise_passes
      assert_exercise_passes("dyna_q_planning", reference=_reference_planning)

  runs ``python -I -m dynaq_course.checks.verify`` on the exercise's notebook in
  the current folder and raises ``ExerciseCheckFailed(message)`` (an
  AssertionError) when it fails. ``level="visible"`` runs the self-check's
  cases (no reference needed); the course's self-checks do this under grading.
  This is how the hidden tests run under plain ``nbgrader autograde``: the
  reference passes through the student's kernel.

* Under the grade command, the hidden-test cells hold only a verdict reached
  before the kernel started (``trusted_verdicts`` below; ``grading.sealed_tests``
  writes the cells)::

      from dynaq_course.checks.verify import relay_verdict
      relay_verdict(False, "Exercise 3 (planning) ...")

* From the command line (prints one line of JSON: passed, code, message)::

      python -I -m dynaq_course.checks.verify --exercise dyna_q_planning \\
          --level hidden --notebook 03_planning.ipynb [--reference-file ref.py] [--timeout 20]

* For a batch grader, with no kernel at all::

      trusted_verdicts(submission_dir: Path, source_assignment_dir: Path,
                       run_prefix: Sequence[str] = (), timeout: float = 20,
                       scratch: Path | None = None) -> dict[str, Verdict]

  maps each test cell grade_id of the exercises whose notebook is in
  ``source_assignment_dir`` (the instructor's source/<assignment>) to
  ``Verdict(passed, code, message)`` (the exercises and their test cells are
  those of ``registry``: for dyna_q test_model_update_visible/hidden and
  test_planning_visible/hidden). The reference solutions are read from
  the hidden-test regions of those notebooks. One child per exercise runs both
  levels' cases; the children run at the same time. ``run_prefix`` is prepended to
  the child's command (e.g. a bubblewrap/prlimit sandbox); the child must be able
  to read the submission's notebooks and write its results file, which lives in
  a fresh folder made inside ``scratch`` (default: the system's temp folder).
  A missing notebook, a notebook that is not valid JSON, a cell that is gone or
  raises, a child that times out ("did-not-finish") or dies ("child-died") all
  give failed verdicts with their own codes (see ``messages.CATALOGUE``); when
  the reference solutions cannot be read, every test cell of the assignment
  (the folder's name) gets a "grader-error" verdict.

The child gets ``timeout`` seconds in all (default 20); its stdout and stderr
are captured, truncated, and kept apart from the results.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dynaq_course import notebook_cells
from dynaq_course.checks import registry
from dynaq_course.checks.messages import ExerciseCheckFailed, Verdict, failed

CHILD_TIMEOUT = 20.0
OUTPUT_LIMIT = 4000

# Bound when the module is imported (before a student's cell runs in the same kernel).
_Popen, _PIPE, _loads, _dumps, _executable, _environ = (
    subprocess.Popen,
    subprocess.PIPE,
    json.loads,
    json.dumps,
    sys.executable,
    os.environ,
)
_getsource, _mkdtemp, _ExerciseCheckFailed = inspect.getsource, tempfile.mkdtemp, ExerciseCheckFailed


@dataclass
class ChildRun:
    """What came back from one child: outcomes, or a failed verdict when it could not produce them."""

    outcomes: list | None
    problem: Verdict | None
    tampered: str = ""
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _tail(text: bytes | str | None) -> str:
    if not text:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text if len(text) <= OUTPUT_LIMIT else "[...]\n" + text[-OUTPUT_LIMIT:]


def _child_env() -> dict:
    env = {k: v for k, v in _environ.items() if not k.startswith(("PYTHON", "JPY_"))}
    env["MPLBACKEND"] = "Agg"
    env["DYNAQ_NO_PROGRESS"] = "1"
    return env


def _kill(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run_child(
    notebook: Path,
    exercise: str,
    level: str,
    run_prefix: Sequence[str] = (),
    timeout: float = CHILD_TIMEOUT,
    scratch: Path | None = None,
) -> ChildRun:
    """Run the student's ``exercise`` from ``notebook`` in a fresh process on the probes of ``level``."""
    import numpy as np

    from dynaq_course.checks.probes import arrays_to_outcomes

    notebook = Path(notebook).resolve()
    fn = exercise
    if not notebook.exists():
        return ChildRun(None, failed("notebook-missing", fn=fn, notebook=notebook.name))
    folder = Path(_mkdtemp(prefix="dynaq-verify-", dir=scratch))
    results = folder / "results.npz"
    cmd = [
        *run_prefix,
        _executable,
        "-I",
        "-m",
        "dynaq_course.checks.child",
        str(notebook),
        exercise,
        level,
        str(results),
    ]
    start = time.perf_counter()
    try:
        proc = _Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=_PIPE,
            stderr=_PIPE,
            cwd=str(notebook.parent),
            env=_child_env(),
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            out, err = proc.communicate()
            return ChildRun(
                None,
                failed("did-not-finish", fn=fn, seconds=timeout),
                stdout=_tail(out),
                stderr=_tail(err),
                seconds=time.perf_counter() - start,
            )
        seconds = time.perf_counter() - start
        if not results.exists():
            last = _tail(err).strip().splitlines()[-1:] or [""]
            detail = f"exit status {proc.returncode}" + (f"; last message: {last[0][:200]}" if last[0] else "")
            return ChildRun(
                None, failed("child-died", fn=fn, detail=detail), stdout=_tail(out), stderr=_tail(err), seconds=seconds
            )
        try:
            with np.load(results, allow_pickle=False) as data:
                outcomes, extra = arrays_to_outcomes(data)
        except Exception as exc:  # noqa: BLE001 - a damaged results file is the child's failure
            return ChildRun(
                None,
                failed("child-died", fn=fn, detail=f"unreadable results ({exc})"[:300]),
                stdout=_tail(out),
                stderr=_tail(err),
                seconds=seconds,
            )
    finally:
        for path in folder.glob("*"):
            path.unlink()
        folder.rmdir()
    run = ChildRun(outcomes, None, extra.get("tampered", ""), _tail(out), _tail(err), seconds, extra)
    if "problem" in extra:
        fields = _loads(extra.get("fields", "{}"))
        run.problem = failed(extra["problem"], fn=fn, **fields)
        run.outcomes = None
    return run


# ------------------------------------------------------------------ the reference


def reference_function(source: str):
    """The function defined by ``source`` (one top-level def), run with clean imports."""
    import math
    import random

    import numpy as np

    from dynaq_course.agent import new_model, q_learning

    source = textwrap.dedent(source)
    names = [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    if len(names) != 1:
        raise ValueError(f"the reference source must define exactly one function, found {names}")
    namespace = {
        "__name__": "__reference__",
        "np": np,
        "numpy": np,
        "math": math,
        "random": random,
        "q_learning": q_learning,
        "new_model": new_model,
    }
    exec(compile(source, "<reference>", "exec"), namespace)
    return namespace[names[0]]


def exercises_in(source_assignment_dir: Path) -> list[str]:
    """The exercises whose notebook is in ``source_assignment_dir`` (e.g. source/dyna_q: the two of dyna_q)."""
    return [name for name, ex in registry.EXERCISES.items() if (Path(source_assignment_dir) / ex.notebook).exists()]


def reference_sources(source_assignment_dir: Path) -> dict[str, str]:
    """The ``_reference_*`` functions of the hidden-test regions of the source notebooks, as text.

    One per exercise whose notebook is in ``source_assignment_dir``; none there is an error.
    """
    sources = {}
    present = exercises_in(source_assignment_dir)
    if not present:
        notebooks = sorted({ex.notebook for ex in registry.EXERCISES.values()})
        raise FileNotFoundError(f"no exercise notebook ({', '.join(notebooks)}) in {source_assignment_dir}")
    for exercise in present:
        ex = registry.exercise(exercise)
        nb = json.loads((Path(source_assignment_dir) / ex.notebook).read_text(encoding="utf-8"))
        cell = notebook_cells.find_cell(nb, ex.test_cell("hidden"))
        if cell is None:
            raise ValueError(f"{ex.notebook} in {source_assignment_dir} has no cell {ex.test_cell('hidden')!r}")
        where = notebook_cells.describe(cell, ex.notebook)
        region = textwrap.dedent(notebook_cells.hidden_test_text(notebook_cells.cell_source(cell), where))
        node = next(
            (n for n in ast.parse(region).body if isinstance(n, ast.FunctionDef) and n.name.startswith("_reference")),
            None,
        )
        if node is None:
            raise ValueError(f"the hidden tests of {where} define no _reference_... function")
        sources[exercise] = ast.get_source_segment(region, node)
    return sources


# ------------------------------------------------------------------ the verdict


def judge(
    exercise: str, level: str, child: ChildRun, reference_source: str | None = None, notebook_name: str | None = None
) -> Verdict:
    """The verdict on a child's outcomes. ``child`` may have run more probes than ``level`` needs."""
    from dynaq_course.checks.diagnose import check_reference, diagnose
    from dynaq_course.checks.probes import call_all, probes_for

    if child.problem is not None:
        return child.problem
    if child.tampered:
        return failed(
            "tampering",
            fn=exercise,
            notebook=notebook_name or registry.exercise(exercise).notebook,
            what=child.tampered,
        )
    probes = probes_for(exercise, level)
    outcomes = child.outcomes[: len(probes)]
    if len(outcomes) != len(probes):
        return failed("grader-error", fn=exercise, detail="the child returned too few results")
    reference = None
    if reference_source:
        try:
            reference = call_all(reference_function(reference_source), probes)
        except Exception as exc:  # noqa: BLE001
            return failed("grader-error", fn=exercise, detail=f"the reference did not run: {exc}")
        checked = check_reference(exercise, probes, reference)
        if not checked.passed:
            return checked
    return diagnose(exercise, probes, outcomes, exercise, reference, level)


def verdict(
    exercise: str,
    level: str,
    notebook: Path,
    reference_source: str | None = None,
    run_prefix: Sequence[str] = (),
    timeout: float = CHILD_TIMEOUT,
    scratch: Path | None = None,
) -> Verdict:
    child = run_child(notebook, exercise, level, run_prefix, timeout, scratch)
    return judge(exercise, level, child, reference_source, Path(notebook).name)


def trusted_verdicts(
    submission_dir: Path,
    source_assignment_dir: Path,
    run_prefix: Sequence[str] = (),
    timeout: float = CHILD_TIMEOUT,
    scratch: Path | None = None,
) -> dict[str, Verdict]:
    """{test cell grade_id: Verdict} for a submission folder, with no kernel involved (see the module doc)."""
    submission_dir = Path(submission_dir)
    try:
        references = reference_sources(source_assignment_dir)
    except Exception as exc:  # noqa: BLE001
        bad = failed(
            "grader-error", fn="the exercises", detail=f"no reference solutions in {source_assignment_dir}: {exc}"
        )
        exercises = registry.in_assignment(Path(source_assignment_dir).name) or None  # unknown folder: every cell
        return {grade_id: bad for grade_id in registry.graded_cells(exercises)}
    with ThreadPoolExecutor(max_workers=len(references)) as pool:
        runs = {
            exercise: pool.submit(
                run_child,
                submission_dir / registry.exercise(exercise).notebook,
                exercise,
                "hidden",
                run_prefix,
                timeout,
                scratch,
            )
            for exercise in references
        }
        runs = {exercise: future.result() for exercise, future in runs.items()}
    result = {}
    for grade_id, (exercise, level) in registry.graded_cells([registry.exercise(name) for name in references]).items():
        reference = references[exercise.name] if level == "hidden" else None
        result[grade_id] = judge(exercise.name, level, runs[exercise.name], reference, exercise.notebook)
    return result


# ------------------------------------------------------------------ from a test cell


def assert_exercise_passes(
    exercise: str, reference=None, level: str = "hidden", folder: str | Path = ".", timeout: float = CHILD_TIMEOUT
) -> None:
    """Check the exercise of the notebook on disk in a fresh verifier process; raise if it fails.

    ``reference``: the reference function (its source is sent to the verifier) or its source text.
    """
    notebook = Path(folder).resolve() / registry.exercise(exercise).notebook
    cmd = [
        _executable,
        "-I",
        "-m",
        "dynaq_course.checks.verify",
        "--exercise",
        exercise,
        "--level",
        level,
        "--notebook",
        str(notebook),
        "--timeout",
        str(timeout),
    ]
    work = Path(_mkdtemp(prefix="dynaq-reference-"))
    try:
        if reference is not None:
            source = reference if isinstance(reference, str) else _getsource(reference)
            (work / "reference.py").write_text(source, encoding="utf-8")
            cmd += ["--reference-file", str(work / "reference.py")]
        proc = _Popen(cmd, stdin=subprocess.DEVNULL, stdout=_PIPE, stderr=_PIPE, env=_child_env(), cwd=str(work))
        try:
            out, err = proc.communicate(timeout=timeout + 40)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    finally:
        for path in work.glob("*"):
            path.unlink()
        work.rmdir()
    try:
        result = Verdict.from_dict(_loads(out.decode().strip().splitlines()[-1]))
    except Exception:  # noqa: BLE001 - no verdict came back
        result = failed(
            "grader-error",
            fn=exercise,
            detail=f"the verifier gave no verdict (exit {proc.returncode}): {_tail(err)[-300:]}",
        )
    if not result.passed:
        raise _ExerciseCheckFailed(result.message)
    print(result.message)


def relay_verdict(passed: bool, message: str) -> None:
    """Report in a test cell a verdict the grader reached outside the kernel: print it, or raise if it failed.

    Under ``python -m dynaq_course.grade`` the hidden-test cells that run in the student's kernel hold
    only this call (``grading.sealed_tests``): the verdict was computed before the kernel started, by a
    process that read the reference on the instructor's side, so the kernel never sees the reference.
    """
    if not passed:
        raise _ExerciseCheckFailed(message)
    print(message)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dynaq_course.checks.verify", description=__doc__.split("\n")[0])
    parser.add_argument("--exercise", required=True, choices=sorted(registry.EXERCISES))
    parser.add_argument("--level", default="hidden", choices=["visible", "hidden"])
    parser.add_argument("--notebook", required=True, type=Path)
    parser.add_argument("--reference-file", type=Path)
    parser.add_argument("--timeout", type=float, default=CHILD_TIMEOUT)
    args = parser.parse_args(argv)
    reference = args.reference_file.read_text(encoding="utf-8") if args.reference_file else None
    try:
        result = verdict(args.exercise, args.level, args.notebook, reference, timeout=args.timeout)
    except Exception as exc:  # noqa: BLE001 - say so in the verdict rather than die silently
        result = failed("grader-error", fn=args.exercise, detail=f"{type(exc).__name__}: {exc}")
    print(_dumps(result.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
