"""Exercise 2, ``dyna_q_model_update(model, state, action, reward, next_state)``: its probes and its diagnosis.

Probes: "visible", a few steps of Quentin's World, the model filling up as
they come; "hidden", also random models of every density, end-of-episode steps
(at the goal and elsewhere), small state numbers (where model[action, state]
stays in range) and entries that held something else before.

Diagnosis (the update is deterministic): model[state, action, 0] holds the
reward, model[state, action, 1] the next state (NaN when it was None), nothing
else changed. A failing case is classified by what was written where (swapped,
one half missing, another action/state, all actions, [action, state], ...);
the cases' labels are pooled by ``diagnose.pool_by_tally``.
"""

from __future__ import annotations

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import all, float, int, len, map, range, set, tuple
from dataclasses import dataclass

import numpy as np

from dynaq_course.checks.diagnose import array_call_problem, close, differs, pool_by_tally, verdict_from_cases
from dynaq_course.checks.probes import N_ACTIONS, N_STATES, Probe, empty_model, record_array
from dynaq_course.world import GOAL_STATE, QuentinsWorld

NAME = "dyna_q_model_update"
_isnan, _argwhere = np.isnan, np.argwhere  # bound at import: a student's cell may patch numpy later
# Shown wherever they happen, before anything else; "crash" and "model-wrong" only when nothing else is left.
_FIRST = ("not-implemented", "uses-outside-name", "model-returns-none", "model-wrong-shape")
_LAST = ("crash", "model-wrong")


@dataclass
class UpdateProbe(Probe):
    model: np.ndarray
    state: int
    action: int
    reward: float
    next_state: int | None

    def args(self):
        return (self.model.copy(), self.state, self.action, self.reward, self.next_state)

    def describe(self) -> str:
        return f"state={self.state}, action={self.action}, reward={self.reward:g}, next_state={self.next_state}"

    @property
    def terminal(self) -> bool:
        return self.next_state is None


def remember(model, state, action, reward, next_state) -> None:
    """Store one observed step in ``model`` (the course's convention: NaN for the end of an episode)."""
    model[state, action, 0] = reward
    model[state, action, 1] = np.nan if next_state is None else next_state


def _random_model(rng, density: float) -> np.ndarray:
    model = empty_model()
    filled = rng.random((N_STATES, N_ACTIONS)) < density
    model[filled, 0] = rng.choice([-1.0, 0.0, 1.0, 0.25], size=filled.sum())
    nxt = rng.integers(0, N_STATES, size=filled.sum()).astype(float)
    nxt[rng.random(filled.sum()) < 0.1] = np.nan
    model[filled, 1] = nxt
    return model


# ------------------------------------------------------------------ probes


def probes(level: str) -> list[UpdateProbe]:
    probes = []
    env = QuentinsWorld()
    # Visible: a few steps of Quentin's World, the model filling up as they come.
    model = empty_model()
    for state, action in [(54, 1), (98, 0), (99, 2), (12, 3), (2, 0), (64, 0), (54, 1)]:
        next_state, reward = env.get_outcome(state, action)
        probes.append(UpdateProbe(NAME, "visible", "update", model.copy(), state, action, float(reward), next_state))
        remember(model, state, action, reward, next_state)
    if level == "visible":
        return probes
    rng = np.random.default_rng(2024)
    rewards = [-1.0, 0.0, 1.0, 0.5, -0.3, 2.0]
    for case in range(36):
        model = _random_model(rng, float(rng.choice([0.0, 0.05, 0.3, 0.8])))
        state, action = int(rng.integers(N_STATES)), int(rng.integers(N_ACTIONS))
        if case % 6 == 1:
            state = int(rng.integers(0, N_ACTIONS))  # small states: model[action, state] stays in range
            action = int((state + 1 + rng.integers(0, 3)) % N_ACTIONS)
        if case % 9 == 4:
            state = GOAL_STATE
        reward = float(rewards[case % len(rewards)])
        if case % 4 == 0 or state == GOAL_STATE:
            next_state = None
        elif case % 7 == 3:
            next_state = GOAL_STATE
        else:
            next_state = int(rng.integers(N_STATES))
        if next_state is not None and float(next_state) == reward:
            next_state = (next_state + 3) % N_STATES
        # What was there before differs from what is stored now (so a missing write shows).
        if case % 3 == 0:
            model[state, action] = np.nan
        else:
            model[state, action, 0] = reward + 7.0
            model[state, action, 1] = (
                float((state + 11) % N_STATES)
                if next_state != (state + 11) % N_STATES
                else float((state + 12) % N_STATES)
            )
        probes.append(UpdateProbe(NAME, "hidden", "update", model, state, action, reward, next_state))
    return probes


def record(probe, args, result, rec: dict) -> dict:
    """What one call returned (see ``probes.call_probe``)."""
    return record_array(result, rec)


def try_once(function) -> None:
    """One call on a small case (``load_exercise`` tells a stub, NotImplementedError, from a function that runs)."""
    function(empty_model(), 54, 1, 0.0, 64)


# ------------------------------------------------------------------ diagnosis


def _model_case(probe, out):
    """(code, fields) for one model-update call that returned an array of the right shape; None if right."""
    before, s, a, r, n = probe.model, probe.state, probe.action, probe.reward, probe.next_state
    stored_r, stored_n = out[s, a, 0], out[s, a, 1]
    reward_ok = stored_r == r
    next_ok = _isnan(stored_n) if n is None else stored_n == n
    changed = differs(out, before).any(axis=2)
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


def diagnose(probes, outcomes, fn_name: str, reference_outcomes=None, level: str = "hidden"):
    """The verdict on a student's model update from its recorded calls (and the reference's, if given)."""

    def label(i, probe, rec):
        problem = array_call_problem(probe, rec, "model", probe.model.shape) or _model_case(probe, rec["out"])
        if problem is None and reference_outcomes is not None:
            ref = reference_outcomes[i]["out"]
            if ref is not None and not close(rec["out"], ref):
                problem = ("model-wrong", {})
        return problem

    def pool(labels, probes):
        return pool_by_tally(labels, probes, _FIRST, _LAST, "model-terminal")

    return verdict_from_cases(probes, outcomes, fn_name, level, label, pool)
