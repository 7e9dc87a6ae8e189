"""Diagnose the bonus exercises of Section 6 from recorded calls (see ``further_probes``).

Both exercises are deterministic, so each probe has one right outcome; what this
module adds is the explanation of a wrong one. For each failing probe it works
out which single, common mistake reproduces exactly what the student's
function did (a "variant" of the right computation: kappa * tau instead of
kappa * sqrt(tau), no absolute value, the pair pushed as (action, state),
...), or, for the queue, which kind of wrong pair was pushed (successors,
other actions of a predecessor state, never-tried or episode-ending pairs).
The mistake that explains the most failing probes is the verdict; a failure no
mistake explains gets the generic message. The messages (``messages.CATALOGUE``)
say what went wrong in terms of the lesson, never the expected numbers.

Builtins and numpy helpers are bound at import time, as in ``diagnose``.
"""
from __future__ import annotations

import re
from builtins import abs, all, any, bool, dict, float, int, len, list, max, range, set, sorted, str, \
    tuple, zip  # noqa: A004 - bound now
import numpy as np

from . import messages as msg
from .messages import PLUS_REWARD, PUSH

_isnan, _array, _sqrt, _inf = np.isnan, np.array, np.sqrt, np.inf
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
