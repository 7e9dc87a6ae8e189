"""The inputs the checks call a student's exercise function on, and how a call is recorded.

Two exercises, two levels: "visible" (the self-check students run; a few cases
of Quentin's World) and "hidden" (many more: random models, varied k, alpha,
gamma, end-of-episode transitions at the goal and elsewhere). The probes are
fixed (seeded), so the process that runs the student's code and the trusted
verifier agree on them; nothing in them depends on a solution.

Planning probes come in two kinds:

* ``fixed``: one remembered pair, so the outcome does not depend on how the
  student draws random numbers (k identical updates of that pair);
* ``spread``: 2-4 remembered pairs, gamma = 0 and a small alpha, so the number of
  times each pair was replayed can be read back from the values it ends with.

``call_probe`` runs one call and records what came back (the array, None, or
the exception) as plain arrays and strings, the form the child process writes
to disk (``save_outcomes``/``load_outcomes``; npz, no pickle).
"""
from __future__ import annotations

import linecache
import random
from dataclasses import dataclass, field

import numpy as np

from dynaq_course.world import GOAL_STATE, QuentinsWorld
from dynaq_course.checks import further_probes
from dynaq_course.checks.messages import GREEDY, MODEL, PLANNING, PLUS_REWARD, PUSH

N_STATES, N_ACTIONS = 100, 4
TUTORIAL = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
SPREAD_ALPHA, SPREAD_K = 0.01, 400
CALL_SEED = 8675309
_isnan = np.isnan  # bound at import: a student's cell may patch numpy later in the same kernel


@dataclass
class Probe:
    exercise: str
    level: str                      # "visible" or "hidden"
    kind: str                       # "update" (model update), "fixed" or "spread" (planning)
    model: np.ndarray
    state: int = -1                 # model update only
    action: int = -1
    reward: float = 0.0
    next_state: int | None = None
    value: np.ndarray | None = None  # planning only
    params: dict = field(default_factory=dict)

    def args(self):
        """Fresh copies of the arguments of one call."""
        if self.exercise == MODEL:
            return (self.model.copy(), self.state, self.action, self.reward, self.next_state)
        return (self.model.copy(), self.value.copy(), dict(self.params))

    def describe(self) -> str:
        """The case in words, for messages (never the expected result)."""
        if self.exercise == MODEL:
            return (f"state={self.state}, action={self.action}, reward={self.reward:g}, "
                    f"next_state={self.next_state}")
        pairs = int((~_isnan(self.model[:, :, 0])).sum())
        p = self.params
        return (f"{pairs} remembered pair{'s' * (pairs != 1)}, k={p['k']}, alpha={p['alpha']:.3g}, "
                f"gamma={p['gamma']:.3g}")

    @property
    def terminal(self) -> bool:
        if self.exercise == MODEL:
            return self.next_state is None
        return bool(_isnan(self.model[:, :, 1][~_isnan(self.model[:, :, 0])]).any())


def _empty() -> np.ndarray:
    return np.full((N_STATES, N_ACTIONS, 2), np.nan)


def _remember(model, state, action, reward, next_state) -> None:
    model[state, action, 0] = reward
    model[state, action, 1] = np.nan if next_state is None else next_state


def _random_model(rng, density: float) -> np.ndarray:
    model = _empty()
    filled = rng.random((N_STATES, N_ACTIONS)) < density
    model[filled, 0] = rng.choice([-1.0, 0.0, 1.0, 0.25], size=filled.sum())
    nxt = rng.integers(0, N_STATES, size=filled.sum()).astype(float)
    nxt[rng.random(filled.sum()) < 0.1] = np.nan
    model[filled, 1] = nxt
    return model


# ------------------------------------------------------------------ model update

def model_update_probes(level: str) -> list[Probe]:
    probes = []
    env = QuentinsWorld()
    # Visible: a few steps of Quentin's World, the model filling up as they come.
    model = _empty()
    for state, action in [(54, 1), (98, 0), (99, 2), (12, 3), (2, 0), (64, 0), (54, 1)]:
        next_state, reward = env.get_outcome(state, action)
        probes.append(Probe(MODEL, "visible", "update", model.copy(), state, action, float(reward), next_state))
        _remember(model, state, action, reward, next_state)
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
            model[state, action, 1] = float((state + 11) % N_STATES) if next_state != (state + 11) % N_STATES \
                else float((state + 12) % N_STATES)
        probes.append(Probe(MODEL, "hidden", "update", model, state, action, reward, next_state))
    return probes


# ------------------------------------------------------------------ planning

def _fixed(level, state, action, reward, next_state, value, alpha, gamma, k, epsilon=0.05) -> Probe:
    model = _empty()
    _remember(model, state, action, reward, next_state)
    return Probe(PLANNING, level, "fixed", model, value=value,
                 params={"epsilon": epsilon, "alpha": float(alpha), "gamma": float(gamma), "k": int(k)})


def _spread(level, pairs, rng, k=SPREAD_K) -> Probe:
    """Several remembered pairs; gamma 0, small alpha: each pair's replay count shows in its value."""
    model = _empty()
    value = rng.normal(size=(N_STATES, N_ACTIONS))
    for state, action, reward, next_state in pairs:
        _remember(model, state, action, reward, next_state)
        value[state, action] = reward + 1.0
    return Probe(PLANNING, level, "spread", model, value=value,
                 params={"epsilon": 0.05, "alpha": SPREAD_ALPHA, "gamma": 0.0, "k": int(k)})


def planning_probes(level: str) -> list[Probe]:
    rng = np.random.default_rng(7)
    ones = np.ones((N_STATES, N_ACTIONS))
    env = QuentinsWorld()
    probes = [
        # Visible: one remembered transition (stepping right from 98 reaches the goal), k = 0, 1, 3.
        _fixed("visible", 98, 0, 1.0, 99, ones.copy(), TUTORIAL["alpha"], TUTORIAL["gamma"], 0),
        _fixed("visible", 98, 0, 1.0, 99, ones.copy(), TUTORIAL["alpha"], TUTORIAL["gamma"], 1),
        _fixed("visible", 98, 0, 1.0, 99, ones.copy(), TUTORIAL["alpha"], TUTORIAL["gamma"], 3),
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
        if case % 4 == 0:                      # the goal: any move ends the episode
            state, action = GOAL_STATE, int(rng.integers(N_ACTIONS))
            next_state, reward = env.get_outcome(state, action)
        elif case % 4 == 1:                    # an episode that ended elsewhere (e.g. a time limit)
            state, action = int(rng.integers(N_STATES - 1)), int(rng.integers(N_ACTIONS))
            next_state, reward = None, float(rng.choice([-1.0, 0.0, 1.0]))
        elif case % 4 == 2:                    # small state numbers, reward 0/1: a swap stays in range
            state = int(rng.integers(0, N_ACTIONS))
            action = (state + 1 + int(rng.integers(0, 3))) % N_ACTIONS
            next_state, reward = int(rng.integers(2, N_STATES)), float(rng.choice([0.0, 1.0]))
        else:                                  # a step of Quentin's World
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


def probes_for(exercise: str, level: str) -> list[Probe]:
    if exercise == MODEL:
        return model_update_probes(level)
    if exercise == PLANNING:
        return planning_probes(level)
    if exercise in (PLUS_REWARD, PUSH, GREEDY):
        return further_probes.further_probes_for(exercise, level)
    raise ValueError(f"unknown exercise {exercise!r}")


# ------------------------------------------------------------------ one call, recorded

def call_probe(fn, probe: Probe, index: int) -> dict:
    """Call ``fn`` on fresh copies of the probe's inputs; record what came back.

    The global random generators are seeded per call, so a run is repeatable; the
    caller saves and restores them around a batch of calls.
    """
    np.random.seed(CALL_SEED + index)
    try:
        random.seed(CALL_SEED + index)
    except Exception:  # noqa: BLE001 - patched builtins break the random module; the check goes on
        pass
    args = probe.args()
    record = {"returned": "array", "out": None, "etype": "", "evalue": "", "model_after": None, "name": "",
              "arrays": {}}
    try:
        result = fn(*args)
    except NameError as err:
        record.update(returned="error", etype=type(err).__name__, evalue=str(err)[:500],
                      name=getattr(err, "name", "") or "", **learner_line(fn, err))
        return record
    except Exception as err:  # noqa: BLE001 - any exception is an outcome to report
        record.update(returned="error", etype=type(err).__name__, evalue=str(err)[:500], **learner_line(fn, err))
        return record
    if probe.exercise in (PLUS_REWARD, PUSH, GREEDY):
        return further_probes.record_result(probe, args, result, record)
    if probe.exercise == PLANNING:
        record["model_after"] = np.array(args[0], dtype=float, copy=True)
    if result is None:
        record["returned"] = "none"
        return record
    try:
        record["out"] = np.array(result, dtype=float, copy=True)
    except Exception as err:  # noqa: BLE001 - e.g. a string or ragged list came back
        record.update(returned="not-array", etype=type(result).__name__, evalue=str(err)[:200])
    return record


def learner_line(fn, err: BaseException) -> dict:
    """{"line": n, "code": text} of the last line of ``fn``'s own cell that the exception passed through.

    The messages point at the learner's line, not at the course's code it called
    (e.g. q_learning or NumPy): the deepest traceback frame from the file ``fn``
    was compiled from (its notebook cell). {} when there is none.
    """
    return error_line(getattr(getattr(fn, "__code__", None), "co_filename", None), err)


def error_line(filename: str | None, err: BaseException) -> dict:
    """{"line": n, "code": text} of the deepest frame of ``err``'s traceback in ``filename``, else {}."""
    found = {}
    tb = err.__traceback__
    while filename and tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = {"line": tb.tb_lineno, "code": linecache.getline(filename, tb.tb_lineno).strip()[:200]}
        tb = tb.tb_next
    return found


def call_all(fn, probes: list[Probe]) -> list[dict]:
    """Every probe through ``fn``; the learner's random streams are left where they were."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        return [call_probe(fn, probe, i) for i, probe in enumerate(probes)]
    finally:
        np.random.set_state(np_state)
        try:
            random.setstate(py_state)
        except Exception:  # noqa: BLE001 - see call_probe
            pass


# ------------------------------------------------------------------ on disk (npz, no pickle)

def outcomes_to_arrays(outcomes: list[dict], extra: dict | None = None) -> dict:
    arrays = {"n": np.array(len(outcomes))}
    for i, rec in enumerate(outcomes):
        arrays[f"{i}_meta"] = np.array([rec["returned"], rec["etype"], rec["evalue"], rec.get("name", ""),
                                        str(rec.get("line", "")), rec.get("code", "")])
        if rec["out"] is not None:
            arrays[f"{i}_out"] = rec["out"]
        if rec["model_after"] is not None:
            arrays[f"{i}_model"] = rec["model_after"]
        for name, array in (rec.get("arrays") or {}).items():
            arrays[f"{i}_a_{name}"] = array
    for key, text in (extra or {}).items():
        arrays[f"x_{key}"] = np.array(str(text))
    return arrays


def arrays_to_outcomes(data) -> tuple[list[dict], dict]:
    outcomes = []
    for i in range(int(data["n"])):
        returned, etype, evalue, name, line, code = ([str(x) for x in data[f"{i}_meta"]] + ["", ""])[:6]
        outcomes.append({"returned": returned, "etype": etype, "evalue": evalue, "name": name, "line": line,
                         "code": code,
                         "out": data[f"{i}_out"] if f"{i}_out" in data else None,
                         "model_after": data[f"{i}_model"] if f"{i}_model" in data else None,
                         "arrays": {k[len(f"{i}_a_"):]: data[k] for k in data.files if k.startswith(f"{i}_a_")}})
    extra = {k[2:]: str(data[k]) for k in data.files if k.startswith("x_")}
    return outcomes, extra
