"""Exercise 3, ``dyna_q_planning(model, value, params)``: its probes and its diagnosis.

Probes come in two kinds:

* ``fixed``: one remembered pair, so the outcome does not depend on how the
  student draws random numbers (k identical updates of that pair); "visible":
  the pair that reaches the goal with k = 0, 1, 3, and a few others; "hidden":
  varied k, alpha, gamma, end-of-episode transitions at the goal and elsewhere;
* ``spread``: 2-4 remembered pairs, gamma = 0 and a small alpha, so the number of
  times each pair was replayed can be read back from the values it ends with.

Diagnosis:

* One remembered pair: whatever the random draws, the result is k Q-learning
  updates of that pair. A failing case is explained by replaying the pair a
  different number of times, with other alpha/gamma, with reward and next state
  read the other way round, at [action, state], ...
* 2-4 remembered pairs: the counts must add up to k and every pair must get a
  fair share. The share is wide enough for both "uniform over pairs" and
  "uniform observed state, then an action taken there" (both match the
  algorithm box): each pair must get at least a third of the smaller of the two
  shares, a threshold a correct solution misses about once in 10^6 checks.

Per case labels are then pooled (``diagnose.pool_by_tally``): mistakes that
show wherever they happen (None returned, wrong shape, model changed) win;
failures seen only on end-of-episode cases become the "terminal" mistake;
otherwise the most frequent label wins, counting mistakes (k - 1, k + 1, one
update, fixed count) being recognised across cases (``_explain_code``).
"""

from __future__ import annotations

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import abs, all, any, dict, float, int, len, max, min, range, round, set, sorted, sum, tuple
from dataclasses import dataclass, field

import numpy as np

from dynaq_course.checks.diagnose import (
    array_call_problem,
    close,
    differs,
    pool_by_tally,
    same,
    tally,
    verdict_from_cases,
)
from dynaq_course.checks.model_update import remember
from dynaq_course.checks.probes import N_ACTIONS, N_STATES, Probe, empty_model, record_array
from dynaq_course.params import TUTORIAL_PARAMS
from dynaq_course.world import GOAL_STATE, QuentinsWorld

NAME = "dyna_q_planning"
SPREAD_ALPHA, SPREAD_K = 0.01, 400
SHARE_FRACTION = 1 / 3
_isnan, _log, _array, _argwhere = np.isnan, np.log, np.array, np.argwhere  # bound at import
_HARDCODED_ALPHAS = (0.5, 0.1, 0.2, 0.9, 1.0)
_HARDCODED_GAMMAS = (0.8, 0.9, 0.95, 0.99, 1.0, 0.0)
# Shown wherever they happen, before anything else; "crash" and "planning-wrong" only when nothing else is left.
_FIRST = (
    "not-implemented",
    "uses-outside-name",
    "planning-returns-none",
    "planning-wrong-shape",
    "planning-modifies-model",
)
_LAST = ("crash", "planning-wrong")


@dataclass
class PlanningProbe(Probe):
    model: np.ndarray
    value: np.ndarray
    params: dict = field(default_factory=dict)

    def args(self):
        return (self.model.copy(), self.value.copy(), dict(self.params))

    def describe(self) -> str:
        pairs = int((~_isnan(self.model[:, :, 0])).sum())
        p = self.params
        return (
            f"{pairs} remembered pair{'s' * (pairs != 1)}, k={p['k']}, alpha={p['alpha']:.3g}, gamma={p['gamma']:.3g}"
        )

    @property
    def terminal(self) -> bool:
        return bool(_isnan(self.model[:, :, 1][~_isnan(self.model[:, :, 0])]).any())


# ------------------------------------------------------------------ probes


def _fixed(level, state, action, reward, next_state, value, alpha, gamma, k, epsilon=0.05) -> PlanningProbe:
    model = empty_model()
    remember(model, state, action, reward, next_state)
    return PlanningProbe(
        NAME,
        level,
        "fixed",
        model,
        value=value,
        params={"epsilon": epsilon, "alpha": float(alpha), "gamma": float(gamma), "k": int(k)},
    )


def _spread(level, pairs, rng, k=SPREAD_K) -> PlanningProbe:
    """Several remembered pairs; gamma 0, small alpha: each pair's replay count shows in its value."""
    model = empty_model()
    value = rng.normal(size=(N_STATES, N_ACTIONS))
    for state, action, reward, next_state in pairs:
        remember(model, state, action, reward, next_state)
        value[state, action] = reward + 1.0
    return PlanningProbe(
        NAME,
        level,
        "spread",
        model,
        value=value,
        params={"epsilon": 0.05, "alpha": SPREAD_ALPHA, "gamma": 0.0, "k": int(k)},
    )


def probes(level: str) -> list[PlanningProbe]:
    rng = np.random.default_rng(7)
    ones = np.ones((N_STATES, N_ACTIONS))
    env = QuentinsWorld()
    probes = [
        # Visible: one remembered transition (stepping right from 98 reaches the goal), k = 0, 1, 3.
        _fixed("visible", 98, 0, 1.0, 99, ones.copy(), TUTORIAL_PARAMS["alpha"], TUTORIAL_PARAMS["gamma"], 0),
        _fixed("visible", 98, 0, 1.0, 99, ones.copy(), TUTORIAL_PARAMS["alpha"], TUTORIAL_PARAMS["gamma"], 1),
        _fixed("visible", 98, 0, 1.0, 99, ones.copy(), TUTORIAL_PARAMS["alpha"], TUTORIAL_PARAMS["gamma"], 3),
        _fixed("visible", 99, 2, 0.0, None, rng.normal(size=(N_STATES, N_ACTIONS)), 0.3, 0.9, 4),
        _fixed("visible", 54, 1, 0.0, 64, rng.normal(size=(N_STATES, N_ACTIONS)), 0.2, 0.6, 6),
        _fixed("visible", 1, 2, 0.0, 0, rng.normal(size=(N_STATES, N_ACTIONS)), 0.4, 0.7, 2),
        _spread("visible", [(54, 1, 0.0, 64), (54, 3, 0.0, 44), (64, 0, 0.0, 65)], rng),
    ]
    if level == "visible":
        return probes
    ks = [0, 1, 2, 3, 4, 5, 7, 9, 10, 12, 15, 20, 25, 2, 6, 11, 1, 8, 14, 3, 17, 5, 30, 10]
    for case, k in enumerate(ks):
        alpha = float(rng.uniform(0.05, 0.95))
        gamma = float(rng.uniform(0.0, 0.99))
        value = rng.normal(size=(N_STATES, N_ACTIONS))
        if case % 4 == 0:  # the goal: any move ends the episode
            state, action = GOAL_STATE, int(rng.integers(N_ACTIONS))
            next_state, reward = env.get_outcome(state, action)
        elif case % 4 == 1:  # an episode that ended elsewhere (e.g. a time limit)
            state, action = int(rng.integers(N_STATES - 1)), int(rng.integers(N_ACTIONS))
            next_state, reward = None, float(rng.choice([-1.0, 0.0, 1.0]))
        elif case % 4 == 2:  # small state numbers, reward 0/1: a swap stays in range
            state = int(rng.integers(0, N_ACTIONS))
            action = (state + 1 + int(rng.integers(0, 3))) % N_ACTIONS
            next_state, reward = int(rng.integers(2, N_STATES)), float(rng.choice([0.0, 1.0]))
        else:  # a step of Quentin's World
            state, action = int(rng.integers(N_STATES - 1)), int(rng.integers(N_ACTIONS))
            next_state, reward = env.get_outcome(state, action)
        probes.append(_fixed("hidden", state, action, float(reward), next_state, value, alpha, gamma, k))
    spread_pairs = [
        [(3, 0, 0.0, 4), (3, 1, 1.0, 13)],
        [(10, 0, -1.0, 11), (10, 1, 0.0, 20), (10, 2, 0.0, None), (47, 3, 1.0, 37)],
        [(99, 0, 0.0, None), (98, 0, 1.0, 99), (88, 1, 0.0, 98)],
        [(5, 2, 0.0, 4), (60, 1, -1.0, 70), (61, 0, 0.0, 62), (61, 3, 0.0, 51)],
    ]
    probes += [_spread("hidden", pairs, rng) for pairs in spread_pairs]
    return probes


def record(probe, args, result, rec: dict) -> dict:
    """What one call returned, and the model after it (planning must not change it; see ``probes.call_probe``)."""
    rec["model_after"] = np.array(args[0], dtype=float, copy=True)
    return record_array(result, rec)


def try_once(function) -> None:
    """One call on a small case (``load_exercise`` tells a stub, NotImplementedError, from a function that runs).

    The learner's random stream is left where it was.
    """
    model = empty_model()
    model[54, 1] = 0.0, 64
    state = np.random.get_state()
    try:
        function(model, np.ones((N_STATES, N_ACTIONS)), {**TUTORIAL_PARAMS, "k": 1})
    finally:
        np.random.set_state(state)


# ------------------------------------------------------------------ diagnosis


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
    ((s, a),) = _argwhere(~_isnan(probe.model[:, :, 0]))
    return int(s), int(a), float(probe.model[s, a, 0]), float(probe.model[s, a, 1])


def _swap_pattern(changed, observed) -> bool:
    """Every wrongly changed entry is (action, state) of a remembered (state, action)."""
    outside = [tuple(x) for x in _argwhere(changed & ~observed)]
    return bool(outside) and all(
        st < observed.shape[1] and ac < observed.shape[0] and observed[ac, st] for st, ac in outside
    )


def _fixed_case(probe, out):
    s, a, r, n = _single_pair(probe)
    p = probe.params
    alpha, gamma, k = float(p["alpha"]), float(p["gamma"]), int(p["k"])
    value = probe.value
    if close(out, _replayed(value, s, a, r, n, alpha, gamma, k)):
        return None
    changed = differs(out, value)
    observed = ~_isnan(probe.model[:, :, 0])
    if not changed.any():
        return ("explain", {"k": k, "options": {("count", 0)}})
    if (changed & ~observed).any():
        if _swap_pattern(changed, observed):
            return ("planning-state-action-swapped", {})
        return ("planning-unobserved", {})
    # Every way this case can be explained; pooled over cases by _explain_code.
    options = {
        ("count", times)
        for times, expected in _replays(value, s, a, r, n, alpha, gamma, max(k + 3, 120))
        if close(out, expected)
    }
    if any(
        close(out, _replayed(value, s, a, r, n, al, ga, k))
        for al in (alpha,) + _HARDCODED_ALPHAS
        for ga in (gamma,) + _HARDCODED_GAMMAS
        if (al, ga) != (alpha, gamma)
    ):
        options.add(("hardcoded",))
    if not _isnan(n) and r in (0.0, 1.0) and float(n).is_integer():
        if close(out, _replayed(value, s, a, n, r, alpha, gamma, k)):
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
    changed = differs(out, value)
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
    if rec["model_after"] is not None and not same(rec["model_after"], probe.model):
        return ("planning-modifies-model", {})
    if probe.kind == "spread":
        return _spread_case(probe, rec["out"])
    return _fixed_case(probe, rec["out"])


# Preferred first when two explanations fit equally many cases.
_EXPLANATIONS = (
    "planning-not-returned",
    "planning-one-update",
    "planning-k-minus-1",
    "planning-k-plus-1",
    "planning-ignores-k",
    "planning-hardcoded-params",
    "planning-reward-next-swapped",
)


def _explain_code(cases):
    """The explanation that fits the most cases; cases = [(k, {("count", n), ("hardcoded",), ...})]."""
    # sorted: a set's order depends on the process's hash seed, and ties go to the first count tallied
    fixed_counts = tally(o[1] for _, options in cases for o in sorted(options) if o[0] == "count")
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


def diagnose(probes, outcomes, fn_name: str, reference_outcomes=None, level: str = "hidden"):
    """The verdict on a student's planning from its recorded calls (and the reference's, if given)."""

    def label(i, probe, rec):
        problem = array_call_problem(probe, rec, "planning", probe.value.shape) or _planning_case(probe, rec)
        if problem is None and reference_outcomes is not None and probe.kind == "fixed":
            ref = reference_outcomes[i]["out"]
            if ref is not None and not close(rec["out"], ref):
                problem = ("planning-wrong", {})
        return problem

    def pool(labels, probes):
        return pool_by_tally(labels, probes, _FIRST, _LAST, "planning-terminal", _explain_code)

    return verdict_from_cases(probes, outcomes, fn_name, level, label, pool)
