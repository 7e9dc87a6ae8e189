"""A slippery Quentin's World, a model that counts, and the exact answers to check both against.

**The slip** (our choice, stated once here): with probability ``slip`` the
world ignores the chosen action and carries out a uniformly random one of the
four actions instead (which may be the chosen one), so the chosen move happens
with probability ``1 - slip + slip/4`` and each other move with ``slip/4``.
Rewards are those of the move carried out (entering a red cell costs 1,
reaching the goal pays 1). ``slip == 0`` is the tutorial's world.

**Three agents: two models times two kinds of planning update** (``MODELS``):

* ``"cached"``: the tutorial's model keeps the last (reward, next state) seen
  for a pair, and planning replays it with a *sample update* as if it were
  certain. In a slippery world the last sample is often the slip, so
  planning keeps pushing values towards whatever happened last: the values
  never settle, and they are wrong;
* ``"counting-sample"``: ``CountingModel`` counts, for each pair, how often
  each next state followed and sums the rewards; planning draws one next
  state with the observed frequencies (``CountingModel.sample``) and makes a
  *sample update* with that outcome's mean reward;
* ``"counting"``: the same counts, and planning makes an *expected update*,
  averaging the target over the observed next states with their frequencies.

**The planning budget** (Sutton & Barto, section 8.5): an expected update
over b next states evaluates ``max_a' Q(s', a')`` b times, a sample update
once. ``PlanningBudget`` spends ``k`` per real step either in planning
updates (``"updates"``) or in those evaluations (``"evaluations"``, the
compute), as a running credit.

``optimal_q(slip)`` computes the true optimal values (value iteration on the
exact transition probabilities, ``transition_model``), and ``policy_value``
the exact value of a greedy policy, so every agent can be scored without noise.
``learn_slippery`` is the plain loop (one Python call per update);
``further_engine.simulate_slippery`` the same agents, compiled, for many seeds.
"""

from __future__ import annotations

import numbers

import numpy as np

from dynaq_course import world as _world
from dynaq_course.agent import _param, q_learning, run_episode
from dynaq_course.params import tutorial_params

PARAMS = tutorial_params(k=10)
MODELS = ("cached", "counting-sample", "counting")
MODEL_NAMES = {
    "cached": "last outcome, sample updates",
    "counting-sample": "counts, sample updates",
    "counting": "counts, expected updates",
}
BUDGETS = ("updates", "evaluations")


def check_slip(slip) -> float:
    if isinstance(slip, (bool, np.bool_)) or not isinstance(slip, numbers.Real) or not 0 <= float(slip) <= 1:
        raise ValueError(f"slip is a probability and must lie in [0, 1], got {slip!r}.")
    return float(slip)


def slip_mix(slip: float, n_actions: int = _world.N_ACTIONS) -> np.ndarray:
    """The slip rule as probabilities: ``mix[a, b]`` = P(move ``b`` is carried out | action ``a`` chosen)
    = ``(1 - slip) * (a == b) + slip / n_actions``."""
    return (1 - slip) * np.eye(n_actions) + slip / n_actions


class SlipperyWorld(_world.QuentinsWorld):
    """Quentin's World where, with probability ``slip``, a uniformly random action replaces the chosen one.

    ``get_outcome(state, action)`` draws with NumPy's global generator (one
    uniform draw for the slip, one more for the replacement when it slips).
    """

    name = "SlipperyQuentinsWorld"

    def __init__(self, slip: float = 0.2, shortcut_open: bool = False):
        super().__init__(shortcut_open)
        self.slip = check_slip(slip)

    def __repr__(self) -> str:
        return f"SlipperyWorld(slip={self.slip}, shortcut_open={self.shortcut_open})"

    def get_outcome(self, state, action):
        action = _world.check_action(action)
        if np.random.random() < self.slip:
            action = int(np.random.randint(self.n_actions))
        return super().get_outcome(state, action)

    def get_all_outcomes(self) -> dict:
        """{(state, action): [(probability, next_state, reward)]}, outcomes merged by next state."""
        out = {}
        mix = slip_mix(self.slip, self.n_actions)
        for s in range(self.n_states):
            for a in range(self.n_actions):
                merged = {}
                for b in range(self.n_actions):
                    prob = float(mix[a, b])
                    nxt, reward = super().get_outcome(s, b)
                    old = merged.get(nxt, (0.0, 0.0))
                    merged[nxt] = (old[0] + prob, old[1] + prob * reward)
                out[s, a] = [(prob, nxt, total / prob) for nxt, (prob, total) in merged.items() if prob > 0]
        return out


def transition_model(slip: float, shortcut_open: bool = False):
    """Exact dynamics of the slippery world.

    Returns ``(P, R)``: ``P[s, a, s']`` for ``s'`` in 0..n_states, the last column
    meaning "the episode ended", and ``R[s, a]`` the expected reward.
    """
    slip = check_slip(slip)
    nxt = _world.NEXT_STATE_TABLE[int(bool(shortcut_open))]
    rew = _world.REWARD_TABLE[int(bool(shortcut_open))]
    n_s, n_a = nxt.shape
    mix = slip_mix(slip, n_a)  # mix[a, b]: P(move b | chose a)
    P = np.zeros((n_s, n_a, n_s + 1))
    for b in range(n_a):
        target = np.where(nxt[:, b] < 0, n_s, nxt[:, b])
        for a in range(n_a):
            np.add.at(P[:, a], (np.arange(n_s), target), mix[a, b])
    R = rew @ mix.T
    return P, R


def optimal_q(slip: float, gamma: float = 0.8, shortcut_open: bool = False, tol: float = 1e-12) -> np.ndarray:
    """(n_states, n_actions) true optimal action values of the slippery world (value iteration; the
    package's one: ``greedy_paths.optimal_values`` is this with ``slip = 0``)."""
    P, R = transition_model(slip, shortcut_open)
    q = np.zeros(R.shape)
    for _ in range(100_000):
        v = np.append(q.max(axis=1), 0.0)
        new = R + gamma * P @ v
        if np.max(np.abs(new - q)) < tol:
            return new
        q = new
    raise RuntimeError("value iteration did not converge")  # gamma < 1: cannot happen


def policy_value(value, slip: float, gamma: float = 0.8, shortcut_open: bool = False) -> np.ndarray:
    """(n_states,) exact value of the greedy policy of ``value`` (first best action) in the slippery world."""
    value = np.asarray(value, dtype=float)
    P, R = transition_model(slip, shortcut_open)
    n_s = R.shape[0]
    policy = value.argmax(axis=1)
    P_pi = P[np.arange(n_s), policy, :n_s]
    R_pi = R[np.arange(n_s), policy]
    return np.linalg.solve(np.eye(n_s) - gamma * P_pi, R_pi)


class CountingModel:
    """For every pair: how often each next state followed, and the rewards' sum.

    ``update(state, action, reward, next_state)`` records one real step (next
    state None at the end of an episode); ``tried()`` lists the pairs seen;
    ``outcomes(state, action)`` gives ``[(probability, next_state, mean reward)]``;
    ``expected_target(state, action, value, gamma)`` the expected update's target
    ``sum_s' p(s') (mean r(s') + gamma max_a value[s', a])`` (0 after the end);
    ``sample(state, action)`` one ``(mean reward, next_state)`` drawn with the
    observed frequencies (NumPy's global generator, one uniform draw).
    """

    def __init__(self):
        self._counts = {}  # (s, a) -> {next_state: [count, reward sum]}

    def update(self, state, action, reward, next_state):
        pair = (_world.check_state(state), _world.check_action(action))
        key = None if next_state is None else _world.check_state(next_state)
        entry = self._counts.setdefault(pair, {}).setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += float(reward)
        return self

    def tried(self) -> list:
        return list(self._counts)

    def count(self, state, action) -> int:
        return sum(c for c, _ in self._counts.get((state, action), {}).values())

    def outcomes(self, state, action) -> list:
        seen = self._counts.get((state, action))
        if not seen:
            raise ValueError(f"The pair ({state}, {action}) has not been tried: the model knows nothing of it.")
        total = sum(c for c, _ in seen.values())
        return [(c / total, nxt, r_sum / c) for nxt, (c, r_sum) in seen.items()]

    def expected_target(self, state, action, value, gamma) -> float:
        return sum(
            p * (r + (0.0 if nxt is None else gamma * float(np.max(value[nxt]))))
            for p, nxt, r in self.outcomes(state, action)
        )

    def sample(self, state, action):
        """One outcome of the pair, drawn with probability N(s, a, s') / N(s, a):
        ``(mean reward of that outcome, next_state)`` (next state None: the episode ended)."""
        self.outcomes(state, action)  # refuses a pair never tried
        seen = self._counts[state, action]
        u = np.random.random() * sum(c for c, _ in seen.values())
        for nxt, (c, r_sum) in seen.items():
            if u < c:
                break
            u -= c
        return r_sum / c, nxt


class PlanningBudget:
    """A running credit of planning work: ``k`` per real step, in ``unit`` "updates" or "evaluations".

    ``add_step()`` after each real step adds ``k``; ``has_credit()`` is true
    while the credit is positive; ``spend(evaluations)`` records one planning
    update that evaluated ``max_a' Q(s', a')`` that many times (1 for a sample
    update, b for an expected update over b next states) and subtracts its
    cost: 1 with ``unit="updates"`` (so exactly ``k`` updates per step), the
    evaluations with ``unit="evaluations"`` (a debt carries over to the next
    steps, so after n steps the evaluations made are ``k * n`` plus less than
    the largest single cost). ``steps``, ``updates``, ``evaluations`` count.
    """

    def __init__(self, k, unit="updates"):
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 0:
            raise ValueError(
                f"k is a number of planning updates or evaluations per real step: a whole number >= 0, got {k!r}."
            )
        if not isinstance(unit, str) or unit not in BUDGETS:
            raise ValueError(
                f"budget must be one of {BUDGETS} (k counts planning updates, or evaluations of "
                f"max Q(s', a') per real step), got {unit!r}."
            )
        self.k, self.unit = int(k), unit
        self.credit = self.steps = self.updates = self.evaluations = 0

    def add_step(self):
        self.steps += 1
        self.credit += self.k

    def has_credit(self) -> bool:
        return self.credit > 0

    def spend(self, evaluations: int):
        self.updates += 1
        self.evaluations += int(evaluations)
        self.credit -= int(evaluations) if self.unit == "evaluations" else 1

    def work(self) -> dict:
        return {"real_steps": self.steps, "planning_updates": self.updates, "evaluations": self.evaluations}


def learn_slippery(env, params, n_episodes, max_steps, model="counting", budget="updates", return_work=False):
    """Dyna-Q on ``env`` (e.g. a ``SlipperyWorld``) with one of ``MODELS``.

    Each step: epsilon-greedy action, Q-learning from the real step, model
    update, then planning updates of pairs drawn uniformly among those tried
    while the ``PlanningBudget`` (``params['k']`` per real step, in ``budget``
    "updates" or "evaluations") has credit: ``"cached"`` a sample update from
    the last (reward, next state), ``"counting-sample"`` a sample update from an
    outcome drawn from the counts, ``"counting"`` an expected update over the
    counts. Returns ``(value, reward_sums, episode_steps)``, and with
    ``return_work`` also ``PlanningBudget.work()``: real steps, planning
    updates and their evaluations of max Q(s', a').
    """
    if not isinstance(model, str) or model not in MODELS:
        raise ValueError(
            f"model must be one of {MODELS} ("
            + "; ".join(f"{name!r}: {words}" for name, words in MODEL_NAMES.items())
            + f"), got {model!r}."
        )
    for name in ("epsilon", "alpha", "gamma", "k"):
        _param(params, name)
    alpha, gamma = params["alpha"], params["gamma"]
    plan = PlanningBudget(params["k"], budget)
    value = np.ones((env.n_states, env.n_actions))
    cached = {}
    counts = CountingModel()
    observed = []
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)

    def step(value, state, action, reward, next_state):
        value = q_learning(state, action, reward, next_state, value, params)
        if (state, action) not in cached:
            observed.append((state, action))
        cached[state, action] = (reward, next_state)
        counts.update(state, action, reward, next_state)
        plan.add_step()
        while plan.has_credit():
            s, a = observed[np.random.randint(len(observed))]
            if model == "counting":
                target = counts.expected_target(s, a, value, gamma)
                value[s, a] += alpha * (target - value[s, a])
                plan.spend(len(counts.outcomes(s, a)))
            else:
                r, s_next = cached[s, a] if model == "cached" else counts.sample(s, a)
                value = q_learning(s, a, r, s_next, value, params)
                plan.spend(1)
        return value

    for episode in range(n_episodes):
        value, reward_sums[episode], episode_steps[episode] = run_episode(env, value, params, max_steps, step)
    if return_work:
        return value, reward_sums, episode_steps, plan.work()
    return value, reward_sums, episode_steps


__all__ = [
    "PARAMS",
    "MODELS",
    "MODEL_NAMES",
    "BUDGETS",
    "SlipperyWorld",
    "CountingModel",
    "PlanningBudget",
    "transition_model",
    "optimal_q",
    "policy_value",
    "learn_slippery",
    "check_slip",
    "slip_mix",
]
