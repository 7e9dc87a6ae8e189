"""The inputs the checks call a student's exercise function on, and how a call is recorded.

Each exercise's module (see ``registry``) builds its probes: "visible" (the
self-check students run; a few cases) and "hidden" (those and many more). The
probes are fixed (seeded), so the process that runs the student's code and the
trusted verifier agree on them; nothing in them depends on a solution. This
module holds what they share: the ``Probe`` every exercise's probe class
extends, ``probes_for``, and ``call_probe``, which runs one call and records
what came back (the array, None, or the exception) as plain arrays and
strings, the form the child process writes to disk (``outcomes_to_arrays`` /
``arrays_to_outcomes``; npz, no pickle).
"""

from __future__ import annotations

import linecache
import random
from dataclasses import dataclass

import numpy as np

from dynaq_course.checks import registry

N_STATES, N_ACTIONS = 100, 4
CALL_SEED = 8675309


@dataclass
class Probe:
    """One case of an exercise: its inputs. Each exercise's module extends it with its own fields."""

    exercise: str
    level: str  # "visible" or "hidden"
    kind: str  # which kind of case, in the exercise's own terms

    def args(self) -> tuple:
        """Fresh copies of the arguments of one call."""
        raise NotImplementedError

    def describe(self) -> str:
        """The case in words, for messages (never the expected result)."""
        raise NotImplementedError

    @property
    def terminal(self) -> bool:
        """True when the case involves the end of an episode."""
        return False


def empty_model() -> np.ndarray:
    """A model of Quentin's World's size in which nothing was tried yet (all NaN)."""
    return np.full((N_STATES, N_ACTIONS, 2), np.nan)


def probes_for(exercise: str, level: str) -> list[Probe]:
    """The probes of ``exercise`` at ``level`` ("visible" or "hidden")."""
    return registry.exercise(exercise).module.probes(level)


# ------------------------------------------------------------------ one call, recorded


def call_probe(fn, probe: Probe, index: int) -> dict:
    """Call ``fn`` on fresh copies of the probe's inputs; record what came back.

    The global random generators are seeded per call, so a run is repeatable; the
    caller saves and restores them around a batch of calls.
    """
    np.random.seed(CALL_SEED + index)
    try:
        random.seed(CALL_SEED + index)
    except Exception:  # noqa: BLE001 - patched builtins break the random module; the check goes on
        pass
    args = probe.args()
    record = {
        "returned": "array",
        "out": None,
        "etype": "",
        "evalue": "",
        "model_after": None,
        "name": "",
        "arrays": {},
    }
    try:
        result = fn(*args)
    except NameError as err:
        record.update(
            returned="error",
            etype=type(err).__name__,
            evalue=str(err)[:500],
            name=getattr(err, "name", "") or "",
            **learner_line(fn, err),
        )
        return record
    except Exception as err:  # noqa: BLE001 - any exception is an outcome to report
        record.update(returned="error", etype=type(err).__name__, evalue=str(err)[:500], **learner_line(fn, err))
        return record
    return registry.exercise(probe.exercise).module.record(probe, args, result, record)


def record_array(result, record: dict) -> dict:
    """Fill ``record`` from a result that should be an array (or a number): None, the array, or "not-array"."""
    if result is None:
        record["returned"] = "none"
        return record
    try:
        record["out"] = np.array(result, dtype=float, copy=True)
    except Exception as err:  # noqa: BLE001 - e.g. a string or ragged list came back
        record.update(returned="not-array", etype=type(result).__name__, evalue=str(err)[:200])
    return record


def learner_line(fn, err: BaseException) -> dict:
    """{"line": n, "code": text} of the last line of ``fn``'s own cell that the exception passed through.

    The messages point at the learner's line, not at the course's code it called
    (e.g. q_learning or NumPy): the deepest traceback frame from the file ``fn``
    was compiled from (its notebook cell). {} when there is none.
    """
    return error_line(getattr(getattr(fn, "__code__", None), "co_filename", None), err)


def error_line(filename: str | None, err: BaseException) -> dict:
    """{"line": n, "code": text} of the deepest frame of ``err``'s traceback in ``filename``, else {}."""
    found = {}
    tb = err.__traceback__
    while filename and tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = {"line": tb.tb_lineno, "code": linecache.getline(filename, tb.tb_lineno).strip()[:200]}
        tb = tb.tb_next
    return found


def call_all(fn, probes: list[Probe]) -> list[dict]:
    """Every probe through ``fn``; the learner's random streams are left where they were."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        return [call_probe(fn, probe, i) for i, probe in enumerate(probes)]
    finally:
        np.random.set_state(np_state)
        try:
            random.setstate(py_state)
        except Exception:  # noqa: BLE001 - see call_probe
            pass


# ------------------------------------------------------------------ on disk (npz, no pickle)


def outcomes_to_arrays(outcomes: list[dict], extra: dict | None = None) -> dict:
    arrays = {"n": np.array(len(outcomes))}
    for i, rec in enumerate(outcomes):
        arrays[f"{i}_meta"] = np.array(
            [
                rec["returned"],
                rec["etype"],
                rec["evalue"],
                rec.get("name", ""),
                str(rec.get("line", "")),
                rec.get("code", ""),
            ]
        )
        if rec["out"] is not None:
            arrays[f"{i}_out"] = rec["out"]
        if rec["model_after"] is not None:
            arrays[f"{i}_model"] = rec["model_after"]
        for name, array in (rec.get("arrays") or {}).items():
            arrays[f"{i}_a_{name}"] = array
    for key, text in (extra or {}).items():
        arrays[f"x_{key}"] = np.array(str(text))
    return arrays


def arrays_to_outcomes(data) -> tuple[list[dict], dict]:
    outcomes = []
    for i in range(int(data["n"])):
        returned, etype, evalue, name, line, code = ([str(x) for x in data[f"{i}_meta"]] + ["", ""])[:6]
        outcomes.append(
            {
                "returned": returned,
                "etype": etype,
                "evalue": evalue,
                "name": name,
                "line": line,
                "code": code,
                "out": data[f"{i}_out"] if f"{i}_out" in data else None,
                "model_after": data[f"{i}_model"] if f"{i}_model" in data else None,
                "arrays": {k[len(f"{i}_a_") :]: data[k] for k in data.files if k.startswith(f"{i}_a_")},
            }
        )
    extra = {k[2:]: str(data[k]) for k in data.files if k.startswith("x_")}
    return outcomes, extra
