"""Turn recorded calls of a student's function into a verdict that names the mistake.

``diagnose(exercise, probes, outcomes, fn_name, reference_outcomes=None)``
hands what each probe call returned (see ``probes.call_probe``) to the
exercise's own diagnosis (its module, see ``registry``) and gives back a
``Verdict``. No diagnosis holds a solution: each checks properties that every
correct answer has, and names the mistake a wrong answer makes.

This module holds what the diagnoses share: exact and close comparison (NaN
equal to NaN), the problems of a call itself (an exception, None, not an array,
the wrong shape), and the two ways of pooling the labels of the failing cases
into one mistake: by how many cases each explains (``pool_by_tally``, Sections
2-3) and by the one explanation that fits (nearly) every failure
(``best_explanation``, Section 6).

Comparison helpers and builtins are bound when this module is imported, so a
student's cell that patches numpy or builtins later does not change a verdict
computed in the same kernel.
"""

from __future__ import annotations

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import all, any, bool, dict, enumerate, len, list, next, set, sorted, sum, tuple, zip

import numpy as np

from dynaq_course.checks import messages as msg
from dynaq_course.checks import registry
from dynaq_course.checks.messages import Verdict

_isnan, _array, _abs, _size, _reshape, _shape = np.isnan, np.array, np.abs, np.size, np.reshape, np.shape
_RTOL, _ATOL = 1e-9, 1e-12


def same(a, b) -> bool:
    """Equal shapes and entries, NaN equal to NaN (exact)."""
    a, b = _array(a, dtype=float), _array(b, dtype=float)
    return a.shape == b.shape and bool(((a == b) | (_isnan(a) & _isnan(b))).all())


def close(a, b) -> bool:
    """Equal shapes, entries equal within a relative 1e-9 (and 1e-12 absolute), NaN equal to NaN."""
    a, b = _array(a, dtype=float), _array(b, dtype=float)
    if a.shape != b.shape:
        return False
    both_nan = _isnan(a) & _isnan(b)
    return bool((both_nan | (_abs(a - b) <= _ATOL + _RTOL * _abs(b))).all())


def differs(a, b) -> np.ndarray:
    """Elementwise 'not the same', NaN equal to NaN."""
    return ~((a == b) | (_isnan(a) & _isnan(b)))


def tally(items) -> dict:
    """Counts of each item (collections.Counter relies on isinstance, which a student may patch)."""
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def array_call_problem(probe, rec, prefix: str, expected_shape):
    """Problems of a call that should return an array of ``expected_shape``: (code, fields) or None.

    An exception, None (``<prefix>-returns-none``), not an array or the wrong shape (``<prefix>-wrong-shape``).
    """
    if rec["returned"] == "error":
        return msg.exception_problem(probe, rec)
    if rec["returned"] == "none":
        return (f"{prefix}-returns-none", {})
    if rec["returned"] == "not-array":
        return (f"{prefix}-wrong-shape", {"shape": f"(not an array: {rec['etype']})", "expected_shape": expected_shape})
    if rec["out"].shape != expected_shape:
        return (f"{prefix}-wrong-shape", {"shape": tuple(rec["out"].shape), "expected_shape": expected_shape})
    return None


def first_of(labels, codes):
    """The first of ``codes`` (in that order) among the labels [(probe index, code, fields)]: (code, fields) or None."""
    for code in codes:
        for _, c, fields in labels:
            if c == code:
                return c, fields
    return None


def pool_by_tally(labels, probes, first, last, terminal: str, explain=None):
    """One (code, fields) from the failing cases' labels [(probe index, code, fields)].

    Mistakes in ``first`` win wherever they happen; failures seen only on
    end-of-episode cases become ``terminal``; otherwise the most frequent label
    wins, those in ``last`` only when nothing else is left. Labels "explain"
    (several explanations per case) are pooled by ``explain([(k, options)])``.
    """
    found = first_of(labels, first)
    if found:
        return found
    failing = {i for i, _, _ in labels}
    non_terminal_ok = any(not p.terminal for i, p in enumerate(probes) if i not in failing)
    if non_terminal_ok and all(probes[i].terminal for i in failing):
        return terminal, {}
    if any(not probes[i].terminal for i in failing):
        labels = [lab for lab in labels if not probes[lab[0]].terminal]
    explained = [(f["k"], f["options"]) for _, c, f in labels if c == "explain"]
    counts = tally(c for _, c, _ in labels)
    order = list(msg.CATALOGUE)

    def rank(code):
        return (code in last, -counts[code], order.index(code) if code in order else len(order))

    best = sorted(counts, key=rank)[0]
    if best == "explain":
        return explain(explained)
    return best, next(f for _, c, f in labels if c == best)


def best_explanation(labels, preference, generic: str):
    """The mistake of ``preference`` that explains (nearly) every "explain" label, else ``generic``.

    Each such label's fields hold the set of mistakes that reproduce that case
    exactly ("options") and the case in words ("case"); ties go to the earlier
    mistake in ``preference``. A mistake must fit at least 3 in 4 of them.
    """
    explained = [f for _, c, f in labels if c == "explain"]
    fits = {code: sum(code in f["options"] for f in explained) for code in preference}
    best = sorted(preference, key=lambda code: (-fits[code], preference.index(code)))[0]
    if fits[best] > 0 and 4 * fits[best] >= 3 * len(explained):
        return best, {"case": explained[0]["case"]}
    return generic, {"case": explained[0]["case"]}


def unlike_reference(reference_outcomes, i, probe, rec):
    """An unexplained failure of case ``i`` ("explain" with no mistake that fits) when its result differs from
    the reference's (results of the same size are compared in the reference's shape); None otherwise."""
    if reference_outcomes is None:
        return None
    ref, out = reference_outcomes[i]["out"], rec["out"]
    if ref is not None and _size(out) == _size(ref):
        out = _reshape(out, _shape(ref))
    if ref is not None and not close(out, ref):
        return ("explain", {"options": set(), "case": probe.describe()})
    return None


def verdict_from_cases(probes, outcomes, fn_name: str, level: str, label, pool) -> Verdict:
    """Passed when ``label(i, probe, rec)`` finds no problem in any case, else the mistake ``pool(labels, probes)``
    makes of the problems [(probe index, code, fields)]."""
    labels = []
    for i, (probe, rec) in enumerate(zip(probes, outcomes)):
        problem = label(i, probe, rec)
        if problem is not None:
            labels.append((i, problem[0], problem[1]))
    if not labels:
        return msg.passed(fn_name, level)
    code, fields = pool(labels, probes)
    return msg.failed(code, fn=fn_name, **fields)


def diagnose(
    exercise: str, probes, outcomes, fn_name: str | None = None, reference_outcomes=None, level: str = "hidden"
) -> Verdict:
    """The verdict on a student's function from its recorded calls (and the reference's, if given)."""
    return registry.exercise(exercise).module.diagnose(probes, outcomes, fn_name or exercise, reference_outcomes, level)


def check_reference(exercise: str, probes, reference_outcomes) -> Verdict:
    """The reference solution must pass the checks it backs; anything else is a grader error."""
    verdict = diagnose(exercise, probes, reference_outcomes, "the reference solution")
    if verdict.passed:
        return verdict
    return msg.failed("grader-error", fn=exercise, detail=f"the reference solution fails the checks: {verdict.message}")
