"""Diagnose the bonus exercises of Section 6 from recorded calls (see ``further_probes``).

The bonus reward and the predecessor step are deterministic, so each probe has
one right outcome; the greedy action with the bonus (``bonus_greedy_action``)
has one right SET of outcomes (the actions whose score ties the largest within
a relative 1e-9, so that float rounding in the last bit does not matter), and
so has each mistake named for it. What this module adds is the explanation of
a wrong outcome. For the bonus reward and the predecessor step, for each
failing probe it works out which single, common mistake reproduces exactly
what the student's function did (a "variant" of the right computation: kappa *
tau instead of kappa * sqrt(tau), no absolute value, the pair pushed as
(action, state), ...), or, for the queue, which kind of wrong pair was pushed
(successors, other actions of a predecessor state, never-tried or
episode-ending pairs). The mistake that explains the most failing probes is
the verdict; a failure no mistake explains gets the generic message. For the
greedy action, the verdict is the one mistake consistent with EVERY call (see
``_greedy_verdict``). The messages (``messages.CATALOGUE``)
say what went wrong in terms of the lesson, never the expected numbers.

Builtins and numpy helpers are bound at import time, as in ``diagnose``.
"""
from __future__ import annotations

import re
from builtins import abs, all, any, bool, dict, float, int, len, list, max, range, set, sorted, str, \
    tuple, zip  # noqa: A004 - bound now
import numpy as np

from dynaq_course.checks import messages as msg
from dynaq_course.checks.further_probes import GREEDY_HARDCODED_KAPPAS, greedy_scores
from dynaq_course.checks.messages import GREEDY, PLUS_REWARD, PUSH

_isnan, _array, _sqrt, _inf, _abs, _flatnonzero = np.isnan, np.array, np.sqrt, np.inf, np.abs, np.flatnonzero
_TIE = 1e-9   # relative: scores this close to the largest one tie it (see further_probes.NEAR_TIE)
_RTOL, _ATOL = 1e-9, 1e-12
_HARDCODED_KAPPAS = (1e-3, 1e-4, 1e-2, 0.1, 0.5, 1.0)
_HARDCODED_THETAS = (0.0, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.2, 0.5, 1.0)
_HARDCODED_GAMMAS = (0.9, 0.95, 0.99, 0.8, 0.5)


def _close(a, b) -> bool:
    a, b = _array(a, dtype=float), _array(b, dtype=float)
    if a.shape != b.shape:
        return False
    both_nan = _isnan(a) & _isnan(b)
    return bool((both_nan | (np.abs(a - b) <= _ATOL + _RTOL * np.abs(b))).all())


def _same(a, b) -> bool:
    a, b = _array(a, dtype=float), _array(b, dtype=float)
    return a.shape == b.shape and bool(((a == b) | (_isnan(a) & _isnan(b))).all())


# ------------------------------------------------------------------ Dyna-Q+ bonus reward

def _reward_variants(r, t, k):
    """[(code, result)]: the right bonus reward first, then one common mistake each."""
    r, t, k = _array(r, dtype=float), _array(t, dtype=float), float(k)
    out = [(None, r + k * _sqrt(t)),
           ("plus-reward-missing", k * _sqrt(t)),
           ("plus-minus", r - k * _sqrt(t)),
           ("plus-linear-tau", r + k * t),
           ("plus-sqrt-of-product", r + _sqrt(k * t)),
           ("plus-kappa-squared", r + k ** 2 * _sqrt(t)),
           ("plus-kappa-squared", r + k ** 2 * t),
           ("plus-sqrt-on-kappa", r + _sqrt(k) * t),
           ("plus-tau-plus-one", r + k * _sqrt(t + 1)),
           ("plus-times-reward", r * k * _sqrt(t))]
    out += [("plus-hardcoded-kappa", r + c * _sqrt(t)) for c in _HARDCODED_KAPPAS if c != k]
    return out


def _reward_case(probe, rec):
    """None if right; else (code, fields), or ("explain", {"options": set of codes})."""
    if probe.kind == "array":
        after = rec.get("arrays", {})
        if not (_same(after.get("reward_after"), probe.reward) and _same(after.get("tau_after"), probe.tau)):
            return ("plus-modifies-input", {})
    out = rec["out"]
    expected_shape = np.shape(probe.reward)
    if (probe.kind == "array" and out.shape != expected_shape) or (probe.kind == "scalar" and out.size != 1):
        return ("plus-wrong-shape", {"shape": tuple(out.shape), "case": probe.describe()})
    out = out.reshape(expected_shape)
    variants = _reward_variants(probe.reward, probe.tau, probe.kappa)
    if _close(out, variants[0][1]):
        return None
    options = set(code for code, result in variants[1:] if _close(out, result))
    return ("explain", {"options": options, "case": probe.describe()})


# ------------------------------------------------------------------ prioritized sweeping: predecessors

def _pushes(probe, candidates="pred", order="sa", signed=None, theta=None, target="max", gamma=None,
            reward=True, other="pair"):
    """What the queue holds after one variant of the predecessor step: {(s, a): priority}."""
    model, value, state = probe.model, probe.value, probe.state
    gamma = probe.params["gamma"] if gamma is None else gamma
    theta = probe.params["theta"] if theta is None else theta
    if candidates == "unseen":          # np.nan_to_num(model): NaN next states (and rewards) become 0
        model = np.nan_to_num(model, nan=0.0)
    elif candidates == "terminal":      # only the next-state column: episode-ending pairs lead to state 0
        model = model.copy()
        seen = ~_isnan(model[:, :, 0])
        model[seen & _isnan(model[:, :, 1]), 1] = 0.0
    items = dict(probe.queued)
    best_next = value[state].max()
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        s_bar, a_bar = int(s_bar), int(a_bar)
        r_bar = model[s_bar, a_bar, 0] if reward else 0.0
        boot = value[state, a_bar] if target == "no-max" else best_next
        own = value[s_bar].max() if other == "max" else value[s_bar, a_bar]
        delta = r_bar + gamma * boot - own
        priority = delta if signed else abs(delta)
        passes = (abs(delta) if signed == "abs-threshold" else priority) > theta
        if passes:
            pair = (a_bar, s_bar) if order == "as" else (s_bar, a_bar)
            if pair not in items or priority > items[pair]:
                items[pair] = float(priority)
    return items


def _successor_pushes(probe):
    """The pairs leaving ``state`` pushed instead, each with its own prediction error."""
    model, value, state, gamma = probe.model, probe.value, probe.state, probe.params["gamma"]
    items = dict(probe.queued)
    for a in range(model.shape[1]):
        next_state = model[state, a, 1]
        if _isnan(next_state):
            continue
        priority = abs(model[state, a, 0] + gamma * value[int(next_state)].max() - value[state, a])
        if priority > probe.params["theta"] and ((state, a) not in items or priority > items[(state, a)]):
            items[(state, a)] = float(priority)
    return items


def _push_variants(probe):
    """[(code, items)]: the right queue first, then one common mistake each."""
    theta, gamma = probe.params["theta"], probe.params["gamma"]
    out = [(None, _pushes(probe)),
           ("push-nothing", dict(probe.queued)),
           ("push-no-abs", _pushes(probe, signed="threshold")),
           ("push-no-abs", _pushes(probe, signed="abs-threshold")),
           ("push-ignores-theta", _pushes(probe, theta=-_inf)),
           ("push-ignores-theta", _pushes(probe, theta=0.0)),
           ("push-no-max", _pushes(probe, target="no-max")),
           ("push-max-of-predecessor", _pushes(probe, other="max")),
           ("push-no-gamma", _pushes(probe, gamma=1.0)),
           ("push-reward-missing", _pushes(probe, reward=False)),
           ("push-pair-swapped", _pushes(probe, order="as")),
           ("push-successors", _successor_pushes(probe)),
           ("push-unseen-pairs", _pushes(probe, candidates="unseen")),
           ("push-terminal-pairs", _pushes(probe, candidates="terminal"))]
    out += [("push-hardcoded-theta", _pushes(probe, theta=c)) for c in _HARDCODED_THETAS if c != theta and c > 0]
    out += [("push-hardcoded-gamma", _pushes(probe, gamma=c)) for c in _HARDCODED_GAMMAS if c != gamma]
    return out


def _items(array) -> dict:
    return {(int(s), int(a)): float(p) for s, a, p in _array(array, dtype=float).reshape(-1, 3)}


def _same_items(got: dict, expected: dict) -> bool:
    return set(got) == set(expected) and all(_close(got[pair], expected[pair]) for pair in got)


def _wrong_pairs(probe, got: dict, right: dict):
    """A code for the kind of pair pushed that should not have been, or None."""
    pushed = {pair for pair, p in got.items() if pair not in probe.queued or p != probe.queued[pair]}
    extra = pushed - set(right)
    model, state = probe.model, probe.state
    preds = {(int(s), int(a)) for s, a in np.argwhere(model[:, :, 1] == state)}
    if pushed and all(s == state for s, _ in pushed) and any(s != state for s, _ in set(right) - pushed):
        return "push-successors"   # only pairs leaving state (self-loops among them may be right)
    if not extra:
        return None
    if all((a, s) in preds for s, a in extra):
        return "push-pair-swapped"
    if all(s == state for s, _ in extra):
        return "push-successors"
    if all(s in {p[0] for p in preds} for s, _ in extra):
        return "push-all-actions"
    in_range = [(s, a) for s, a in extra if 0 <= s < model.shape[0] and 0 <= a < model.shape[1]]
    if len(in_range) == len(extra):
        if any(_isnan(model[s, a, 0]) for s, a in extra):
            return "push-unseen-pairs"
        if any(_isnan(model[s, a, 1]) for s, a in extra):
            return "push-terminal-pairs"
    return None


def _push_case(probe, rec):
    after = rec.get("arrays", {})
    if not (_same(after.get("model_after"), probe.model) and _same(after.get("value_after"), probe.value)):
        return ("push-modifies-inputs", {})
    got = _items(rec["out"])
    if rec["returned"] == "other-queue" and any(pair not in got for pair in probe.queued):
        return ("push-new-queue", {})
    variants = _push_variants(probe)
    right = variants[0][1]
    if _same_items(got, right):
        return None
    options = set(code for code, items in variants[1:] if _same_items(got, items))
    if not options:
        kind = _wrong_pairs(probe, got, right)
        if kind:
            options = {kind}
        elif set(got) == set(right):
            options = {"push-wrong-priority"}
    return ("explain", {"options": options, "case": probe.describe()})


# ------------------------------------------------------------------ the bonus in action selection

def _tol(scores) -> float:
    return _TIE * max(1.0, float(_abs(scores).max()))


def _ties(scores) -> set:
    """The actions whose score ties the largest one (within a relative 1e-9)."""
    scores = _array(scores, dtype=float)
    return set(int(a) for a in _flatnonzero(scores >= scores.max() - _tol(scores)))


def _greedy_variants(probe):
    """[(code, key, set of actions)]: the right choice first, then one common mistake each."""
    v, t, k = probe.value, probe.tau, probe.kappa
    right = greedy_scores(v, t, k)
    out = [(None, "right", _ties(right))]
    out += [(f"greedy-{name}", name, _ties(greedy_scores(v, t, k, rule))) for name, rule in (
        ("bonus-ignored", "no-bonus"), ("value-missing", "bonus-only"), ("minus", "minus"), ("argmin", "argmin"),
        ("linear-tau", "linear-tau"), ("sqrt-of-product", "sqrt-of-product"), ("kappa-squared", "kappa-squared"),
        ("sqrt-on-kappa", "sqrt-on-kappa"), ("tau-plus-one", "tau-plus-one"))]
    out += [("greedy-hardcoded-kappa", f"kappa={c:g}", _ties(greedy_scores(v, t, c)))
            for c in GREEDY_HARDCODED_KAPPAS]
    best, tol = right.max(), _tol(right)   # a search that starts from action 0 with a best score of 0 (> or >=)
    zero = {0} if best < -tol else out[0][2] if best > tol else out[0][2] | {0}
    out.append(("greedy-initial-best-zero", "zero", zero))
    return out


def _not_an_action(fields) -> str:
    """What came back instead of an action, in words (never the expected action)."""
    etype, evalue, out = fields["etype"], fields["evalue"], fields["out"]
    if etype in ("bool", "bool_"):
        return f"{evalue} (a bool)"
    if "float" in etype or etype == "longdouble":
        return f"{evalue} (a float)"
    if etype == "ndarray":
        return f"{evalue} (an array" + (f" of shape {tuple(out.shape)})" if out is not None else ")")
    if out is not None and out.shape == () and float(out).is_integer():
        return f"{evalue} (not one of the actions 0-3)"
    return f"{evalue} (a {etype})"


def _not_action_code(probes, bad):
    """The named mistake of calls that returned something other than an action, with its fields."""
    def score_like(i, f, full):
        out, right = f["out"], greedy_scores(probes[i].value, probes[i].tau, probes[i].kappa)
        if out is None or f["etype"] in ("bool", "bool_"):
            return False
        if full:
            return out.shape == right.shape and _close(out, right)
        return out.size == 1 and _close(out.reshape(()), right.max())
    if all(score_like(i, f, False) for i, f in bad):
        return "greedy-returns-score", {}
    if all(score_like(i, f, True) for i, f in bad):
        return "greedy-returns-scores", {}
    i, f = bad[0]
    return "greedy-not-an-action", {"what": _not_an_action(f), "case": probes[i].describe()}


_GREEDY_FIRST = ("not-implemented", "uses-outside-name", "greedy-modifies-input", "greedy-returns-none")


def _greedy_verdict(probes, outcomes, fn_name, reference_outcomes, level):
    """The verdict on ``bonus_greedy_action``.

    In this order: a call that raised, changed its inputs or returned None; calls that
    returned something other than an action (the best score, all four scores, a float, ...);
    then, when every call returned an action, right if each is among the tied best of its
    case. Otherwise the one named mistake whose tied best actions contain the student's
    action in EVERY call (the cases tell each two apart, see tests/test_grading_corpus.py);
    else random moves (the calls of one case disagree beyond any one way's ties); else the
    generic message.
    """
    labels, actions = [], {}
    for i, (probe, rec) in enumerate(zip(probes, outcomes)):
        after = rec.get("arrays", {})
        if rec["returned"] == "error":
            labels.append((i, *msg.exception_problem(probe, rec)))
        elif not (_same(after.get("value_after"), probe.value) and _same(after.get("tau_after"), probe.tau)):
            labels.append((i, "greedy-modifies-input", {}))
        elif rec["returned"] == "none":
            labels.append((i, "greedy-returns-none", {"case": probe.describe()}))
        elif rec["returned"] == "not-action":
            out = rec["out"]
            labels.append((i, "not-action", {"etype": rec["etype"], "evalue": rec["evalue"],
                                             "out": None if out is None else _array(out, dtype=float)}))
        else:
            actions[i] = int(rec["out"])
    for code in _GREEDY_FIRST:
        for _, c, fields in labels:
            if c == code:
                return msg.failed(c, fn=fn_name, **fields)
    bad = [(i, f) for i, c, f in labels if c == "not-action"]
    if bad:
        code, fields = _not_action_code(probes, bad)
        return msg.failed(code, fn=fn_name, **fields)
    for _, c, fields in labels:
        return msg.failed(c, fn=fn_name, **fields)   # a crash
    variants = [_greedy_variants(p) for p in probes]
    wrong = [i for i in range(len(probes)) if actions[i] not in variants[i][0][2]]
    if reference_outcomes is not None:   # the reference's action must not score higher than the student's
        for i, probe in enumerate(probes):
            ref = reference_outcomes[i]["out"]
            if ref is not None and i not in wrong:
                scores = greedy_scores(probe.value, probe.tau, probe.kappa)
                if scores[actions[i]] < scores[int(ref)] - _tol(scores):
                    wrong.append(i)
    if not wrong:
        return msg.passed(fn_name, level)
    case = probes[min(wrong)].describe()
    for j, (code, key, _) in enumerate(variants[0]):
        if code and all(actions[i] in variants[i][j][2] for i in range(len(probes))):
            return msg.failed(code, fn=fn_name, case=case)
    groups = {}
    for i, probe in enumerate(probes):
        groups.setdefault(probe.group, []).append(i)
    for members in groups.values():
        chosen = {actions[i] for i in members}
        ties = [s for _, _, s in variants[members[0]]]
        if len(chosen) > 1 and not any(chosen <= s for s in ties):
            return msg.failed("greedy-explores", fn=fn_name, case=probes[members[0]].describe())
    return msg.failed("greedy-wrong", fn=fn_name, case=case)


# ------------------------------------------------------------------ pooling

_GLOBAL = ("not-implemented", "uses-outside-name", "plus-returns-none", "plus-modifies-input", "plus-wrong-shape",
           "push-returns-none", "push-not-queue", "push-modifies-inputs", "push-new-queue")
# Preferred first when two explanations fit equally many probes.
_PREFERENCE = ("plus-reward-missing", "plus-minus", "plus-linear-tau", "plus-sqrt-of-product", "plus-kappa-squared",
               "plus-sqrt-on-kappa", "plus-tau-plus-one", "plus-times-reward", "plus-hardcoded-kappa",
               "push-nothing", "push-pair-swapped", "push-successors", "push-all-actions", "push-unseen-pairs",
               "push-terminal-pairs", "push-ignores-theta", "push-hardcoded-theta", "push-no-abs", "push-no-max",
               "push-max-of-predecessor", "push-no-gamma", "push-hardcoded-gamma", "push-reward-missing",
               "push-wrong-priority")


_NEGATIVE_PRIORITY = re.compile(r"priority must be .*got (np\.float\d*\()?-")


def _call_problem(exercise, probe, rec):
    if rec["returned"] == "error":
        if exercise == PUSH and rec["etype"] == "ValueError" and _NEGATIVE_PRIORITY.search(rec["evalue"]):
            return ("explain", {"options": {"push-no-abs"}, "case": probe.describe()})  # the queue refused P < 0
        return msg.exception_problem(probe, rec)
    if rec["returned"] == "none":
        return ("plus-returns-none" if exercise == PLUS_REWARD else "push-returns-none", {})
    if rec["returned"] == "not-array":
        return ("plus-wrong-shape", {"shape": f"(not an array: {rec['etype']})", "case": probe.describe()})
    if rec["returned"] == "not-queue":
        return ("push-not-queue", {"what": rec["etype"]})
    return None


def _pool(exercise, labels, probes):
    for code in _GLOBAL:
        for _, c, fields in labels:
            if c == code:
                return c, fields
    if exercise == PLUS_REWARD:
        failing = {i for i, _, _ in labels}
        scalars_ok = any(p.kind == "scalar" for p in probes) and not any(
            probes[i].kind == "scalar" for i in failing)
        crashes = [f for i, c, f in labels if c == "crash" and probes[i].kind == "array"]
        if scalars_ok and crashes:
            return "plus-scalars-only", {"what": f"raised {crashes[0]['etype']}: {crashes[0]['evalue'][:120]}"}
    for _, c, fields in labels:
        if c == "crash":
            return c, fields
    explained = [f for _, c, f in labels if c == "explain"]
    fits = {code: sum(code in f["options"] for f in explained) for code in _PREFERENCE}
    best = sorted(_PREFERENCE, key=lambda code: (-fits[code], _PREFERENCE.index(code)))[0]
    if fits[best] > 0 and 4 * fits[best] >= 3 * len(explained):   # one mistake explains (nearly) every failure
        return best, {"case": explained[0]["case"]}
    return ("plus-wrong" if exercise == PLUS_REWARD else "push-wrong"), {"case": explained[0]["case"]}


def diagnose_further(exercise: str, probes, outcomes, fn_name: str, reference_outcomes=None,
                     level: str = "hidden"):
    """The verdict on a student's bonus exercise from its recorded calls (and the reference's, if given)."""
    if exercise == GREEDY:
        return _greedy_verdict(probes, outcomes, fn_name, reference_outcomes, level)
    case = _reward_case if exercise == PLUS_REWARD else _push_case
    labels = []
    for i, (probe, rec) in enumerate(zip(probes, outcomes)):
        problem = _call_problem(exercise, probe, rec) or case(probe, rec)
        if problem is None and reference_outcomes is not None:
            ref, out = reference_outcomes[i]["out"], rec["out"]
            if ref is not None and np.size(out) == np.size(ref):
                out = np.reshape(out, np.shape(ref))
            if ref is not None and not _close(out, ref):
                problem = ("explain", {"options": set(), "case": probe.describe()})
        if problem is not None:
            labels.append((i, problem[0], problem[1]))
    if not labels:
        return msg.passed(fn_name, level)
    code, fields = _pool(exercise, labels, probes)
    return msg.failed(code, fn=fn_name, **fields)
