"""Prioritized sweeping (Sutton & Barto, 2nd ed., section 8.4) on Quentin's World.

* ``PriorityQueue``: pairs ``(state, action)`` with priorities; ``push`` keeps
  the highest priority per pair, ``pop`` returns the pair of highest priority.
* ``prioritized_sweeping(env, params, n_episodes, max_steps, push_predecessors)``:
  the agent loop. It runs the caller's ``push_predecessors(model, value, queue,
  state, params)`` (the section's exercise: this package has no copy of it)
  after every value update, so the notebook can run the student's own.
* ``episode_report(env, params, n_episodes, max_steps, push_predecessors, seed)``:
  the same run, recording where each episode's steps went (pairs tried for
  the first time, the most repeated pair, the values the agent followed
  against the true ones, the queue) -> ``EpisodeReport`` (``describe()``
  explains the longest episode in a few sentences; ``table()``).

The loop follows the book's box, with the course's conventions (values start
at 1; the model is ``agent.new_model``'s array: ``model[s, a] = (reward,
next_state)``, next state NaN when the step ended the episode):

    each real step: choose A epsilon-greedily in S, observe R, S';
        model[S, A] = R, S'
        P = |R + gamma max_a Q(S', a) - Q(S, A)|; if P > theta: push (S, A) with P
        repeat n times while the queue is not empty:
            (s, a) = pop; Q(s, a) += alpha (model reward + gamma max Q(model next) - Q(s, a))
            push_predecessors(model, Q, queue, s, params)

Values change only in the planning updates (no separate real-step update, as
in the book). The fast engine (``further_engine.simulate_prioritized``) runs
the same algorithm, compiled.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from dynaq_course.agent import _param, new_model, run_episode
from dynaq_course.params import tutorial_params
from dynaq_course.priority_queue import PriorityQueue

PARAMS = tutorial_params(theta=1e-4, n=5)


def _best(value, next_state) -> float:
    if next_state is None or (isinstance(next_state, float) and math.isnan(next_state)):
        return 0.0
    return float(np.max(value[int(next_state)]))


def prioritized_sweeping(env, params, n_episodes, max_steps, push_predecessors):
    """Run prioritized sweeping on ``env`` with the given ``push_predecessors``.

    ``params``: 'epsilon', 'alpha', 'gamma', 'theta' (queue threshold) and 'n'
    (at most n planning updates per real step); see ``PARAMS``.
    Random draws use NumPy's global generator (``np.random.seed`` repeats a run).
    Returns ``(value, reward_sums, episode_steps, updates)``; ``updates[e]`` is
    the number of value updates made up to the end of episode ``e``.
    """
    return _run(env, params, n_episodes, max_steps, push_predecessors)


def _run(env, params, n_episodes, max_steps, push_predecessors, watch=None):
    """The loop of ``prioritized_sweeping``. ``watch``, if given, is called after every real step
    (and its planning updates) as ``watch(episode, state, action, reward, next_state, chosen_value,
    new_pair, queue_after_push, planned)``: ``chosen_value`` is ``value[state, action]`` when the
    action was chosen, ``new_pair`` whether the pair had never been tried before, ``queue_after_push``
    the number of pairs in the queue after the real step's push, ``planned`` the planning updates
    made at this step. It draws no random numbers: a watched run is the same run."""
    for name in ("epsilon", "alpha", "gamma", "theta", "n"):
        _param(params, name)
    if not callable(push_predecessors):
        raise TypeError("push_predecessors must be a function push_predecessors(model, value, queue, state, params).")
    n_plan = int(params["n"])
    alpha, gamma, theta = params["alpha"], params["gamma"], params["theta"]
    who = getattr(push_predecessors, "__name__", "push_predecessors")
    value = np.ones((env.n_states, env.n_actions))
    model = new_model(env.n_states, env.n_actions)
    queue = PriorityQueue()
    reward_sums = np.zeros(n_episodes)
    episode_steps = np.zeros(n_episodes)
    updates = np.zeros(n_episodes, dtype=np.int64)
    done = 0

    def step(value, state, action, reward, next_state):
        nonlocal queue, done
        if watch is not None:
            chosen_value, new_pair = float(value[state, action]), bool(np.isnan(model[state, action, 0]))
        model[state, action] = reward, (np.nan if next_state is None else next_state)
        priority = abs(reward + gamma * _best(value, next_state) - value[state, action])
        if priority > theta:
            queue.push((state, action), priority)
        waiting, before = len(queue), done
        for _ in range(n_plan):
            if not len(queue):
                break
            (s, a), _ = queue.pop()
            r, s_next = model[s, a]
            value[s, a] += alpha * (r + gamma * _best(value, s_next) - value[s, a])
            done += 1
            returned = push_predecessors(model, value, queue, s, params)
            if returned is None:
                raise TypeError(f"{who} returned None. It must return the queue (add `return queue`).")
            if not isinstance(returned, PriorityQueue):
                raise TypeError(f"{who} must return the queue it was given, got {type(returned).__name__}.")
            queue = returned
        if watch is not None:
            watch(episode, state, action, reward, next_state, chosen_value, new_pair, waiting, done - before)
        return value

    for episode in range(n_episodes):
        value, reward_sums[episode], episode_steps[episode] = run_episode(env, value, params, max_steps, step)
        updates[episode] = done
    return value, reward_sums, episode_steps, updates


ACTION_NAMES = ("right", "up", "left", "down")


@dataclass
class EpisodeReport:
    """``episode_report``'s result: where each episode's real steps went. Arrays have one entry per episode.

    * ``steps``, ``reward_sums``, ``updates`` (value updates up to the episode's end) and ``value`` (the
      final values): what ``prioritized_sweeping`` returns for the same run.
    * ``new_pairs``: steps that tried a pair never tried before; ``known_pairs``: pairs tried at least
      once by the episode's end (of ``n_pairs``).
    * ``top_pair`` / ``top_count``: the pair the episode took most often and how often; ``top_stays``:
      that pair left the agent where it was (a bump into the border; the last time it was taken).
    * ``chosen_value``: median, over the episode's steps, of the value the agent gave the pair it chose
      (when it chose it); ``chosen_true``: median of the same pairs' true optimal values Q* (NaN when the
      world is not the deterministic ``QuentinsWorld``, whose Q* ``greedy_paths.optimal_values`` knows).
    * ``planning_updates``: value updates in the episode; ``queue_peak``: the most pairs waiting in the
      queue after a real step's push.
    * ``action_counts``: (n_episodes, n_actions) how often the episode took each action (greedy or not).
    """

    steps: np.ndarray
    reward_sums: np.ndarray
    updates: np.ndarray
    value: np.ndarray
    new_pairs: np.ndarray
    known_pairs: np.ndarray
    top_pair: list
    top_count: np.ndarray
    top_stays: np.ndarray
    chosen_value: np.ndarray
    chosen_true: np.ndarray
    planning_updates: np.ndarray
    queue_peak: np.ndarray
    action_counts: np.ndarray
    n_pairs: int

    def longest(self) -> int:
        """The episode with the most steps (the first of them on a tie)."""
        return int(np.argmax(self.steps))

    def describe(self, episode: int | None = None) -> str:
        """Where the steps of ``episode`` (default: the longest) went, in a few plain sentences."""
        n = len(self.steps)
        e = self.longest() if episode is None else episode
        if isinstance(e, bool) or not isinstance(e, numbers.Integral) or not 0 <= e < n:
            raise ValueError(f"episode must be an episode number 0..{n - 1}, got {episode!r}.")
        e = int(e)
        steps, new = int(self.steps[e]), int(self.new_pairs[e])
        before = int(self.known_pairs[e - 1]) if e else 0
        (s, a), count = self.top_pair[e], int(self.top_count[e])
        action = ACTION_NAMES[a] if a < len(ACTION_NAMES) else f"action {a}"
        stays = " (a bump into the border: the agent stays where it is)" if self.top_stays[e] else ""
        text = [
            f"Episode {e}: {steps} steps (the median episode of this run took {np.median(self.steps):.0f}).",
            f"{new} of them tried a pair for the first time: pairs tried so far went from {before} to "
            f"{int(self.known_pairs[e])} of {self.n_pairs}.",
            f"The other {steps - new} steps repeated pairs tried before; the most repeated: {action} from "
            f"state {s}, {count} times{stays}.",
        ]
        if np.isfinite(self.chosen_true[e]):
            text.append(
                f"The agent valued the pairs it chose at {self.chosen_value[e]:.2f} (median), their true "
                f"optimal value is {self.chosen_true[e]:.3f} (median): values start at 1 and fall only as "
                f"planning updates them."
            )
        else:
            text.append(f"The agent valued the pairs it chose at {self.chosen_value[e]:.2f} (median).")
        text.append(
            f"Planning made {int(self.planning_updates[e]):,} value updates in the episode; up to "
            f"{int(self.queue_peak[e])} pairs waited in the queue."
        )
        return "\n".join(text)

    def table(self) -> str:
        """One line per episode: steps, new pairs, pairs tried, the most repeated pair, values, queue."""
        has_true = bool(np.isfinite(self.chosen_true).any())
        lines = [
            f"{'episode':>7} {'steps':>6} {'new pairs':>9} {'pairs tried':>11} {'most repeated pair':>22} "
            f"{'value chosen':>12}" + (f" {'true value':>10}" if has_true else "") + f" {'queue peak':>10}"
        ]
        for e in range(len(self.steps)):
            (s, a), c = self.top_pair[e], int(self.top_count[e])
            pair = f"({s}, {ACTION_NAMES[a] if a < len(ACTION_NAMES) else a}) x{c}"
            lines.append(
                f"{e:7d} {int(self.steps[e]):6d} {int(self.new_pairs[e]):9d} {int(self.known_pairs[e]):11d} "
                f"{pair:>22} {self.chosen_value[e]:12.2f}"
                + (f" {self.chosen_true[e]:10.3f}" if has_true else "")
                + f" {int(self.queue_peak[e]):10d}"
            )
        return "\n".join(lines)


def episode_report(env, params, n_episodes, max_steps, push_predecessors, seed=None) -> EpisodeReport:
    """Run ``prioritized_sweeping`` (the same run: the same random draws) and record where each
    episode's steps went (``EpisodeReport``). ``seed``: calls ``np.random.seed(seed)`` first (None:
    NumPy's global generator as it is). E.g. ``print(episode_report(...).describe())`` explains the
    longest episode."""
    from dynaq_course.going_further.greedy_paths import optimal_values
    from dynaq_course.world import QuentinsWorld

    if isinstance(n_episodes, bool) or not isinstance(n_episodes, numbers.Integral) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a whole number >= 1, got {n_episodes!r}.")
    if seed is not None:
        np.random.seed(seed)
    q_star = None
    if type(env) is QuentinsWorld:
        q_star = optimal_values(env.shortcut_open, float(params["gamma"]))
    rows = [dict(new=0, counts={}, stays={}, chosen=[], true=[], planned=0, peak=0) for _ in range(n_episodes)]
    actions = np.zeros((n_episodes, env.n_actions), dtype=np.int64)

    def watch(episode, state, action, reward, next_state, chosen_value, new_pair, waiting, planned):
        row = rows[episode]
        row["new"] += new_pair
        row["counts"][state, action] = row["counts"].get((state, action), 0) + 1
        row["stays"][state, action] = next_state == state
        row["chosen"].append(chosen_value)
        if q_star is not None:
            row["true"].append(q_star[state, action])
        row["planned"] += planned
        row["peak"] = max(row["peak"], waiting)
        actions[episode, action] += 1

    value, reward_sums, steps, updates = _run(env, params, n_episodes, max_steps, push_predecessors, watch)
    new_pairs = np.array([r["new"] for r in rows])
    # a pair's most-taken count: the first pair in order of first use on a tie
    tops = [max(r["counts"].items(), key=lambda kv: kv[1]) for r in rows]
    nan = float("nan")
    return EpisodeReport(
        steps,
        reward_sums,
        updates,
        value,
        new_pairs,
        np.cumsum(new_pairs),
        [p for p, _ in tops],
        np.array([c for _, c in tops]),
        np.array([rows[e]["stays"][p] for e, (p, _) in enumerate(tops)]),
        np.array([float(np.median(r["chosen"])) for r in rows]),
        np.array([float(np.median(r["true"])) if r["true"] else nan for r in rows]),
        np.array([r["planned"] for r in rows]),
        np.array([r["peak"] for r in rows]),
        actions,
        env.n_states * env.n_actions,
    )


__all__ = ["PARAMS", "EpisodeReport", "PriorityQueue", "episode_report", "prioritized_sweeping"]
