"""Probes of the bonus exercises of Section 6 (assignment going_further), and how a call is recorded.

* ``dyna_q_plus_reward(reward, tau, kappa)``: single numbers (Python floats and
  ints, NumPy scalars) and arrays (1-D, and the (100, 4) shape of the model's
  tables, tau as integers or floats). The exercise asks for a function that
  works on both. tau = 0 and 1, kappa = 0 and 1 appear, but never only those
  (so that kappa * tau, kappa ** 2, ... are told apart from the right bonus).
* ``push_predecessors(model, value, queue, state, params)``: random models of
  Quentin's World's size (never-tried pairs NaN, episode-ending pairs with a NaN
  next state), a state with 3-8 predecessors (some leading into it from itself)
  whose prediction errors are positive and negative, above and below theta,
  state 0 in some cases (where np.nan_to_num would turn NaN next states into
  predecessors), a queue already holding a few pairs. No priority lies within
  1e-6 of theta, so ``> theta`` and ``>= theta`` both pass (the text says ``>``).
* ``bonus_greedy_action(value_row, tau_row, kappa)``: rows of four action values
  (positive, negative, all negative, equal) with four tau (float arrays, as the
  learner's loop passes them, and integer arrays), kappa from 0 to 1.5. Some cases
  have exact ties (equal values, or a value gap that a bonus closes exactly, up
  to the last bit of rounding), where any of the tied actions is right; no
  other score of the right rule or of a mistake the diagnosis names lies near
  the largest one (see ``greedy_near_tie``). Each case is called several times
  (``GREEDY_REPEATS``), each call with its own seed, so a function that makes
  random moves shows it; the calls of one case share ``group``.

The queue a student's function gets is the course's own
``prioritized.PriorityQueue`` (the one the notebook's sweeping loop uses, with
its checks: pairs are tuples of two integers, priorities finite and >= 0),
already holding the probe's waiting pairs. What the queue holds after the
call, and what came back, are recorded as plain arrays (see ``probes``).
"""
from __future__ import annotations

from builtins import abs, all, any, dict, float, int, isinstance, len, list, max, range, sorted, tuple  # noqa: A004 - bound now
from dataclasses import dataclass, field
from numbers import Integral as _Integral

import numpy as np

from dynaq_course.checks.messages import GREEDY, PLUS_REWARD, PUSH

N_STATES, N_ACTIONS = 100, 4
THETA_MARGIN = 1e-6
_asarray, _sqrt = np.asarray, np.sqrt  # bound at import: a student's cell may patch numpy later in the same kernel


def new_queue(items: dict):
    """A ``prioritized.PriorityQueue`` (the one the notebook's loop uses) already holding ``items``."""
    from dynaq_course.going_further.prioritized import PriorityQueue

    queue = PriorityQueue()
    for pair, priority in items.items():
        queue.push(pair, priority)
    return queue


def items_array(items: dict) -> np.ndarray:
    """{(s, a): priority} -> (n, 3) array of rows [s, a, priority], sorted by pair."""
    rows = [[s, a, p] for (s, a), p in sorted(items.items())]
    return np.array(rows, dtype=float).reshape(-1, 3)


@dataclass
class FurtherProbe:
    exercise: str
    level: str
    kind: str                          # "scalar" / "array" (reward), "push", "greedy"
    reward: object = None              # reward exercise
    tau: object = None
    kappa: float = 0.0
    model: np.ndarray | None = None    # push exercise
    value: np.ndarray | None = None    # push: the value table; greedy: value_row
    state: int = -1
    params: dict = field(default_factory=dict)
    queued: dict = field(default_factory=dict)   # what the queue holds before the call
    group: int = -1                    # greedy exercise: the calls of one case share it

    def args(self):
        """Fresh copies of the arguments of one call."""
        if self.exercise == PLUS_REWARD:
            if self.kind == "array":
                return (np.array(self.reward, copy=True), np.array(self.tau, copy=True), self.kappa)
            return (self.reward, self.tau, self.kappa)
        if self.exercise == GREEDY:
            return (np.array(self.value, copy=True), np.array(self.tau, copy=True), self.kappa)
        return (self.model.copy(), self.value.copy(), new_queue(self.queued), self.state, dict(self.params))

    def describe(self) -> str:
        """The case in words, for messages (never the expected result)."""
        if self.exercise == PLUS_REWARD:
            if self.kind == "array":
                r, t = np.asarray(self.reward), np.asarray(self.tau)
                return f"arrays: reward of shape {r.shape}, tau of shape {t.shape} (dtype {t.dtype}), kappa={self.kappa:g}"
            return f"reward={self.reward!r}, tau={self.tau!r}, kappa={self.kappa!r}"
        if self.exercise == GREEDY:
            return (f"value_row={_numbers(self.value)}, tau_row={_numbers(self.tau)}"
                    f"{' (integers)' if np.asarray(self.tau).dtype.kind in 'iu' else ''}, kappa={self.kappa:g}")
        preds = int((self.model[:, :, 1] == self.state).sum())
        return (f"state={self.state} ({preds} predecessor pair{'s' * (preds != 1)}), gamma={self.params['gamma']:.3g}, "
                f"theta={self.params['theta']:.3g}, {len(self.queued)} pair{'s' * (len(self.queued) != 1)} already "
                "in the queue")

    @property
    def terminal(self) -> bool:
        return False


def _numbers(row) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in np.asarray(row).tolist()) + "]"


# ------------------------------------------------------------------ Dyna-Q+ bonus reward

def _reward_probe(level, reward, tau, kappa) -> FurtherProbe:
    kind = "array" if isinstance(reward, np.ndarray) else "scalar"
    return FurtherProbe(PLUS_REWARD, level, kind, reward=reward, tau=tau, kappa=kappa)


def plus_reward_probes(level: str) -> list[FurtherProbe]:
    probes = [
        _reward_probe("visible", 0.0, 4.0, 0.5),
        _reward_probe("visible", -1.0, 0.0, 0.1),
        _reward_probe("visible", 1.0, 9.0, 0.01),
        _reward_probe("visible", np.array([0.0, 1.0, -1.0, 0.0]), np.array([1.0, 9.0, 100.0, 0.0]), 0.3),
        _reward_probe("visible", np.zeros((N_STATES, N_ACTIONS)),
                      np.arange(N_STATES * N_ACTIONS).reshape(N_STATES, N_ACTIONS), 0.02),
    ]
    if level == "visible":
        return probes
    rng = np.random.default_rng(606)
    scalars = [(0.0, 16.0, 0.25), (1.0, 0.0, 2.0), (-1.0, 3.0, 0.7), (0.5, 10_000.0, 0.001), (0.0, 7, 1.0),
               (2, 5, 3), (np.float64(-0.3), np.float64(2.5), 0.4), (0.0, 1.0, 0.6), (1.0, 50.0, 0.0),
               (-2.0, 0.25, 1.5), (0.0, np.int64(12), 0.05)]
    probes += [_reward_probe("hidden", r, t, k) for r, t, k in scalars]
    for shape, kappa, integer in [((6,), 0.2, False), ((N_STATES, N_ACTIONS), 0.05, True), ((3, 5), 1.0, False),
                                  ((8,), 0.0, True), ((N_STATES, N_ACTIONS), 0.9, False)]:
        reward = rng.choice([-1.0, 0.0, 1.0, 0.5], size=shape)
        tau = rng.integers(0, 500, size=shape)
        tau = tau if integer else tau * rng.uniform(0.5, 1.5, size=shape)
        probes.append(_reward_probe("hidden", reward, tau, kappa))
    return probes


# ------------------------------------------------------------------ prioritized sweeping: predecessors

def _priority(model, value, s_bar, a_bar, state, gamma):
    return abs(model[s_bar, a_bar, 0] + gamma * value[state].max() - value[s_bar, a_bar])


def _push_probe(level, rng, state, gamma, theta, n_preds, self_loops=0, tiny=0, queued=0, density=0.4):
    """A random model in which ``state`` has ``n_preds`` predecessors, errors of both signs around theta."""
    for _ in range(200):
        model = np.full((N_STATES, N_ACTIONS, 2), np.nan)
        seen = rng.random((N_STATES, N_ACTIONS)) < density
        model[seen, 0] = rng.choice([-1.0, 0.0, 1.0, 0.5], size=seen.sum())
        nxt = rng.integers(0, N_STATES, size=seen.sum()).astype(float)
        nxt[rng.random(seen.sum()) < 0.12] = np.nan           # episode-ending pairs
        model[seen, 1] = nxt
        model[model[:, :, 1] == state] = np.nan               # no accidental predecessors (set them below)
        others = [s for s in range(N_STATES) if s != state]
        pred_states = rng.choice(others, size=n_preds - self_loops, replace=False)
        pairs = [(int(s), int(rng.integers(N_ACTIONS))) for s in pred_states]
        loop_actions = rng.choice(N_ACTIONS, size=self_loops, replace=False)
        pairs += [(state, int(a)) for a in loop_actions]
        for s_bar, a_bar in pairs:
            model[s_bar, a_bar] = float(rng.choice([-1.0, 0.0, 1.0, 0.5])), state
        for s_bar, _ in pairs[: max(1, n_preds // 2)]:        # predecessor states also have other actions
            for a in range(N_ACTIONS):
                if np.isnan(model[s_bar, a, 0]) and rng.random() < 0.6:
                    model[s_bar, a] = float(rng.choice([0.0, 1.0])), float((s_bar + 1 + a) % N_STATES)
                    if model[s_bar, a, 1] == state:
                        model[s_bar, a, 1] = float((state + 2) % N_STATES)
        value = rng.normal(scale=1.5, size=(N_STATES, N_ACTIONS))
        # A few predecessors with a tiny error (above 0, below any theta used).
        for i, (s_bar, a_bar) in enumerate(pairs[:tiny]):   # errors around 1e-4: below it, then above it
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
        for i in range(queued):   # a predecessor waiting with a high priority, one with a low one, an unrelated pair
            j = len(pairs) - 1 - i  # from the end: the pairs with tiny errors (the first ones) are never waiting
            if j >= tiny and i % 3 != 2:
                waiting[pairs[j]] = float(errors[j] + (1.0 if i % 3 == 0 else -0.5 * errors[j]))
            else:
                waiting[(int(rng.integers(N_STATES)), int(rng.integers(N_ACTIONS)))] = float(rng.uniform(0.1, 3))
        return FurtherProbe(PUSH, level, "push", model=model, value=value, state=int(state),
                            params={"gamma": float(gamma), "theta": float(theta)}, queued=waiting)
    raise RuntimeError("could not build a push_predecessors probe")  # pragma: no cover - the seeds are fixed


def push_probes(level: str) -> list[FurtherProbe]:
    rng = np.random.default_rng(2061)
    probes = [
        _push_probe("visible", rng, 55, 0.9, 0.3, 4),
        _push_probe("visible", rng, 64, 0.95, 0.1, 5, self_loops=1, queued=3),
        _push_probe("visible", rng, 0, 0.8, 0.5, 3, tiny=1),
    ]
    if level == "visible":
        return probes
    cases = [  # state, gamma, theta, predecessors, self-loops, tiny errors, queued pairs, density
        (99, 0.9, 0.2, 4, 0, 1, 0, 0.4), (0, 0.95, 0.05, 6, 1, 1, 3, 0.6), (37, 0.7, 0.8, 5, 0, 0, 2, 0.3),
        (12, 0.99, 0.15, 8, 2, 2, 3, 0.5), (0, 0.6, 0.3, 4, 0, 1, 0, 0.8), (81, 0.85, 0.4, 7, 1, 0, 6, 0.4),
        (5, 0.5, 0.02, 5, 0, 2, 3, 0.2), (64, 0.93, 1.2, 6, 1, 1, 2, 0.5), (0, 0.75, 0.6, 5, 1, 0, 3, 0.3),
        (48, 0.97, 0.25, 3, 0, 1, 1, 0.7), (90, 0.65, 0.09, 6, 0, 2, 4, 0.4), (23, 0.88, 0.5, 8, 1, 1, 3, 0.6),
    ]
    probes += [_push_probe("hidden", rng, s, g, t, n, loops, tiny, q, d) for s, g, t, n, loops, tiny, q, d in cases]
    return probes


# ------------------------------------------------------------------ the bonus in action selection

GREEDY_REPEATS = {"visible": 3, "hidden": 4}   # calls per case (each call has its own seed)
GREEDY_KAPPAS = (0.0, 0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.7, 1.5)
NEAR_TIE = (1e-12, 1e-4)   # relative to the largest score: closer ties it; up to the second, none (np.isclose)


def greedy_scores(value, tau, kappa, rule: str = "right") -> np.ndarray:
    """The four scores of one way of choosing: the right one, Q + kappa * sqrt(tau), or a common mistake."""
    q, t, k = _asarray(value, dtype=float), _asarray(tau, dtype=float), float(kappa)
    rules = {"right": lambda: q + k * _sqrt(t), "no-bonus": lambda: q, "bonus-only": lambda: k * _sqrt(t),
             "minus": lambda: q - k * _sqrt(t), "argmin": lambda: -(q + k * _sqrt(t)),
             "linear-tau": lambda: q + k * t, "sqrt-of-product": lambda: q + _sqrt(k * t),
             "kappa-squared": lambda: q + k ** 2 * _sqrt(t), "sqrt-on-kappa": lambda: q + _sqrt(k) * t,
             "tau-plus-one": lambda: q + k * _sqrt(t + 1)}
    return rules[rule]()


GREEDY_HARDCODED_KAPPAS = (1e-3, 1e-4, 1e-2, 0.05, 0.1, 0.5, 1.0)   # fixed kappas a function might use
GREEDY_RULES = ("right", "no-bonus", "bonus-only", "minus", "argmin", "linear-tau", "sqrt-of-product",
                "kappa-squared", "sqrt-on-kappa", "tau-plus-one")


def greedy_near_tie(scores) -> bool:
    """True when a score lies near the largest one without tying it (the case is left out)."""
    scores = _asarray(scores, dtype=float)
    best, scale = scores.max(), max(1.0, float(abs(scores).max()))
    gaps = best - scores
    return bool(((gaps > NEAR_TIE[0] * scale) & (gaps < NEAR_TIE[1] * scale)).any())


def _greedy_probes(level, cases, first_group) -> list[FurtherProbe]:
    probes = []
    for g, (value, tau, kappa) in enumerate(cases, start=first_group):
        value, tau = np.array(value, dtype=float), np.array(tau)
        scores = [greedy_scores(value, tau, kappa, rule) for rule in GREEDY_RULES]
        scores += [greedy_scores(value, tau, c) for c in GREEDY_HARDCODED_KAPPAS]
        if any(greedy_near_tie(s) for s in scores):
            raise ValueError(f"near tie in a bonus_greedy_action probe: {value}, {tau}, {kappa}")
        probes += [FurtherProbe(GREEDY, level, "greedy", value=value, tau=tau, kappa=float(kappa), group=g)
                   for _ in range(GREEDY_REPEATS[level])]
    return probes


VISIBLE_GREEDY = [  # value_row, tau_row, kappa
    ([0.5, 0.2, 0.4, 0.1], [0.0, 100.0, 4.0, 1.0], 0.05),      # the bonus wins
    ([1.0, 0.6, 0.0, 0.2], [0.0, 9.0, 0.0, 1.0], 0.1),         # a bonus that does not win
    ([0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0], 0.1),         # all four tie
    ([0.2, 0.7, 0.7, 0.1], [0.0, 0.0, 0.0, 0.0], 0.5),         # two tie, no bonus anywhere
    ([-0.8, -0.3, -0.6, -1.0], [1.0, 0.0, 4.0, 9.0], 0.1),     # every score negative
    ([0.1, 0.3, 0.2, 0.0], [100.0, 0.0, 50.0, 400.0], 0.0),    # kappa = 0: no bonus
    ([0.3, 0.0, 0.25, 0.1], [0.0, 0.0, 1.0, 0.0], 0.1),        # an action tried on the last step gets no bonus
    ([0.3, 0.8, 0.5, -0.2], np.array([25, 0, 4, 100]), 0.1),   # integers; three tie once the bonus is added
    ([0.6, 0.5, 0.1, 0.0], [4.0, 0.0, 0.0, 0.0], 0.1),         # the bonus keeps the best action the best
    ([0.5, 0.2, 0.45, 0.0], [0.0, 4.0, 0.0, 1.0], 0.4),
    ([0.5, 0.0, 0.0, 0.1], [0.0, 1.0, 0.0, 0.0], 0.1),         # the value outweighs the bonus
    ([0.5, 0.2, 0.0, 0.0], [0.0, 2.0, 0.0, 1.0], 0.1),
    ([0.5, 0.4995, 0.2, 0.1], [0.0, 400.0, 0.0, 0.0], 0.001),  # a bonus of 0.02 tips the balance
    ([2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], 0.01),        # the value outweighs any bonus
    ([0.1, 0.2, 0.0, 0.15], [0.0, 0.0, 0.0, 9.0], 0.05),       # the last action wins
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


def greedy_probes(level: str) -> list[FurtherProbe]:
    probes = _greedy_probes("visible", VISIBLE_GREEDY, 0)
    if level == "visible":
        return probes
    cases = [
        ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], 0.01),      # a state never visited: all tie
        ([-1.0, -1.0, -0.2, -1.0], [0.0, 0.0, 0.0, 0.0], 0.3),    # negative, no bonus yet
        ([-0.5, -0.4, -0.9, -0.1], [400.0, 1.0, 0.0, 0.0], 0.01),  # every score negative, the best not action 0
        ([-0.6, -0.45, -0.2, -0.7], [16.0, 0.0, 1.0, 0.0], 0.05),
        ([0.25, 0.1, 0.1, 0.2], [0.0, 1.0, 0.0, 0.0], 0.2),       # tau + 1 would change the choice
        ([0.05, 0.0, 0.02, 0.035], [0.0, 0.0, 0.0, 1.0], 0.02),
        ([0.9, 0.7, 0.85, 0.0], [0.0, 4.0, 0.0, 0.0], 0.15),
        ([1.0, 0.2, 0.5, 0.0], [0.0, 400.0, 100.0, 4.0], 0.05),    # 0.2 + 1.0 beats 1.0: the bonus wins
        ([1.0, 0.9, 0.3, 0.8], [0.0, 1.0, 3000.0, 36.0], 0.001),   # a tiny kappa
        ([0.0, 0.3, 0.1, 0.2], [2.0, 0.0, 1.0, 1.0], 1.5),         # a large kappa
        ([0.4, 0.1, 0.4, 0.3], np.array([9, 9, 9, 9]), 0.2),       # equal bonuses: the tie of the values stays
        ([0.7, 0.3, 0.5, 0.6], np.array([0, 16, 4, 1]), 0.1),      # 0.3 + 0.4 = 0.7: a tie made by the bonus
        ([0.1, 0.3, 0.0, -0.1], [4.0, 0.0, 1.0, 0.0], 0.1),       # 0.1 + 0.2 ties 0.3 up to the last bit
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


def further_probes_for(exercise: str, level: str) -> list[FurtherProbe]:
    if exercise == PLUS_REWARD:
        return plus_reward_probes(level)
    if exercise == PUSH:
        return push_probes(level)
    if exercise == GREEDY:
        return greedy_probes(level)
    raise ValueError(f"unknown exercise {exercise!r}")


# ------------------------------------------------------------------ one call, recorded

def record_result(probe: FurtherProbe, args, result, record: dict) -> dict:
    """Fill ``record`` (see ``probes.call_probe``) from what one call of the student's function did."""
    arrays = record.setdefault("arrays", {})
    if probe.exercise == PLUS_REWARD:
        if probe.kind == "array":
            arrays["reward_after"] = np.array(args[0], dtype=float, copy=True)
            arrays["tau_after"] = np.array(args[1], dtype=float, copy=True)
        if result is None:
            record["returned"] = "none"
            return record
        try:
            record["out"] = np.array(result, dtype=float, copy=True)
        except Exception as err:  # noqa: BLE001 - e.g. a string came back
            record.update(returned="not-array", etype=type(result).__name__, evalue=str(err)[:200])
        return record
    if probe.exercise == GREEDY:
        arrays["value_after"] = np.array(args[0], dtype=float, copy=True)
        arrays["tau_after"] = np.array(args[1], dtype=float, copy=True)
        return _record_action(result, record)
    model, value, queue = args[0], args[1], args[2]
    arrays["model_after"] = np.array(model, dtype=float, copy=True)
    arrays["value_after"] = np.array(value, dtype=float, copy=True)
    arrays["given"] = items_array(queue.items())
    if result is None:
        record["returned"] = "none"
    elif result is queue:
        record["returned"] = "queue"
        record["out"] = arrays["given"]
    else:
        try:
            record["out"] = items_array(dict(result.items()))
            record["returned"] = "other-queue"
        except Exception:  # noqa: BLE001 - not a queue
            record.update(returned="not-queue", etype=type(result).__name__)
    return record


def _record_action(result, record: dict) -> dict:
    """An action or what came back instead.

    An action is what ``dyna_plus.learn_dyna_q_action_bonus`` accepts: an integer
    0-3 (a Python int or a NumPy integer, not a bool), or a NumPy array holding
    one such integer; a float (even 2.0), a bool or several numbers are not.
    """
    if result is None:
        record["returned"] = "none"
        return record
    action = result
    if isinstance(action, np.ndarray) and action.size == 1:
        action = action.reshape(())[()]
    if not isinstance(action, (bool, np.bool_)) and isinstance(action, _Integral) and 0 <= action < N_ACTIONS:
        record["out"] = np.array(int(action), dtype=float)
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
