"""Exercise 6c, ``push_predecessors(model, value, queue, state, params)``: its probes and its diagnosis.

Probes: random models of Quentin's World's size (never-tried pairs NaN,
episode-ending pairs with a NaN next state), a state with 3-8 predecessors
(some leading into it from itself) whose prediction errors are positive and
negative, above and below theta, state 0 in some cases (where np.nan_to_num
would turn NaN next states into predecessors), a queue already holding a few
pairs. No priority lies within 1e-6 of theta, so ``> theta`` and ``>= theta``
both pass (the text says ``>``).

The queue a student's function gets is the course's own
``PriorityQueue`` (``dynaq_course.priority_queue``, the one the notebook's sweeping loop uses, with
its checks: pairs are tuples of two integers, priorities finite and >= 0),
already holding the probe's waiting pairs. What the queue holds after the
call, and what came back, are recorded as plain arrays.

Diagnosis: each probe has one right queue. For each failing probe it works
out which single, common mistake (no absolute value, the pair pushed as
(action, state), theta ignored, ...) reproduces exactly what the queue holds,
or which kind of wrong pair was pushed (successors, other actions of a
predecessor state, never-tried or episode-ending pairs); the mistake that
explains (nearly) every failing probe is the verdict
(``diagnose.best_explanation``), else the generic message.
"""

from __future__ import annotations

import re

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import abs, all, any, dict, float, int, len, range, set, sorted
from dataclasses import dataclass, field

import numpy as np

from dynaq_course.checks import messages as msg
from dynaq_course.checks.diagnose import best_explanation, close, first_of, same, unlike_reference, verdict_from_cases
from dynaq_course.checks.probes import N_ACTIONS, N_STATES, Probe
from dynaq_course.priority_queue import PriorityQueue

NAME = "push_predecessors"
THETA_MARGIN = 1e-6
_isnan, _array, _inf = np.isnan, np.array, np.inf  # bound at import: a student's cell may patch numpy later
_HARDCODED_THETAS = (0.0, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.2, 0.5, 1.0)
_HARDCODED_GAMMAS = (0.9, 0.95, 0.99, 0.8, 0.5)
_FIRST = (
    "not-implemented",
    "uses-outside-name",
    "push-returns-none",
    "push-not-queue",
    "push-modifies-inputs",
    "push-new-queue",
)
# Preferred first when two explanations fit equally many probes.
_PREFERENCE = (
    "push-nothing",
    "push-pair-swapped",
    "push-successors",
    "push-all-actions",
    "push-unseen-pairs",
    "push-terminal-pairs",
    "push-ignores-theta",
    "push-hardcoded-theta",
    "push-no-abs",
    "push-no-max",
    "push-max-of-predecessor",
    "push-no-gamma",
    "push-hardcoded-gamma",
    "push-reward-missing",
    "push-wrong-priority",
)
_NEGATIVE_PRIORITY = re.compile(r"priority must be .*got (np\.float\d*\()?-")


def new_queue(items: dict):
    """A ``PriorityQueue`` (the one the notebook's loop uses) already holding ``items``."""
    queue = PriorityQueue()
    for pair, priority in items.items():
        queue.push(pair, priority)
    return queue


def items_array(items: dict) -> np.ndarray:
    """{(s, a): priority} -> (n, 3) array of rows [s, a, priority], sorted by pair."""
    rows = [[s, a, p] for (s, a), p in sorted(items.items())]
    return np.array(rows, dtype=float).reshape(-1, 3)


@dataclass
class PushProbe(Probe):
    model: np.ndarray
    value: np.ndarray
    state: int
    params: dict = field(default_factory=dict)
    queued: dict = field(default_factory=dict)  # what the queue holds before the call

    def args(self):
        return (self.model.copy(), self.value.copy(), new_queue(self.queued), self.state, dict(self.params))

    def describe(self) -> str:
        preds = int((self.model[:, :, 1] == self.state).sum())
        return (
            f"state={self.state} ({preds} predecessor pair{'s' * (preds != 1)}), gamma={self.params['gamma']:.3g}, "
            f"theta={self.params['theta']:.3g}, {len(self.queued)} pair{'s' * (len(self.queued) != 1)} already "
            "in the queue"
        )


# ------------------------------------------------------------------ probes


def _priority(model, value, s_bar, a_bar, state, gamma):
    return abs(model[s_bar, a_bar, 0] + gamma * value[state].max() - value[s_bar, a_bar])


def _push_probe(level, rng, state, gamma, theta, n_preds, self_loops=0, tiny=0, queued=0, density=0.4):
    """A random model in which ``state`` has ``n_preds`` predecessors, errors of both signs around theta."""
    for _ in range(200):
        model = np.full((N_STATES, N_ACTIONS, 2), np.nan)
        seen = rng.random((N_STATES, N_ACTIONS)) < density
        model[seen, 0] = rng.choice([-1.0, 0.0, 1.0, 0.5], size=seen.sum())
        nxt = rng.integers(0, N_STATES, size=seen.sum()).astype(float)
        nxt[rng.random(seen.sum()) < 0.12] = np.nan  # episode-ending pairs
        model[seen, 1] = nxt
        model[model[:, :, 1] == state] = np.nan  # no accidental predecessors (set them below)
        others = [s for s in range(N_STATES) if s != state]
        pred_states = rng.choice(others, size=n_preds - self_loops, replace=False)
        pairs = [(int(s), int(rng.integers(N_ACTIONS))) for s in pred_states]
        loop_actions = rng.choice(N_ACTIONS, size=self_loops, replace=False)
        pairs += [(state, int(a)) for a in loop_actions]
        for s_bar, a_bar in pairs:
            model[s_bar, a_bar] = float(rng.choice([-1.0, 0.0, 1.0, 0.5])), state
        for s_bar, _ in pairs[: max(1, n_preds // 2)]:  # predecessor states also have other actions
            for a in range(N_ACTIONS):
                if np.isnan(model[s_bar, a, 0]) and rng.random() < 0.6:
                    model[s_bar, a] = float(rng.choice([0.0, 1.0])), float((s_bar + 1 + a) % N_STATES)
                    if model[s_bar, a, 1] == state:
                        model[s_bar, a, 1] = float((state + 2) % N_STATES)
        value = rng.normal(scale=1.5, size=(N_STATES, N_ACTIONS))
        # A few predecessors with a tiny error (above 0, below any theta used).
        for i, (s_bar, a_bar) in enumerate(pairs[:tiny]):  # errors around 1e-4: below it, then above it
            if s_bar != state:
                target = model[s_bar, a_bar, 0] + gamma * value[state].max()
                size = 10 ** rng.uniform(-5, -4.3) if i % 2 == 0 else 10 ** rng.uniform(-3.7, -3)
                value[s_bar, a_bar] = target + rng.choice([-1, 1]) * size
        errors = [_priority(model, value, s, a, state, gamma) for s, a in pairs]
        if any(abs(p - theta) < THETA_MARGIN for p in errors):
            continue
        above = [p > theta for p in errors]
        signed = [model[s, a, 0] + gamma * value[state].max() - value[s, a] for s, a in pairs]
        if not (any(above) and not all(above) and any(d < -theta for d in signed) and any(d > theta for d in signed)):
            continue
        waiting = {}
        for i in range(queued):  # a predecessor waiting with a high priority, one with a low one, an unrelated pair
            j = len(pairs) - 1 - i  # from the end: the pairs with tiny errors (the first ones) are never waiting
            if j >= tiny and i % 3 != 2:
                waiting[pairs[j]] = float(errors[j] + (1.0 if i % 3 == 0 else -0.5 * errors[j]))
            else:
                waiting[(int(rng.integers(N_STATES)), int(rng.integers(N_ACTIONS)))] = float(rng.uniform(0.1, 3))
        return PushProbe(
            NAME,
            level,
            "push",
            model=model,
            value=value,
            state=int(state),
            params={"gamma": float(gamma), "theta": float(theta)},
            queued=waiting,
        )
    raise RuntimeError("could not build a push_predecessors probe")  # pragma: no cover - the seeds are fixed


def probes(level: str) -> list[PushProbe]:
    rng = np.random.default_rng(2061)
    probes = [
        _push_probe("visible", rng, 55, 0.9, 0.3, 4),
        _push_probe("visible", rng, 64, 0.95, 0.1, 5, self_loops=1, queued=3),
        _push_probe("visible", rng, 0, 0.8, 0.5, 3, tiny=1),
    ]
    if level == "visible":
        return probes
    cases = [  # state, gamma, theta, predecessors, self-loops, tiny errors, queued pairs, density
        (99, 0.9, 0.2, 4, 0, 1, 0, 0.4),
        (0, 0.95, 0.05, 6, 1, 1, 3, 0.6),
        (37, 0.7, 0.8, 5, 0, 0, 2, 0.3),
        (12, 0.99, 0.15, 8, 2, 2, 3, 0.5),
        (0, 0.6, 0.3, 4, 0, 1, 0, 0.8),
        (81, 0.85, 0.4, 7, 1, 0, 6, 0.4),
        (5, 0.5, 0.02, 5, 0, 2, 3, 0.2),
        (64, 0.93, 1.2, 6, 1, 1, 2, 0.5),
        (0, 0.75, 0.6, 5, 1, 0, 3, 0.3),
        (48, 0.97, 0.25, 3, 0, 1, 1, 0.7),
        (90, 0.65, 0.09, 6, 0, 2, 4, 0.4),
        (23, 0.88, 0.5, 8, 1, 1, 3, 0.6),
    ]
    probes += [_push_probe("hidden", rng, s, g, t, n, loops, tiny, q, d) for s, g, t, n, loops, tiny, q, d in cases]
    return probes


def record(probe, args, result, rec: dict) -> dict:
    """What the queue holds after one call, what came back, and the model and values after it."""
    arrays = rec["arrays"]
    model, value, queue = args[0], args[1], args[2]
    arrays["model_after"] = np.array(model, dtype=float, copy=True)
    arrays["value_after"] = np.array(value, dtype=float, copy=True)
    arrays["given"] = items_array(queue.items())
    if result is None:
        rec["returned"] = "none"
    elif result is queue:
        rec["returned"] = "queue"
        rec["out"] = arrays["given"]
    else:
        try:
            rec["out"] = items_array(dict(result.items()))
            rec["returned"] = "other-queue"
        except Exception:  # noqa: BLE001 - not a queue
            rec.update(returned="not-queue", etype=type(result).__name__)
    return rec


# ------------------------------------------------------------------ diagnosis


def _pushes(
    probe, candidates="pred", order="sa", signed=None, theta=None, target="max", gamma=None, reward=True, other="pair"
):
    """What the queue holds after one variant of the predecessor step: {(s, a): priority}."""
    model, value, state = probe.model, probe.value, probe.state
    gamma = probe.params["gamma"] if gamma is None else gamma
    theta = probe.params["theta"] if theta is None else theta
    if candidates == "unseen":  # np.nan_to_num(model): NaN next states (and rewards) become 0
        model = np.nan_to_num(model, nan=0.0)
    elif candidates == "terminal":  # only the next-state column: episode-ending pairs lead to state 0
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
    out = [
        (None, _pushes(probe)),
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
        ("push-terminal-pairs", _pushes(probe, candidates="terminal")),
    ]
    out += [("push-hardcoded-theta", _pushes(probe, theta=c)) for c in _HARDCODED_THETAS if c != theta and c > 0]
    out += [("push-hardcoded-gamma", _pushes(probe, gamma=c)) for c in _HARDCODED_GAMMAS if c != gamma]
    return out


def _items(array) -> dict:
    return {(int(s), int(a)): float(p) for s, a, p in _array(array, dtype=float).reshape(-1, 3)}


def _same_items(got: dict, expected: dict) -> bool:
    return set(got) == set(expected) and all(close(got[pair], expected[pair]) for pair in got)


def _wrong_pairs(probe, got: dict, right: dict):
    """A code for the kind of pair pushed that should not have been, or None."""
    pushed = {pair for pair, p in got.items() if pair not in probe.queued or p != probe.queued[pair]}
    extra = pushed - set(right)
    model, state = probe.model, probe.state
    preds = {(int(s), int(a)) for s, a in np.argwhere(model[:, :, 1] == state)}
    if pushed and all(s == state for s, _ in pushed) and any(s != state for s, _ in set(right) - pushed):
        return "push-successors"  # only pairs leaving state (self-loops among them may be right)
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
    if not (same(after.get("model_after"), probe.model) and same(after.get("value_after"), probe.value)):
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


def _call_problem(probe, rec):
    if rec["returned"] == "error":
        if rec["etype"] == "ValueError" and _NEGATIVE_PRIORITY.search(rec["evalue"]):
            return ("explain", {"options": {"push-no-abs"}, "case": probe.describe()})  # the queue refused P < 0
        return msg.exception_problem(probe, rec)
    if rec["returned"] == "none":
        return ("push-returns-none", {})
    if rec["returned"] == "not-queue":
        return ("push-not-queue", {"what": rec["etype"]})
    return None


def _pool(labels, probes):
    return (
        first_of(labels, _FIRST) or first_of(labels, ("crash",)) or best_explanation(labels, _PREFERENCE, "push-wrong")
    )


def diagnose(probes, outcomes, fn_name: str, reference_outcomes=None, level: str = "hidden"):
    """The verdict on a student's predecessor step from its recorded calls (and the reference's, if given)."""

    def label(i, probe, rec):
        return (
            _call_problem(probe, rec) or _push_case(probe, rec) or unlike_reference(reference_outcomes, i, probe, rec)
        )

    return verdict_from_cases(probes, outcomes, fn_name, level, label, _pool)
