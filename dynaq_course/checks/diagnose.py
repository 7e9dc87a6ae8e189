"""Turn recorded calls of a student's function into a verdict that names the mistake.

``diagnose(exercise, probes, outcomes, fn_name, reference=None)`` looks at what
each probe call returned (see ``probes.call_probe``) and gives a ``Verdict``.
It holds no solution: it checks properties that every correct answer has.

* Model update (deterministic): model[state, action, 0] holds the reward,
  model[state, action, 1] the next state (NaN when it was None), nothing else
  changed. A failing case is classified by what was written where (swapped,
  one half missing, another action/state, all actions, [action, state], ...).
* Planning, one remembered pair: whatever the random draws, the result is k
  Q-learning updates of that pair. A failing case is explained by replaying the
  pair a different number of times, with other alpha/gamma, with reward and next
  state read the other way round, at [action, state], ...
* Planning, 2-4 remembered pairs (gamma 0, small alpha): how often each pair
  was replayed is read back from its value. The counts must add up to k and every
  pair must get a fair share. The share is wide enough for both "uniform over
  pairs" and "uniform observed state, then an action taken there" (both match the
  algorithm box): each pair must get at least a third of the smaller of the two
  shares, a threshold a correct solution misses about once in 10^6 checks.

Per case labels are then pooled: mistakes that show wherever they happen (None
returned, wrong shape, model changed by planning) win; failures seen only on
end-of-episode cases become the "terminal" mistake; otherwise the most frequent
label wins, counting mistakes (k - 1, k + 1, one update, fixed count) being
recognised across cases.

Comparison helpers and builtins are bound when this module is imported, so a
student's cell that patches numpy or builtins later does not change a verdict
computed in the same kernel.
"""
from __future__ import annotations

from builtins import abs, all, any, bool, dict, enumerate, float, int, isinstance, len, list, max, min, range, \
    round, set, sorted, str, sum, tuple, zip  # noqa: A004 - bound now, immune to later patches of builtins
import numpy as np

from dynaq_course.checks import messages as msg
from dynaq_course.checks.further_diagnose import diagnose_further
from dynaq_course.checks.messages import GREEDY, MODEL, PLANNING, PLUS_REWARD, PUSH, Verdict

_isnan, _log, _array, _argwhere = np.isnan, np.log, np.array, np.argwhere
_RTOL, _ATOL = 1e-9, 1e-12
_HARDCODED_ALPHAS = (0.5, 0.1, 0.2, 0.9, 1.0)
_HARDCODED_GAMMAS = (0.8, 0.9, 0.95, 0.99, 1.0, 0.0)
SHARE_FRACTION = 1 / 3
# Shown wherever they happen, before anything else.
_GLOBAL = ("not-implemented", "uses-outside-name", "model-returns-none", "model-wrong-shape",
           "planning-returns-none", "planning-wrong-shape", "planning-modifies-model")
_LAST = ("crash", "model-wrong", "planning-wrong")


def _same(a, b) -> bool:
    """Equal shapes and entries, NaN equal to NaN (exact)."""
    a, b = _array(a, dtype=float), _array(b, dtype=float)
    return a.shape == b.shape and bool(((a == b) | (_isnan(a) & _isnan(b))).all())


def _close(a, b) -> bool:
    a, b = _array(a, dtype=float), _array(b, dtype=float)
    if a.shape != b.shape:
        return False
    both_nan = _isnan(a) & _isnan(b)
    diff = np.abs(a - b) <= _ATOL + _RTOL * np.abs(b)
    return bool((both_nan | diff).all())


def _differs(a, b) -> np.ndarray:
    """Elementwise 'not the same', NaN equal to NaN."""
    return ~((a == b) | (_isnan(a) & _isnan(b)))


# ------------------------------------------------------------------ model update

def _model_case(probe, out):
    """(code, fields) for one model-update call that returned an array of the right shape; None if right."""
    before, s, a, r, n = probe.model, probe.state, probe.action, probe.reward, probe.next_state
    stored_r, stored_n = out[s, a, 0], out[s, a, 1]
    reward_ok = stored_r == r
    next_ok = _isnan(stored_n) if n is None else stored_n == n
    changed = _differs(out, before).any(axis=2)
    others = changed.copy()
    others[s, a] = False
    if reward_ok and next_ok and not others.any():
        return None
    if not changed.any():
        return ("model-untouched", {})
    if others.any() and not changed[s, a]:
        where = set(map(tuple, _argwhere(others)))
        if where == {(a, s)}:
            return ("model-state-action-swapped", {})
        if all(ws == s for ws, _ in where):
            return ("model-other-action", {})
        if all(wa == a for _, wa in where) and len(where) == 1:
            return ("model-other-state", {})
        return ("model-other-entries", {})
    if others.any():
        if changed[s].all() and not others[np.arange(others.shape[0]) != s].any():
            return ("model-all-actions", {})
        return ("model-other-entries", {})
    # Only model[state, action] changed, and it is wrong.
    if n is not None and stored_r == n and stored_n == r:
        return ("model-swapped", {})
    if n is None and _isnan(stored_r) and stored_n == r:
        return ("model-swapped", {})
    if reward_ok and n is None and not _isnan(stored_n):
        return ("model-terminal", {})
    if reward_ok and (stored_n == before[s, a, 1] or (_isnan(stored_n) and _isnan(before[s, a, 1]))):
        return ("model-next-state-missing", {})
    if next_ok and (stored_r == before[s, a, 0] or (_isnan(stored_r) and _isnan(before[s, a, 0]))):
        return ("model-reward-missing", {})
    return ("model-wrong", {})


# ------------------------------------------------------------------ planning

def _replays(value, s, a, r, n, alpha, gamma, upto):
    """Yield (times, value table) after 0, 1, ..., upto Q-learning updates of the pair (s, a)."""
    v = _array(value, dtype=float)
    yield 0, v.copy()
    for times in range(1, upto + 1):
        boot = 0.0 if _isnan(n) else v[int(n)].max()
        v[s, a] = v[s, a] + alpha * (r + gamma * boot - v[s, a])
        yield times, v.copy()


def _replayed(value, s, a, r, n, alpha, gamma, times):
    result = None
    for _, result in _replays(value, s, a, r, n, alpha, gamma, times):
        pass
    return result


def _single_pair(probe):
    (s, a), = _argwhere(~_isnan(probe.model[:, :, 0]))
    return int(s), int(a), float(probe.model[s, a, 0]), float(probe.model[s, a, 1])


def _swap_pattern(changed, observed) -> bool:
    """Every wrongly changed entry is (action, state) of a remembered (state, action)."""
    outside = [tuple(x) for x in _argwhere(changed & ~observed)]
    return bool(outside) and all(st < observed.shape[1] and ac < observed.shape[0] and observed[ac, st]
                                 for st, ac in outside)


def _fixed_case(probe, out):
    s, a, r, n = _single_pair(probe)
    p = probe.params
    alpha, gamma, k = float(p["alpha"]), float(p["gamma"]), int(p["k"])
    value = probe.value
    if _close(out, _replayed(value, s, a, r, n, alpha, gamma, k)):
        return None
    changed = _differs(out, value)
    observed = ~_isnan(probe.model[:, :, 0])
    if not changed.any():
        return ("explain", {"k": k, "options": {("count", 0)}})
    if (changed & ~observed).any():
        if _swap_pattern(changed, observed):
            return ("planning-state-action-swapped", {})
        return ("planning-unobserved", {})
    # Every way this case can be explained; pooled over cases by _explain_code.
    options = {("count", times) for times, expected in _replays(value, s, a, r, n, alpha, gamma, max(k + 3, 120))
               if _close(out, expected)}
    if any(_close(out, _replayed(value, s, a, r, n, al, ga, k))
           for al in (alpha,) + _HARDCODED_ALPHAS for ga in (gamma,) + _HARDCODED_GAMMAS if (al, ga) != (alpha, gamma)):
        options.add(("hardcoded",))
    if not _isnan(n) and r in (0.0, 1.0) and float(n).is_integer():
        if _close(out, _replayed(value, s, a, n, r, alpha, gamma, k)):
            options.add(("swapped",))
    if options:
        return ("explain", {"k": k, "options": options})
    if _isnan(n):
        return ("planning-terminal", {})
    return ("planning-wrong", {})


def _min_share(observed) -> float:
    """The smallest chance of a pair under either sampling scheme of the algorithm box."""
    pairs = _argwhere(observed)
    states = sorted(set(int(s) for s, _ in pairs))
    per_state = {s: int(observed[s].sum()) for s in states}
    return min(min(1 / len(pairs), 1 / (len(states) * per_state[int(s)])) for s, _ in pairs)


def _spread_case(probe, out):
    value, model = probe.value, probe.model
    observed = ~_isnan(model[:, :, 0])
    k, alpha = int(probe.params["k"]), float(probe.params["alpha"])
    changed = _differs(out, value)
    if (changed & ~observed).any():
        if _swap_pattern(changed, observed):
            return ("planning-state-action-swapped", {})
        return ("planning-unobserved", {})
    counts = []
    for s, a in _argwhere(observed):
        left = (out[s, a] - model[s, a, 0]) / (value[s, a] - model[s, a, 0])  # (1 - alpha) ** count
        if not (0 < left <= 1 + 1e-12):
            return ("planning-wrong", {})
        count = _log(min(left, 1.0)) / _log(1 - alpha)
        if abs(count - round(count)) > 1e-6:
            return ("planning-wrong", {})
        counts.append(int(round(count)))
    if sum(counts) != k:
        return ("explain", {"k": k, "options": {("count", sum(counts))}})
    least = SHARE_FRACTION * _min_share(observed) * k
    if any(c < least for c in counts):
        if sum(1 for c in counts if c > 0) <= 1:
            return ("planning-same-pair", {})
        return ("planning-misses-pairs", {})
    return None


def _planning_case(probe, rec):
    if rec["model_after"] is not None and not _same(rec["model_after"], probe.model):
        return ("planning-modifies-model", {})
    if probe.kind == "spread":
        return _spread_case(probe, rec["out"])
    return _fixed_case(probe, rec["out"])


# ------------------------------------------------------------------ pooling

def _call_problem(exercise, probe, rec):
    """Problems of the call itself (exception, None, not an array, wrong shape): (code, fields) or None."""
    prefix = "model" if exercise == MODEL else "planning"
    if rec["returned"] == "error":
        return msg.exception_problem(probe, rec)
    if rec["returned"] == "none":
        return (f"{prefix}-returns-none", {})
    expected_shape = probe.model.shape if exercise == MODEL else probe.value.shape
    if rec["returned"] == "not-array":
        return (f"{prefix}-wrong-shape", {"shape": f"(not an array: {rec['etype']})",
                                          "expected_shape": expected_shape})
    if rec["out"].shape != expected_shape:
        return (f"{prefix}-wrong-shape", {"shape": tuple(rec["out"].shape), "expected_shape": expected_shape})
    return None


def _tally(items) -> dict:
    """Counts of each item (collections.Counter relies on isinstance, which a student may patch)."""
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


# Preferred first when two explanations fit equally many cases.
_EXPLANATIONS = ("planning-not-returned", "planning-one-update", "planning-k-minus-1", "planning-k-plus-1",
                 "planning-ignores-k", "planning-hardcoded-params", "planning-reward-next-swapped")


def _explain_code(cases):
    """The explanation that fits the most cases; cases = [(k, {("count", n), ("hardcoded",), ...})]."""
    fixed_counts = _tally(o[1] for _, options in cases for o in options if o[0] == "count")
    fixed = max(fixed_counts, key=fixed_counts.get) if fixed_counts else None
    varied_k = len(set(k for k, _ in cases)) > 1
    fits = {
        "planning-not-returned": sum(("count", 0) in o for _, o in cases),
        "planning-one-update": sum(("count", 1) in o for _, o in cases),
        "planning-k-minus-1": sum(("count", k - 1) in o for k, o in cases),
        "planning-k-plus-1": sum(("count", k + 1) in o for k, o in cases),
        "planning-ignores-k": sum(("count", fixed) in o for _, o in cases) if varied_k else 0,
        "planning-hardcoded-params": sum(("hardcoded",) in o for _, o in cases),
        "planning-reward-next-swapped": sum(("swapped",) in o for _, o in cases),
    }
    best = sorted(_EXPLANATIONS, key=lambda code: (-fits[code], _EXPLANATIONS.index(code)))[0]
    if fits[best] == 0:
        k, options = cases[0]
        counts = sorted(o[1] for o in options if o[0] == "count")
        return "planning-wrong-count", {"k": k, "count": counts[0] if counts else "?"}
    if best == "planning-ignores-k":
        return best, {"count": fixed}
    return best, {}


def _pool(exercise, labels, probes):
    """One (code, fields) from the failing cases' labels [(probe index, code, fields)]."""
    for code in _GLOBAL:
        for _, c, fields in labels:
            if c == code:
                return c, fields
    failing = {i for i, _, _ in labels}
    non_terminal_ok = any(not p.terminal for i, p in enumerate(probes) if i not in failing)
    if non_terminal_ok and all(probes[i].terminal for i in failing):
        return ("model-terminal" if exercise == MODEL else "planning-terminal"), {}
    if any(not probes[i].terminal for i in failing):
        labels = [lab for lab in labels if not probes[lab[0]].terminal]
    explained = [(f["k"], f["options"]) for _, c, f in labels if c == "explain"]
    tally = _tally(c for _, c, _ in labels)
    order = list(msg.CATALOGUE)

    def rank(code):
        return (code in _LAST, -tally[code], order.index(code) if code in order else len(order))

    best = sorted(tally, key=rank)[0]
    if best == "explain":
        return _explain_code(explained)
    return best, next(f for _, c, f in labels if c == best)


def diagnose(exercise: str, probes, outcomes, fn_name: str | None = None, reference_outcomes=None,
             level: str = "hidden") -> Verdict:
    """The verdict on a student's function from its recorded calls (and the reference's, if given)."""
    fn_name = fn_name or exercise
    if exercise in (PLUS_REWARD, PUSH, GREEDY):  # the bonus exercises of Section 6
        return diagnose_further(exercise, probes, outcomes, fn_name, reference_outcomes, level)
    labels = []
    for i, (probe, rec) in enumerate(zip(probes, outcomes)):
        problem = _call_problem(exercise, probe, rec)
        if problem is None:
            problem = _model_case(probe, rec["out"]) if exercise == MODEL else _planning_case(probe, rec)
        if problem is None and reference_outcomes is not None and probe.kind in ("update", "fixed"):
            ref = reference_outcomes[i]["out"]
            if ref is not None and not _close(rec["out"], ref):
                problem = ("model-wrong" if exercise == MODEL else "planning-wrong", {})
        if problem is not None:
            labels.append((i, problem[0], problem[1]))
    if not labels:
        return msg.passed(fn_name, level)
    code, fields = _pool(exercise, labels, probes)
    return msg.failed(code, fn=fn_name, **fields)


def check_reference(exercise: str, probes, reference_outcomes) -> Verdict:
    """The reference solution must pass the checks it backs; anything else is a grader error."""
    verdict = diagnose(exercise, probes, reference_outcomes, "the reference solution")
    if verdict.passed:
        return verdict
    return msg.failed("grader-error", fn=exercise, detail=f"the reference solution fails the checks: "
                                                          f"{verdict.message}")
