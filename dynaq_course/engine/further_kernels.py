"""Section 6's fast-engine kernels, written once for two backends. Import only through ``further_engine``.

The same source runs

* compiled: ``_further_numba`` wraps each function with ``numba.njit(cache=True)``
  and passes NumPy arrays;
* as plain Python: ``further_engine``'s ``"python"`` backend calls the functions
  as they are, with flat Python lists (CPython indexes lists much faster than
  NumPy arrays, element by element).

So the code keeps to what both understand: one flat index per table
(``pair = 4 * state + action``; the row ``n_states`` stands for "the episode
ended" and is worth 0), no helper functions (numba cannot call plain Python),
every work buffer passed in by the caller, and the standard library's
``random`` for random numbers (numba has its own generator behind the same
calls: ``random.seed`` inside a compiled function seeds that one). A run is
repeatable for a given seed and backend; the two backends draw different
numbers and agree in distribution (``tests/test_further_engine.py``).

The rules are those of the plain loops in ``dyna_plus``, ``prioritized`` and
``stochastic`` (which run a student's functions): values start at 1;
epsilon-greedy takes the first best action when a uniform draw exceeds
epsilon, otherwise a uniformly random action; an episode ends with the step
taken from the goal, or after ``max_steps``.

"Near-optimal" (``good_len > 0``): after every real step the kernel follows the
greedy policy (first best action) from the start; it is near-optimal when it
reaches the goal within ``good_len`` moves without entering a red cell (no
negative reward). The first time that holds, ``first_out`` gets the number of
value updates made so far (real and planning) and the episode.
"""
import math
import random


def run_dyna(nxt, rew, n_states, start, goal, door_pair, door_episode, k, kappa, epsilon, alpha, gamma,
             max_steps, n_episodes, seed, good_len,
             q, model_r, model_n, observed, seen, last_tried,
             steps_out, reward_out, door_out, first_out, bonus_in_action=False):
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
    random.seed(seed)
    n_pairs = 4 * n_states
    end = n_states
    for i in range(n_pairs):
        q[i] = 1.0
        seen[i] = 0
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
            if random.random() > epsilon:
                p = s4
                if bonus_in_action:
                    top = q[s4] + kappa * math.sqrt(now - last_tried[s4])
                    for b in range(s4 + 1, s4 + 4):
                        score = q[b] + kappa * math.sqrt(now - last_tried[b])
                        if score > top:
                            top = score
                            p = b
                else:
                    top = q[s4]
                    for b in range(s4 + 1, s4 + 4):
                        if q[b] > top:
                            top = q[b]
                            p = b
            else:
                p = s4 + int(random.random() * 4)
            n_ = nxt[base + p]
            r = rew[base + p]
            reward_sum += r
            if p == door_pair and door_episode >= 0 and episode >= door_episode:
                used += 1
            best = 0.0
            if n_ != end:
                best = q[4 * n_]
                for b in range(4 * n_ + 1, 4 * n_ + 4):
                    if q[b] > best:
                        best = q[b]
            q[p] = q[p] + alpha * (r + gamma * best - q[p])
            now += 1
            updates += 1
            model_r[p] = r
            model_n[p] = n_
            last_tried[p] = now
            if seen[p] == 0:
                seen[p] = 1
                observed[n_observed] = p
                n_observed += 1
            for _ in range(k):
                pp = observed[int(random.random() * n_observed)]
                pn = model_n[pp]
                best = 0.0
                if pn != end:
                    best = q[4 * pn]
                    for b in range(4 * pn + 1, 4 * pn + 4):
                        if q[b] > best:
                            best = q[b]
                r = model_r[pp]
                if kappa > 0.0 and not bonus_in_action:
                    r = r + kappa * math.sqrt(now - last_tried[pp])
                q[pp] = q[pp] + alpha * (r + gamma * best - q[pp])
            updates += k
            if good_len > 0 and first_out[0] < 0:
                s = start
                for m in range(good_len):
                    s4 = 4 * s
                    g = s4
                    top = q[s4]
                    for b in range(s4 + 1, s4 + 4):
                        if q[b] > top:
                            top = q[b]
                            g = b
                    if rew[base + g] < 0:
                        break
                    s = nxt[base + g]
                    if s == goal:
                        first_out[0] = updates
                        first_out[1] = episode
                        break
                    if s == end:
                        break
            if n_ == end:
                break
            state = n_
        steps_out[episode] = t + 1
        reward_out[episode] = reward_sum
        door_out[episode] = used


def run_prioritized(nxt, rew, n_states, start, goal, n_plan, theta, epsilon, alpha, gamma,
                    max_steps, n_episodes, seed, good_len,
                    q, model_r, model_n, seen, preds, n_preds, prio, pos, queue,
                    steps_out, reward_out, updates_out, first_out):
    """Prioritized sweeping (Sutton & Barto, 2nd ed., section 8.4), deterministic model.

    Each real step: the model remembers (reward, next state) of the pair; the
    pair enters the queue when its error ``|r + gamma max Q(s') - Q(s, a)|``
    exceeds ``theta``; then up to ``n_plan`` times, while the queue is not empty:
    pop the pair of highest priority (ties: the smallest pair, as
    ``prioritized.PriorityQueue``), update it from the model, and push every predecessor of its state
    whose error exceeds ``theta``. A push keeps the higher of the old and new
    priority. Values change only in those updates (as in the book's box).
    ``preds[state * 4 * n_states + i]``: the pairs the model predicts lead to
    ``state``, in increasing pair order. ``updates_out[episode]``: value updates
    made up to the end of that episode.
    """
    random.seed(seed)
    n_pairs = 4 * n_states
    end = n_states
    for i in range(n_pairs):
        q[i] = 1.0
        seen[i] = 0
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
            s4 = 4 * state
            if random.random() > epsilon:
                p = s4
                top = q[s4]
                for b in range(s4 + 1, s4 + 4):
                    if q[b] > top:
                        top = q[b]
                        p = b
            else:
                p = s4 + int(random.random() * 4)
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
            best = 0.0
            if n_ != end:
                best = q[4 * n_]
                for b in range(4 * n_ + 1, 4 * n_ + 4):
                    if q[b] > best:
                        best = q[b]
            priority = abs(r + gamma * best - q[p])
            if priority > theta:
                if pos[p] >= 0:
                    if priority > prio[p]:
                        prio[p] = priority
                else:
                    pos[p] = n_queue
                    queue[n_queue] = p
                    n_queue += 1
                    prio[p] = priority
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
                pn = model_n[pp]
                best = 0.0
                if pn != end:
                    best = q[4 * pn]
                    for b in range(4 * pn + 1, 4 * pn + 4):
                        if q[b] > best:
                            best = q[b]
                q[pp] = q[pp] + alpha * (model_r[pp] + gamma * best - q[pp])
                updates += 1
                ps = pp // 4
                best = q[4 * ps]
                for b in range(4 * ps + 1, 4 * ps + 4):
                    if q[b] > best:
                        best = q[b]
                for i in range(n_preds[ps]):
                    bar = preds[ps * n_pairs + i]
                    priority = abs(model_r[bar] + gamma * best - q[bar])
                    if priority > theta:
                        if pos[bar] >= 0:
                            if priority > prio[bar]:
                                prio[bar] = priority
                        else:
                            pos[bar] = n_queue
                            queue[n_queue] = bar
                            n_queue += 1
                            prio[bar] = priority
            if good_len > 0 and first_out[0] < 0:
                s = start
                for m in range(good_len):
                    s4 = 4 * s
                    g = s4
                    top = q[s4]
                    for b in range(s4 + 1, s4 + 4):
                        if q[b] > top:
                            top = q[b]
                            g = b
                    if rew[g] < 0:
                        break
                    s = nxt[g]
                    if s == goal:
                        first_out[0] = updates
                        first_out[1] = episode
                        break
                    if s == end:
                        break
            if n_ == end:
                break
            state = n_
        steps_out[episode] = t + 1
        reward_out[episode] = reward_sum
        updates_out[episode] = updates


def run_slippery(nxt, rew, n_states, start, slip, model, k, budget_evals, epsilon, alpha, gamma,
                 max_steps, n_episodes, seed,
                 q, model_r, model_n, observed, seen, succ, succ_count, succ_rsum, n_succ, tried,
                 steps_out, reward_out, work_out):
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
    random one (possibly the same). Real steps are Q-learning updates for all.

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
    random.seed(seed)
    n_pairs = 4 * n_states
    end = n_states
    for i in range(n_pairs):
        q[i] = 1.0
        seen[i] = 0
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
            if random.random() > epsilon:
                p = s4
                top = q[s4]
                for b in range(s4 + 1, s4 + 4):
                    if q[b] > top:
                        top = q[b]
                        p = b
            else:
                p = s4 + int(random.random() * 4)
            actual = p
            if random.random() < slip:
                actual = s4 + int(random.random() * 4)
            n_ = nxt[actual]
            r = rew[actual]
            reward_sum += r
            best = 0.0
            if n_ != end:
                best = q[4 * n_]
                for b in range(4 * n_ + 1, 4 * n_ + 4):
                    if q[b] > best:
                        best = q[b]
            q[p] = q[p] + alpha * (r + gamma * best - q[p])
            tried[p] += 1
            model_r[p] = r
            model_n[p] = n_
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
            if seen[p] == 0:
                seen[p] = 1
                observed[n_observed] = p
                n_observed += 1
            credit += k
            while credit > 0:
                pp = observed[int(random.random() * n_observed)]
                if model == 2:
                    target = 0.0
                    for j in range(n_succ[pp]):
                        pn = succ[4 * pp + j]
                        best = 0.0
                        if pn != end:
                            best = q[4 * pn]
                            for b in range(4 * pn + 1, 4 * pn + 4):
                                if q[b] > best:
                                    best = q[b]
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
                    best = 0.0
                    if pn != end:
                        best = q[4 * pn]
                        for b in range(4 * pn + 1, 4 * pn + 4):
                            if q[b] > best:
                                best = q[b]
                    target = r + gamma * best
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
        steps_out[episode] = t + 1
        reward_out[episode] = reward_sum
    work_out[0] = updates
    work_out[1] = evaluations
