"""Exercise 6a, ``dyna_q_plus_reward(reward, tau, kappa)``: its probes and its diagnosis.

Probes: single numbers (Python floats and ints, NumPy scalars) and arrays
(1-D, and the (100, 4) shape of the model's tables, tau as integers or
floats). The exercise asks for a function that works on both. tau = 0 and 1,
kappa = 0 and 1 appear, but never only those (so that kappa * tau, kappa ** 2,
... are told apart from the right bonus).

Diagnosis: the bonus reward is deterministic, so each probe has one right
outcome. For each failing probe it works out which single, common mistake (a
"variant" of the right computation: kappa * tau instead of kappa * sqrt(tau),
the bonus subtracted, ...) reproduces exactly what the student's function did;
the mistake that explains (nearly) every failing probe is the verdict
(``diagnose.best_explanation``), else the generic message. A function that works
on single numbers but raises on arrays gets its own message.
"""

from __future__ import annotations

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import any, dict, float, isinstance, set, tuple
from dataclasses import dataclass

import numpy as np

from dynaq_course.checks import messages as msg
from dynaq_course.checks.diagnose import best_explanation, close, first_of, same, unlike_reference, verdict_from_cases
from dynaq_course.checks.probes import N_ACTIONS, N_STATES, Probe, record_array

NAME = "dyna_q_plus_reward"
_array, _sqrt = np.array, np.sqrt  # bound at import: a student's cell may patch numpy later in the same kernel
_HARDCODED_KAPPAS = (1e-3, 1e-4, 1e-2, 0.1, 0.5, 1.0)
_FIRST = ("not-implemented", "uses-outside-name", "plus-returns-none", "plus-modifies-input", "plus-wrong-shape")
# Preferred first when two explanations fit equally many probes.
_PREFERENCE = (
    "plus-reward-missing",
    "plus-minus",
    "plus-linear-tau",
    "plus-sqrt-of-product",
    "plus-kappa-squared",
    "plus-sqrt-on-kappa",
    "plus-tau-plus-one",
    "plus-times-reward",
    "plus-hardcoded-kappa",
)


@dataclass
class RewardProbe(Probe):
    reward: object  # a number or an array
    tau: object
    kappa: float

    def args(self):
        if self.kind == "array":
            return (np.array(self.reward, copy=True), np.array(self.tau, copy=True), self.kappa)
        return (self.reward, self.tau, self.kappa)

    def describe(self) -> str:
        if self.kind == "array":
            r, t = np.asarray(self.reward), np.asarray(self.tau)
            return f"arrays: reward of shape {r.shape}, tau of shape {t.shape} (dtype {t.dtype}), kappa={self.kappa:g}"
        return f"reward={self.reward!r}, tau={self.tau!r}, kappa={self.kappa!r}"


# ------------------------------------------------------------------ probes


def _reward_probe(level, reward, tau, kappa) -> RewardProbe:
    kind = "array" if isinstance(reward, np.ndarray) else "scalar"
    return RewardProbe(NAME, level, kind, reward, tau, kappa)


def probes(level: str) -> list[RewardProbe]:
    probes = [
        _reward_probe("visible", 0.0, 4.0, 0.5),
        _reward_probe("visible", -1.0, 0.0, 0.1),
        _reward_probe("visible", 1.0, 9.0, 0.01),
        _reward_probe("visible", np.array([0.0, 1.0, -1.0, 0.0]), np.array([1.0, 9.0, 100.0, 0.0]), 0.3),
        _reward_probe(
            "visible",
            np.zeros((N_STATES, N_ACTIONS)),
            np.arange(N_STATES * N_ACTIONS).reshape(N_STATES, N_ACTIONS),
            0.02,
        ),
    ]
    if level == "visible":
        return probes
    rng = np.random.default_rng(606)
    scalars = [
        (0.0, 16.0, 0.25),
        (1.0, 0.0, 2.0),
        (-1.0, 3.0, 0.7),
        (0.5, 10_000.0, 0.001),
        (0.0, 7, 1.0),
        (2, 5, 3),
        (np.float64(-0.3), np.float64(2.5), 0.4),
        (0.0, 1.0, 0.6),
        (1.0, 50.0, 0.0),
        (-2.0, 0.25, 1.5),
        (0.0, np.int64(12), 0.05),
    ]
    probes += [_reward_probe("hidden", r, t, k) for r, t, k in scalars]
    for shape, kappa, integer in [
        ((6,), 0.2, False),
        ((N_STATES, N_ACTIONS), 0.05, True),
        ((3, 5), 1.0, False),
        ((8,), 0.0, True),
        ((N_STATES, N_ACTIONS), 0.9, False),
    ]:
        reward = rng.choice([-1.0, 0.0, 1.0, 0.5], size=shape)
        tau = rng.integers(0, 500, size=shape)
        tau = tau if integer else tau * rng.uniform(0.5, 1.5, size=shape)
        probes.append(_reward_probe("hidden", reward, tau, kappa))
    return probes


def record(probe, args, result, rec: dict) -> dict:
    """What one call returned, and the arrays it was given after it (it must not change them)."""
    if probe.kind == "array":
        rec["arrays"]["reward_after"] = np.array(args[0], dtype=float, copy=True)
        rec["arrays"]["tau_after"] = np.array(args[1], dtype=float, copy=True)
    return record_array(result, rec)


# ------------------------------------------------------------------ diagnosis


def _reward_variants(r, t, k):
    """[(code, result)]: the right bonus reward first, then one common mistake each."""
    r, t, k = _array(r, dtype=float), _array(t, dtype=float), float(k)
    out = [
        (None, r + k * _sqrt(t)),
        ("plus-reward-missing", k * _sqrt(t)),
        ("plus-minus", r - k * _sqrt(t)),
        ("plus-linear-tau", r + k * t),
        ("plus-sqrt-of-product", r + _sqrt(k * t)),
        ("plus-kappa-squared", r + k**2 * _sqrt(t)),
        ("plus-kappa-squared", r + k**2 * t),
        ("plus-sqrt-on-kappa", r + _sqrt(k) * t),
        ("plus-tau-plus-one", r + k * _sqrt(t + 1)),
        ("plus-times-reward", r * k * _sqrt(t)),
    ]
    out += [("plus-hardcoded-kappa", r + c * _sqrt(t)) for c in _HARDCODED_KAPPAS if c != k]
    return out


def _reward_case(probe, rec):
    """None if right; else (code, fields), or ("explain", {"options": set of codes})."""
    if probe.kind == "array":
        after = rec.get("arrays", {})
        if not (same(after.get("reward_after"), probe.reward) and same(after.get("tau_after"), probe.tau)):
            return ("plus-modifies-input", {})
    out = rec["out"]
    expected_shape = np.shape(probe.reward)
    if (probe.kind == "array" and out.shape != expected_shape) or (probe.kind == "scalar" and out.size != 1):
        return ("plus-wrong-shape", {"shape": tuple(out.shape), "case": probe.describe()})
    out = out.reshape(expected_shape)
    variants = _reward_variants(probe.reward, probe.tau, probe.kappa)
    if close(out, variants[0][1]):
        return None
    options = set(code for code, result in variants[1:] if close(out, result))
    return ("explain", {"options": options, "case": probe.describe()})


def _call_problem(probe, rec):
    if rec["returned"] == "error":
        return msg.exception_problem(probe, rec)
    if rec["returned"] == "none":
        return ("plus-returns-none", {})
    if rec["returned"] == "not-array":
        return ("plus-wrong-shape", {"shape": f"(not an array: {rec['etype']})", "case": probe.describe()})
    return None


def _pool(labels, probes):
    found = first_of(labels, _FIRST)
    if found:
        return found
    failing = {i for i, _, _ in labels}
    scalars_ok = any(p.kind == "scalar" for p in probes) and not any(probes[i].kind == "scalar" for i in failing)
    crashes = [f for i, c, f in labels if c == "crash" and probes[i].kind == "array"]
    if scalars_ok and crashes:
        return "plus-scalars-only", {"what": f"raised {crashes[0]['etype']}: {crashes[0]['evalue'][:120]}"}
    return first_of(labels, ("crash",)) or best_explanation(labels, _PREFERENCE, "plus-wrong")


def diagnose(probes, outcomes, fn_name: str, reference_outcomes=None, level: str = "hidden"):
    """The verdict on a student's bonus reward from its recorded calls (and the reference's, if given)."""

    def label(i, probe, rec):
        return (
            _call_problem(probe, rec) or _reward_case(probe, rec) or unlike_reference(reference_outcomes, i, probe, rec)
        )

    return verdict_from_cases(probes, outcomes, fn_name, level, label, _pool)
