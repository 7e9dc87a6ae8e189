"""Section 6's fast-engine kernels, written once for two backends. Import only through ``going_further.engine``.

The same source runs

* compiled: ``_further_numba`` registers every ``@jitable`` helper below with
  ``numba.extending.register_jitable`` (numba then compiles a helper into each
  kernel that calls it) and wraps each kernel with ``numba.njit(cache=True)``;
  it passes NumPy arrays;
* as plain Python: ``going_further.engine``'s ``"python"`` backend calls the
  functions as they are, with flat Python lists (CPython indexes lists much
  faster than NumPy arrays, element by element). ``@jitable`` only lists a
  helper in ``JITABLE``, so this path never imports numba (grading kernels,
  which run this backend, never load the compiler).

So the code keeps to what both understand: one flat index per table
(``pair = 4 * state + action``; the row ``n_states`` stands for "the episode
ended" and is worth 0), helpers only among the ``@jitable`` functions of this
file (numba calls no other plain Python, and its on-disk cache of a kernel
is refreshed when this file changes, not when another file does), every work
buffer passed in by the caller, and the standard library's ``random`` for
random numbers (numba has its own generator behind the same calls:
``random.seed`` inside a compiled function seeds that one). A run is
repeatable for a given seed and backend; the two backends draw different
numbers and agree in distribution (``tests/test_further_engine.py``).

The rules are those of the plain loops in ``dyna_plus``, ``prioritized`` and
``slippery`` (which run a student's functions): values start at 1;
epsilon-greedy takes the first best action when a uniform draw exceeds
epsilon, otherwise a uniformly random action (``epsilon_greedy``); an episode
ends with the step taken from the goal, or after ``max_steps``.

Every kernel takes its arguments in bundles (tuples, which numba compiles as well as single
arguments): ``world = (nxt, rew, n_states, start, goal)``, ``rates = (epsilon, alpha, gamma,
max_steps, n_episodes)``, ``work``, its work buffers in the order of ``going_further.engine.WORK``,
and ``out``, the arrays it writes its results to.

"Near-optimal" (``good_len > 0``): after every real step the kernel follows the
greedy policy (first best action) from the start; it is near-optimal when it
reaches the goal within ``good_len`` moves without entering a red cell (no
negative reward) (``greedy_is_near_optimal``). The first time that holds,
``first_out`` gets the number of value updates made so far (real and
planning) and the episode.
"""

import math
import random

JITABLE = []  # the helpers ``_further_numba`` registers with numba before it compiles the kernels


def jitable(function):
    """Mark ``function`` as a helper of the kernels: it stays a plain Python function (returned as is),
    and ``_further_numba`` registers it with ``numba.extending.register_jitable``."""
    JITABLE.append(function)
    return function


# ------------------------------------------------------------------ helpers (one home each)


@jitable
def first_best(q, s4):
    """The pair of the first best action of the row that starts at ``s4 = 4 * state`` (ties: the first)."""
    p = s4
    top = q[s4]
    for b in range(s4 + 1, s4 + 4):
        if q[b] > top:
            top = q[b]
            p = b
    return p


@jitable
def first_best_with_bonus(q, s4, kappa, now, last_tried):
    """As ``first_best``, each pair scored ``q + kappa * sqrt(now - last_tried)`` (Exercise 8.4)."""
    p = s4
    top = q[s4] + kappa * math.sqrt(now - last_tried[s4])
    for b in range(s4 + 1, s4 + 4):
        score = q[b] + kappa * math.sqrt(now - last_tried[b])
        if score > top:
            top = score
            p = b
    return p


@jitable
def row_max(q, state, end):
    """``max_a q[4 * state + a]``, and 0 for the row ``end`` (the episode ended: nothing to bootstrap)."""
    if state == end:
        return 0.0
    s4 = 4 * state
    best = q[s4]
    for b in range(s4 + 1, s4 + 4):
        if q[b] > best:
            best = q[b]
    return best


@jitable
def takes_greedy(epsilon):
    """Epsilon-greedy's first draw: True (probability 1 - epsilon) when the move is the greedy one."""
    return random.random() > epsilon


@jitable
def random_pair(s4):
    """A uniformly random action's pair in the row that starts at ``s4`` (one draw)."""
    return s4 + int(random.random() * 4)


@jitable
def epsilon_greedy(q, s4, epsilon):
    """The pair epsilon-greedy chooses in the row that starts at ``s4``: one draw, and a second for a
    random move."""
    if takes_greedy(epsilon):
        return first_best(q, s4)
    return random_pair(s4)


@jitable
def slipped(p, s4, slip):
    """The slippery world's rule on the chosen pair ``p``: with probability ``slip`` a uniformly random
    action of the row (possibly the same) replaces it (one draw, and a second when it slips)."""
    if random.random() < slip:
        return random_pair(s4)
    return p


@jitable
def remember(p, r, n_, model_r, model_n, seen, observed, n_observed):
    """The model keeps the last (reward, next state) of pair ``p``; a pair seen for the first time joins
    ``observed``. Returns the new number of observed pairs."""
    model_r[p] = r
    model_n[p] = n_
    if seen[p] == 0:
        seen[p] = 1
        observed[n_observed] = p
        n_observed += 1
    return n_observed


@jitable
def greedy_is_near_optimal(q, nxt, rew, base, start, goal, end, good_len):
    """True when the greedy policy (first best action) leads from ``start`` to ``goal`` within
    ``good_len`` moves without a negative reward; ``nxt``/``rew`` read from offset ``base``."""
    s = start
    for m in range(good_len):
        g = first_best(q, 4 * s)
        if rew[base + g] < 0:
            return False
        s = nxt[base + g]
        if s == goal:
            return True
        if s == end:
            return False
    return False


@jitable
def push(p, priority, theta, pos, prio, queue, n_queue):
    """Put pair ``p`` in the queue with ``priority`` if it exceeds ``theta``; a pair already queued keeps
    the higher of its old and new priority. Returns the new queue length."""
    if priority > theta:
        if pos[p] >= 0:
            if priority > prio[p]:
                prio[p] = priority
        else:
            pos[p] = n_queue
            queue[n_queue] = p
            n_queue += 1
            prio[p] = priority
    return n_queue


@jitable
def fresh_run(seed, q, seen):
    """A run's start: seed the random numbers, every value 1, no pair seen."""
    random.seed(seed)
    for i in range(len(q)):
        q[i] = 1.0
        seen[i] = 0


@jitable
def note_near_optimal(first_out, q, nxt, rew, base, start, goal, end, good_len, updates, episode):
    """The first time the greedy policy is near-optimal (``good_len > 0``), ``first_out`` gets the value
    updates made so far and the episode."""
    if good_len > 0 and first_out[0] < 0:
        if greedy_is_near_optimal(q, nxt, rew, base, start, goal, end, good_len):
            first_out[0] = updates
            first_out[1] = episode


@jitable
def record_episode(steps_out, reward_out, episode, steps, reward_sum):
    """An episode's steps and summed reward."""
    steps_out[episode] = steps
    reward_out[episode] = reward_sum


# ------------------------------------------------------------------ the kernels


def run_dyna(world, door_pair, door_episode, k, kappa, rates, seed, good_len, work, out, bonus_in_action=False):
    """Dyna-Q (``kappa == 0``), Dyna-Q+ (planning reward ``r + kappa * sqrt(tau)``), or, with
    ``bonus_in_action``, Dyna-Q with the bonus in action selection (Sutton & Barto, Exercise 8.4).

    nxt, rew: two tables of ``4 * n_states`` entries one after the other: the
    first is used before ``door_episode``, the second from it on
    (``door_episode < 0``: never). The shortcut world passes (closed, open),
    the blocking world (open, closed). No demonstration: the agent learns of
    the change only by trying. ``tau`` counts real steps since the pair was
    last tried (a pair never tried counts from step 0).
    ``bonus_in_action``: planning learns from the model's reward (no bonus)
    and the greedy choice is the first action with the largest
    ``Q(s, a) + kappa * sqrt(tau(s, a))`` (epsilon-random moves as usual).
    ``door_out[episode]``: how many times the episode took ``door_pair`` after
    the change (through the opened door, or into the closed one).
    """
    nxt, rew, n_states, start, goal = world
    epsilon, alpha, gamma, max_steps, n_episodes = rates
    q, model_r, model_n, observed, seen, last_tried = work
    steps_out, reward_out, door_out, first_out = out
    fresh_run(seed, q, seen)
    n_pairs = 4 * n_states
    end = n_states
    for i in range(n_pairs):
        last_tried[i] = 0
    n_observed = 0
    now = 0
    updates = 0
    first_out[0] = -1
    first_out[1] = -1
    base = 0
    for episode in range(n_episodes):
        if episode == door_episode:
            base = n_pairs
        state = start
        reward_sum = 0.0
        used = 0
        t = 0
        for t in range(max_steps):
            s4 = 4 * state
            if not bonus_in_action:
                p = epsilon_greedy(q, s4, epsilon)
            elif takes_greedy(epsilon):
                p = first_best_with_bonus(q, s4, kappa, now, last_tried)
            else:
                p = random_pair(s4)
            n_ = nxt[base + p]
            r = rew[base + p]
            reward_sum += r
            if p == door_pair and door_episode >= 0 and episode >= door_episode:
                used += 1
            q[p] = q[p] + alpha * (r + gamma * row_max(q, n_, end) - q[p])
            now += 1
            updates += 1
            last_tried[p] = now
            n_observed = remember(p, r, n_, model_r, model_n, seen, observed, n_observed)
            for _ in range(k):
                pp = observed[int(random.random() * n_observed)]
                best = row_max(q, model_n[pp], end)
                r = model_r[pp]
                if kappa > 0.0 and not bonus_in_action:
                    r = r + kappa * math.sqrt(now - last_tried[pp])
                q[pp] = q[pp] + alpha * (r + gamma * best - q[pp])
            updates += k
            note_near_optimal(first_out, q, nxt, rew, base, start, goal, end, good_len, updates, episode)
            if n_ == end:
                break
            state = n_
        record_episode(steps_out, reward_out, episode, t + 1, reward_sum)
        door_out[episode] = used


def run_prioritized(world, n_plan, theta, rates, seed, good_len, work, out):
    """Prioritized sweeping (Sutton & Barto, 2nd ed., section 8.4), deterministic model.

    Each real step: the model remembers (reward, next state) of the pair; the
    pair enters the queue when its error ``|r + gamma max Q(s') - Q(s, a)|``
    exceeds ``theta``; then up to ``n_plan`` times, while the queue is not empty:
    pop the pair of highest priority (ties: the smallest pair, as
    ``priority_queue.PriorityQueue``), update it from the model, and push every predecessor of its state
    whose error exceeds ``theta``. A push keeps the higher of the old and new
    priority (``push``). Values change only in those updates (as in the book's box).
    ``preds[state * 4 * n_states + i]``: the pairs the model predicts lead to
    ``state``, in increasing pair order. ``updates_out[episode]``: value updates
    made up to the end of that episode.
    """
    nxt, rew, n_states, start, goal = world
    epsilon, alpha, gamma, max_steps, n_episodes = rates
    q, model_r, model_n, seen, preds, n_preds, prio, pos, queue = work
    steps_out, reward_out, updates_out, first_out = out
    fresh_run(seed, q, seen)
    n_pairs = 4 * n_states
    end = n_states
    for i in range(n_pairs):
        pos[i] = -1
    for i in range(n_states):
        n_preds[i] = 0
    n_queue = 0
    updates = 0
    first_out[0] = -1
    first_out[1] = -1
    for episode in range(n_episodes):
        state = start
        reward_sum = 0.0
        t = 0
        for t in range(max_steps):
            p = epsilon_greedy(q, 4 * state, epsilon)
            n_ = nxt[p]
            r = rew[p]
            reward_sum += r
            # the model, and the predecessor lists (kept sorted by pair)
            if seen[p] == 1 and model_n[p] != n_ and model_n[p] != end:
                old = model_n[p]
                j = 0
                while preds[old * n_pairs + j] != p:
                    j += 1
                for i in range(j, n_preds[old] - 1):
                    preds[old * n_pairs + i] = preds[old * n_pairs + i + 1]
                n_preds[old] -= 1
            if n_ != end and (seen[p] == 0 or model_n[p] != n_):
                i = n_preds[n_]
                while i > 0 and preds[n_ * n_pairs + i - 1] > p:
                    preds[n_ * n_pairs + i] = preds[n_ * n_pairs + i - 1]
                    i -= 1
                preds[n_ * n_pairs + i] = p
                n_preds[n_] += 1
            seen[p] = 1
            model_r[p] = r
            model_n[p] = n_
            n_queue = push(p, abs(r + gamma * row_max(q, n_, end) - q[p]), theta, pos, prio, queue, n_queue)
            for _ in range(n_plan):
                if n_queue == 0:
                    break
                at = 0
                for i in range(1, n_queue):
                    c = queue[i]
                    b = queue[at]
                    if prio[c] > prio[b] or (prio[c] == prio[b] and c < b):
                        at = i
                pp = queue[at]
                last = queue[n_queue - 1]
                queue[at] = last
                pos[last] = at
                n_queue -= 1
                pos[pp] = -1
                q[pp] = q[pp] + alpha * (model_r[pp] + gamma * row_max(q, model_n[pp], end) - q[pp])
                updates += 1
                ps = pp // 4
                best = row_max(q, ps, end)
                for i in range(n_preds[ps]):
                    bar = preds[ps * n_pairs + i]
                    n_queue = push(bar, abs(model_r[bar] + gamma * best - q[bar]), theta, pos, prio, queue, n_queue)
            note_near_optimal(first_out, q, nxt, rew, 0, start, goal, end, good_len, updates, episode)
            if n_ == end:
                break
            state = n_
        record_episode(steps_out, reward_out, episode, t + 1, reward_sum)
        updates_out[episode] = updates


def run_slippery(world, slip, model, k, budget_evals, rates, seed, work, out):
    """Dyna-Q in the slippery world with one of three model/update combinations (``model``):

    * ``0`` (``"cached"``): the last (reward, next state) of each pair, sample updates
      ``Q(s,a) += alpha * (r + gamma max Q(s') - Q(s,a))``;
    * ``1`` (``"counting-sample"``): the counts, sample updates: ``s'`` is drawn with
      probability ``N(s,a,s')/N(s,a)``, ``r`` is that outcome's mean reward;
    * ``2`` (``"counting"``): the counts, expected updates:
      ``Q(s,a) += alpha * (sum_s' N(s,a,s')/N(s,a) * (mean r(s,a,s') + gamma max Q(s')) - Q(s,a))``.

    The counting model keeps, for each pair, the next states seen (at most 4,
    "the episode ended" included), how often, and their summed rewards.
    With probability ``slip`` the chosen action is replaced by a uniformly
    random one (possibly the same; ``slipped``). Real steps are Q-learning updates for all.

    Planning budget, a running credit: each real step adds ``k``; while the
    credit is positive, one planning update of a pair drawn uniformly among
    those tried is made and its cost subtracted (a debt carries over to the
    next steps). ``budget_evals`` false: every update costs 1 (exactly ``k``
    updates per real step). True: the cost is the number of evaluations of
    ``max_a' Q(s', a')`` the update makes (1 for a sample update, the number of
    next states seen, b, for an expected update; "the episode ended" counts as
    one), so evaluations average ``k`` per real step.
    ``tried[pair]`` counts real tries; ``work_out[0]``: planning updates made,
    ``work_out[1]``: evaluations they made (real steps' updates not included).
    """
    nxt, rew, n_states, start, _goal = world
    epsilon, alpha, gamma, max_steps, n_episodes = rates
    q, model_r, model_n, observed, seen, succ, succ_count, succ_rsum, n_succ, tried = work
    steps_out, reward_out, work_out = out
    fresh_run(seed, q, seen)
    n_pairs = 4 * n_states
    end = n_states
    for i in range(n_pairs):
        n_succ[i] = 0
        tried[i] = 0
    n_observed = 0
    credit = 0
    updates = 0
    evaluations = 0
    for episode in range(n_episodes):
        state = start
        reward_sum = 0.0
        t = 0
        for t in range(max_steps):
            s4 = 4 * state
            p = epsilon_greedy(q, s4, epsilon)
            actual = slipped(p, s4, slip)
            n_ = nxt[actual]
            r = rew[actual]
            reward_sum += r
            q[p] = q[p] + alpha * (r + gamma * row_max(q, n_, end) - q[p])
            tried[p] += 1
            j = 0
            while j < n_succ[p] and succ[4 * p + j] != n_:
                j += 1
            if j == n_succ[p]:
                succ[4 * p + j] = n_
                succ_count[4 * p + j] = 0
                succ_rsum[4 * p + j] = 0.0
                n_succ[p] += 1
            succ_count[4 * p + j] += 1
            succ_rsum[4 * p + j] += r
            n_observed = remember(p, r, n_, model_r, model_n, seen, observed, n_observed)
            credit += k
            while credit > 0:
                pp = observed[int(random.random() * n_observed)]
                if model == 2:
                    target = 0.0
                    for j in range(n_succ[pp]):
                        best = row_max(q, succ[4 * pp + j], end)
                        target += succ_rsum[4 * pp + j] + succ_count[4 * pp + j] * gamma * best
                    target = target / tried[pp]
                    cost = n_succ[pp]
                else:
                    if model == 1:
                        u = random.random() * tried[pp]
                        j = 0
                        seen_count = succ_count[4 * pp]
                        while j < n_succ[pp] - 1 and u >= seen_count:
                            j += 1
                            seen_count += succ_count[4 * pp + j]
                        pn = succ[4 * pp + j]
                        r = succ_rsum[4 * pp + j] / succ_count[4 * pp + j]
                    else:
                        pn = model_n[pp]
                        r = model_r[pp]
                    target = r + gamma * row_max(q, pn, end)
                    cost = 1
                q[pp] = q[pp] + alpha * (target - q[pp])
                updates += 1
                evaluations += cost
                if budget_evals:
                    credit -= cost
                else:
                    credit -= 1
            if n_ == end:
                break
            state = n_
        record_episode(steps_out, reward_out, episode, t + 1, reward_sum)
    work_out[0] = updates
    work_out[1] = evaluations
