"""Exercise 6b, ``bonus_greedy_action(value_row, tau_row, kappa)``: its probes and its diagnosis.

Probes: rows of four action values (positive, negative, all negative, equal)
with four tau (float arrays, as the learner's loop passes them, and integer
arrays), kappa from 0 to 1.5. Some cases have exact ties (equal values, or a
value gap that a bonus closes exactly, up to the last bit of rounding), where
any of the tied actions is right; no other score of the right rule or of a
mistake the diagnosis names lies near the largest one (see
``greedy_near_tie``). Each case is called several times (``GREEDY_REPEATS``),
each call with its own seed, so a function that makes random moves shows it;
the calls of one case share ``group``.

Diagnosis: each case has one right SET of outcomes (the actions whose score
ties the largest within a relative 1e-9, so that float rounding in the last
bit does not matter), and so has each mistake named for it; the verdict is the
one mistake consistent with EVERY call (see ``diagnose``). The messages
(``messages.CATALOGUE``) say what went wrong in terms of the lesson, never the
expected action.
"""

from __future__ import annotations

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import abs, all, any, bool, float, int, len, max, min, range, repr, set
from dataclasses import dataclass

import numpy as np

from dynaq_course.checks import messages as msg
from dynaq_course.checks.diagnose import close, same
from dynaq_course.checks.probes import Probe
from dynaq_course.world import returned_action as _returned_action

NAME = "bonus_greedy_action"
_asarray, _sqrt, _array, _abs, _flatnonzero = np.asarray, np.sqrt, np.array, np.abs, np.flatnonzero  # bound now
_TIE = 1e-9  # relative: scores this close to the largest one tie it (see NEAR_TIE)


@dataclass
class GreedyProbe(Probe):
    value: np.ndarray  # value_row
    tau: np.ndarray  # tau_row
    kappa: float
    group: int  # the calls of one case share it

    def args(self):
        return (np.array(self.value, copy=True), np.array(self.tau, copy=True), self.kappa)

    def describe(self) -> str:
        return (
            f"value_row={_numbers(self.value)}, tau_row={_numbers(self.tau)}"
            f"{' (integers)' if np.asarray(self.tau).dtype.kind in 'iu' else ''}, kappa={self.kappa:g}"
        )


def _numbers(row) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in np.asarray(row).tolist()) + "]"


# ------------------------------------------------------------------ probes

GREEDY_REPEATS = {"visible": 3, "hidden": 4}  # calls per case (each call has its own seed)
GREEDY_KAPPAS = (0.0, 0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.7, 1.5)
NEAR_TIE = (1e-12, 1e-4)  # relative to the largest score: closer ties it; up to the second, none (np.isclose)


def greedy_scores(value, tau, kappa, rule: str = "right") -> np.ndarray:
    """The four scores of one way of choosing: the right one, Q + kappa * sqrt(tau), or a common mistake."""
    q, t, k = _asarray(value, dtype=float), _asarray(tau, dtype=float), float(kappa)
    rules = {
        "right": lambda: q + k * _sqrt(t),
        "no-bonus": lambda: q,
        "bonus-only": lambda: k * _sqrt(t),
        "minus": lambda: q - k * _sqrt(t),
        "argmin": lambda: -(q + k * _sqrt(t)),
        "linear-tau": lambda: q + k * t,
        "sqrt-of-product": lambda: q + _sqrt(k * t),
        "kappa-squared": lambda: q + k**2 * _sqrt(t),
        "sqrt-on-kappa": lambda: q + _sqrt(k) * t,
        "tau-plus-one": lambda: q + k * _sqrt(t + 1),
    }
    return rules[rule]()


GREEDY_HARDCODED_KAPPAS = (1e-3, 1e-4, 1e-2, 0.05, 0.1, 0.5, 1.0)  # fixed kappas a function might use
GREEDY_RULES = (
    "right",
    "no-bonus",
    "bonus-only",
    "minus",
    "argmin",
    "linear-tau",
    "sqrt-of-product",
    "kappa-squared",
    "sqrt-on-kappa",
    "tau-plus-one",
)


def greedy_near_tie(scores) -> bool:
    """True when a score lies near the largest one without tying it (the case is left out)."""
    scores = _asarray(scores, dtype=float)
    best, scale = scores.max(), max(1.0, float(abs(scores).max()))
    gaps = best - scores
    return bool(((gaps > NEAR_TIE[0] * scale) & (gaps < NEAR_TIE[1] * scale)).any())


def _greedy_probes(level, cases, first_group) -> list[GreedyProbe]:
    probes = []
    for g, (value, tau, kappa) in enumerate(cases, start=first_group):
        value, tau = np.array(value, dtype=float), np.array(tau)
        scores = [greedy_scores(value, tau, kappa, rule) for rule in GREEDY_RULES]
        scores += [greedy_scores(value, tau, c) for c in GREEDY_HARDCODED_KAPPAS]
        if any(greedy_near_tie(s) for s in scores):
            raise ValueError(f"near tie in a bonus_greedy_action probe: {value}, {tau}, {kappa}")
        probes += [
            GreedyProbe(NAME, level, "greedy", value, tau, float(kappa), g) for _ in range(GREEDY_REPEATS[level])
        ]
    return probes


VISIBLE_GREEDY = [  # value_row, tau_row, kappa
    ([0.5, 0.2, 0.4, 0.1], [0.0, 100.0, 4.0, 1.0], 0.05),  # the bonus wins
    ([1.0, 0.6, 0.0, 0.2], [0.0, 9.0, 0.0, 1.0], 0.1),  # a bonus that does not win
    ([0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0], 0.1),  # all four tie
    ([0.2, 0.7, 0.7, 0.1], [0.0, 0.0, 0.0, 0.0], 0.5),  # two tie, no bonus anywhere
    ([-0.8, -0.3, -0.6, -1.0], [1.0, 0.0, 4.0, 9.0], 0.1),  # every score negative
    ([0.1, 0.3, 0.2, 0.0], [100.0, 0.0, 50.0, 400.0], 0.0),  # kappa = 0: no bonus
    ([0.3, 0.0, 0.25, 0.1], [0.0, 0.0, 1.0, 0.0], 0.1),  # an action tried on the last step gets no bonus
    ([0.3, 0.8, 0.5, -0.2], np.array([25, 0, 4, 100]), 0.1),  # integers; three tie once the bonus is added
    ([0.6, 0.5, 0.1, 0.0], [4.0, 0.0, 0.0, 0.0], 0.1),  # the bonus keeps the best action the best
    ([0.5, 0.2, 0.45, 0.0], [0.0, 4.0, 0.0, 1.0], 0.4),
    ([0.5, 0.0, 0.0, 0.1], [0.0, 1.0, 0.0, 0.0], 0.1),  # the value outweighs the bonus
    ([0.5, 0.2, 0.0, 0.0], [0.0, 2.0, 0.0, 1.0], 0.1),
    ([0.5, 0.4995, 0.2, 0.1], [0.0, 400.0, 0.0, 0.0], 0.001),  # a bonus of 0.02 tips the balance
    ([2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], 0.01),  # the value outweighs any bonus
    ([0.1, 0.2, 0.0, 0.15], [0.0, 0.0, 0.0, 9.0], 0.05),  # the last action wins
]


def _random_greedy_case(rng, style):
    """One random case: ``style`` "mixed", "negative" (every value below 0) or "close" (values near each other)."""
    kappa = float(rng.choice(GREEDY_KAPPAS[1:]))
    if style == "negative":
        value = -np.round(rng.uniform(0.05, 1.5, size=4), 3)
    elif style == "close":
        value = np.round(rng.normal(0.0, 0.05, size=4) + rng.normal(0, 1), 3)
    else:
        value = np.round(rng.normal(0.0, 0.6, size=4), 3)
    high = int(rng.choice([5, 30, 300, 3000]))
    tau = rng.integers(0, high, size=4)
    tau[rng.random(4) < 0.2] = 0
    return value, (tau if rng.random() < 0.3 else tau.astype(float)), kappa


def probes(level: str) -> list[GreedyProbe]:
    probes = _greedy_probes("visible", VISIBLE_GREEDY, 0)
    if level == "visible":
        return probes
    cases = [
        ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.01),  # a state never visited: all tie
        ([-1.0, -1.0, -0.2, -1.0], [0.0, 0.0, 0.0, 0.0], 0.3),  # negative, no bonus yet
        ([-0.5, -0.4, -0.9, -0.1], [400.0, 1.0, 0.0, 0.0], 0.01),  # every score negative, the best not action 0
        ([-0.6, -0.45, -0.2, -0.7], [16.0, 0.0, 1.0, 0.0], 0.05),
        ([0.25, 0.1, 0.1, 0.2], [0.0, 1.0, 0.0, 0.0], 0.2),  # tau + 1 would change the choice
        ([0.05, 0.0, 0.02, 0.035], [0.0, 0.0, 0.0, 1.0], 0.02),
        ([0.9, 0.7, 0.85, 0.0], [0.0, 4.0, 0.0, 0.0], 0.15),
        ([1.0, 0.2, 0.5, 0.0], [0.0, 400.0, 100.0, 4.0], 0.05),  # 0.2 + 1.0 beats 1.0: the bonus wins
        ([1.0, 0.9, 0.3, 0.8], [0.0, 1.0, 3000.0, 36.0], 0.001),  # a tiny kappa
        ([0.0, 0.3, 0.1, 0.2], [2.0, 0.0, 1.0, 1.0], 1.5),  # a large kappa
        ([0.4, 0.1, 0.4, 0.3], np.array([9, 9, 9, 9]), 0.2),  # equal bonuses: the tie of the values stays
        ([0.7, 0.3, 0.5, 0.6], np.array([0, 16, 4, 1]), 0.1),  # 0.3 + 0.4 = 0.7: a tie made by the bonus
        ([0.1, 0.3, 0.0, -0.1], [4.0, 0.0, 1.0, 0.0], 0.1),  # 0.1 + 0.2 ties 0.3 up to the last bit
    ]
    rng = np.random.default_rng(8404)
    styles = ["mixed", "negative", "close"] * 8
    for style in styles:
        for _ in range(100):
            case = _random_greedy_case(rng, style)
            try:
                _greedy_probes("hidden", [case], 0)
            except ValueError:
                continue
            cases.append(case)
            break
    return probes + _greedy_probes("hidden", cases, len(VISIBLE_GREEDY))


def record(probe, args, result, rec: dict) -> dict:
    """The action one call returned (or what came back instead), and the rows it was given after it."""
    rec["arrays"]["value_after"] = np.array(args[0], dtype=float, copy=True)
    rec["arrays"]["tau_after"] = np.array(args[1], dtype=float, copy=True)
    return _record_action(result, rec)


def _record_action(result, record: dict) -> dict:
    """An action or what came back instead.

    An action is what ``world.returned_action`` accepts (so does the Dyna-Q loop
    ``dyna_plus.learn_dyna_q_action_bonus``): an integer 0-3, not a bool, or a NumPy
    array holding one; a float (even 2.0), a bool or several numbers are not.
    """
    if result is None:
        record["returned"] = "none"
        return record
    action = _returned_action(result)
    if action is not None:
        record["out"] = np.array(action, dtype=float)
        return record
    record.update(returned="not-action", etype=type(result).__name__, evalue=_short(result))
    try:
        record["out"] = np.array(result, dtype=float, copy=True)
    except Exception:  # noqa: BLE001 - nothing numeric came back
        pass
    return record


def _short(result) -> str:
    try:
        text = repr(result)
    except Exception:  # noqa: BLE001 - a repr that raises
        text = "?"
    return " ".join(text.split())[:60]


# ------------------------------------------------------------------ diagnosis


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
    out += [
        (f"greedy-{name}", name, _ties(greedy_scores(v, t, k, rule)))
        for name, rule in (
            ("bonus-ignored", "no-bonus"),
            ("value-missing", "bonus-only"),
            ("minus", "minus"),
            ("argmin", "argmin"),
            ("linear-tau", "linear-tau"),
            ("sqrt-of-product", "sqrt-of-product"),
            ("kappa-squared", "kappa-squared"),
            ("sqrt-on-kappa", "sqrt-on-kappa"),
            ("tau-plus-one", "tau-plus-one"),
        )
    ]
    out += [("greedy-hardcoded-kappa", f"kappa={c:g}", _ties(greedy_scores(v, t, c))) for c in GREEDY_HARDCODED_KAPPAS]
    best, tol = right.max(), _tol(right)  # a search that starts from action 0 with a best score of 0 (> or >=)
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
            return out.shape == right.shape and close(out, right)
        return out.size == 1 and close(out.reshape(()), right.max())

    if all(score_like(i, f, False) for i, f in bad):
        return "greedy-returns-score", {}
    if all(score_like(i, f, True) for i, f in bad):
        return "greedy-returns-scores", {}
    i, f = bad[0]
    return "greedy-not-an-action", {"what": _not_an_action(f), "case": probes[i].describe()}


_GREEDY_FIRST = ("not-implemented", "uses-outside-name", "greedy-modifies-input", "greedy-returns-none")


def diagnose(probes, outcomes, fn_name: str, reference_outcomes=None, level: str = "hidden"):
    """The verdict on a student's ``bonus_greedy_action`` from its recorded calls (and the reference's, if given).

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
        elif not (same(after.get("value_after"), probe.value) and same(after.get("tau_after"), probe.tau)):
            labels.append((i, "greedy-modifies-input", {}))
        elif rec["returned"] == "none":
            labels.append((i, "greedy-returns-none", {"case": probe.describe()}))
        elif rec["returned"] == "not-action":
            out = rec["out"]
            labels.append(
                (
                    i,
                    "not-action",
                    {
                        "etype": rec["etype"],
                        "evalue": rec["evalue"],
                        "out": None if out is None else _array(out, dtype=float),
                    },
                )
            )
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
        return msg.failed(c, fn=fn_name, **fields)  # a crash
    variants = [_greedy_variants(p) for p in probes]
    wrong = [i for i in range(len(probes)) if actions[i] not in variants[i][0][2]]
    if reference_outcomes is not None:  # the reference's action must not score higher than the student's
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
