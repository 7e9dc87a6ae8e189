"""Section 6's claims about the world getting worse (blocking) and about where the bonus goes
(Sutton & Barto's Exercise 8.4), measured over many seeds on the fast engine (numba backend; fixed seeds:
the notebook's seed and one other, 100 runs each).

(B) The blocking world (further_experiments.blocking_experiment: the door (64, up) is open in episodes
    0-99 and closes at episode 100 of 300; Q-learning, Dyna-Q k = 10, Dyna-Q+ kappa 0.001, the bonus in
    action selection kappa 0.001):
    B1 before the change every agent takes the short route: >= 80% of its last 20 episodes reach the
       goal penalty-free in <= 12 steps (only the open door allows that), and >= 50% in every run;
    B2 every agent walks into the closed door in the first episode after the change (>= 95% of runs):
       the model is wrong in an optimistic way, so the agent goes and meets the error;
    B3 steps per episode jump: episodes 100-109 take >= 3x the steps of the last 20 before, every agent;
    B4 Dyna-Q recovers: >= 95% of runs penalty-free (8 of 10 episodes) with median <= 10 episodes after
       the change, >= 95% on the new route (also <= 30 steps) with median <= 20, <= 2 bumps per run;
    B5 Q-learning recovers more slowly: median episodes to penalty-free and to on-route >= 3x Dyna-Q's
       (one-sided Mann-Whitney p < 1e-6);
    B6 Dyna-Q+ stops paying penalties as soon as Dyna-Q (>= 95% penalty-free, median <= 10) but keeps
       exploring: on route in <= 50% of runs, last-50 steps >= 1.3x Dyna-Q's, its final greedy policy
       is off the best route in >= 80% of runs (Dyna-Q: on it in >= 95%), and less reward per 1000 steps
       after the change than Dyna-Q (p < 1e-6);
    B7 the bonus in action selection leaves the values right (final greedy policy on the best route in
       >= 95% of runs, on route >= 90%) but pays for exploring in behaviour: last-50 steps >= 1.1x
       Dyna-Q's (p < 1e-4); reward per 1000 steps after the change between Dyna-Q+'s and Dyna-Q's;
    B8 over the whole run Dyna-Q collects the most reward, Q-learning the least.
(C) Optimistic against pessimistic model errors (further_experiments.bonus_placement, both worlds):
    C1 Dyna-Q finds the opened shortcut in <= 15% of runs (the pessimistic error: the model says "wall"
       and the agent never goes to check), but recovers from the block in >= 95% (penalty-free and on
       route).
(D) The bonus in planning (Dyna-Q+) against the bonus in action selection, at the same kappa:
    D1 kappa 0.001, shortcut: the action bonus finds the door far more often than Dyna-Q (>= 40% against
       <= 15%) but less often than Dyna-Q+ (>= 15 points fewer), and explores less before the door
       opens (fewer steps per episode, p < 1e-4);
    D2 kappa 0.01, shortcut: both find it in >= 95% of runs; the action bonus then uses it in >= 90% of
       the last 100 episodes, Dyna-Q+ in <= 75%; the action bonus's last-50 steps are <= 0.5x Dyna-Q+'s;
       its final greedy policy takes the door in >= 95% of runs, Dyna-Q+'s in <= 10%;
    D3 kappa 0.01, blocking: neither placement gets back on the new route (<= 10% of runs), while the
       action bonus at kappa 0.001 does (>= 90%): the bonus must be small next to the values' gaps, and
       on the 19-step route (gamma 0.8) they are tiny;
    D4 the action bonus never damages the values: final greedy policy on the best route in >= 95% of
       blocking runs at both kappas (even at 0.01, where its behaviour is bad).

Negative controls: each claim group must reject data where its claims are false: a "Dyna-Q+" that is
Dyna-Q (an agent that ignores kappa), a "Q-learning" that is Dyna-Q, an action-bonus agent with kappa 0,
the shortcut world labelled as blocking, the blocking runs with the change relabelled to an episode where
nothing changes, Dyna-Q+ in Dyna-Q's place (for the contrast), and Dyna-Q+'s runs labelled as the action
bonus's.
"""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from dynaq_course import engine
from dynaq_course.going_further import engine as fe
from dynaq_course.going_further import experiments as fx

pytestmark = pytest.mark.skipif(
    not engine.numba_available(), reason="the statistics run on the numba engine (too slow in plain Python)"
)

Q, DQ, DQP, ACT = (a.label for a in fx.BLOCKING_AGENTS)
P_DQ, P_PLUS3, P_PLUS2, P_ACT3, P_ACT2 = (a.label for a in fx.PLACEMENT_AGENTS)
SEEDS = (fx.SEED, 7)
N_RUNS = 100


def _median(x) -> float:
    x = np.asarray(x, float)
    return float(np.median(x)) if x.size else float("inf")


def _recovery(c, label, on_route):
    """(n_runs,) episodes after the change until recovered; runs that never did count as the run's length."""
    r = c.result(label)
    rec = r.recovery(**fx.RECOVERY, max_steps=fx.RECOVERED_STEPS if on_route else None)[0].astype(float)
    rec[rec < 0] = r.steps.shape[2] - c.change_episode
    return rec


def _recovered(c, label, on_route):
    r = c.result(label)
    rec = r.recovery(**fx.RECOVERY, max_steps=fx.RECOVERED_STEPS if on_route else None)[0]
    return (rec >= 0).mean(), _median(rec[rec >= 0])


def _last50(c, label):
    return c.result(label).steps[0, :, -50:].mean(axis=1)


def _less(a, b) -> float:
    """One-sided Mann-Whitney p-value that a tends to be smaller than b."""
    return stats.mannwhitneyu(a, b, alternative="less").pvalue


# ------------------------------------------------------------------ (B) the blocking world


def blocking_claims(c) -> dict:
    """{claim: (holds, detail)} for a ChangeComparison of fx.BLOCKING_AGENTS in the blocking world."""
    e = c.change_episode
    out = {}
    short = {label: c.short_route_before(label) for label in c.labels}
    out["B1 short route before the change"] = (
        all(s.mean() >= 0.8 and s.min() >= 0.5 for s in short.values()),
        {label: (round(s.mean(), 2), round(s.min(), 2)) for label, s in short.items()},
    )
    bump_first = {label: (c.result(label).door_taken[0, :, e] >= 1).mean() for label in c.labels}
    out["B2 everyone walks into the closed door at once"] = (min(bump_first.values()) >= 0.95, bump_first)
    jump = {
        label: c.result(label).steps[0, :, e : e + 10].mean()
        / c.result(label).steps[0, :, max(0, e - fx.BEFORE_WINDOW) : e].mean()
        for label in c.labels
    }
    out["B3 steps jump"] = (min(jump.values()) >= 3, {k: round(v, 1) for k, v in jump.items()})
    free, route = _recovered(c, DQ, False), _recovered(c, DQ, True)
    bumps = c.result(DQ).bumps()[0].mean()
    out["B4 Dyna-Q recovers"] = (
        free[0] >= 0.95 and free[1] <= 10 and route[0] >= 0.95 and route[1] <= 20 and bumps <= 2,
        f"penalty-free {free}, on route {route}, bumps {bumps:.2f}",
    )
    ratios = [_median(_recovery(c, Q, r)) / max(_median(_recovery(c, DQ, r)), 1) for r in (False, True)]
    p = max(_less(_recovery(c, DQ, r), _recovery(c, Q, r)) for r in (False, True))
    out["B5 Q-learning recovers more slowly"] = (
        min(ratios) >= 3 and p < 1e-6,
        f"median ratios {np.round(ratios, 1)}, p = {p:.2g}",
    )
    free, route = _recovered(c, DQP, False), _recovered(c, DQP, True)
    steps_ratio = _last50(c, DQP).mean() / _last50(c, DQ).mean()
    ok_plus, ok_q = c.greedy_ok(DQP).mean(), c.greedy_ok(DQ).mean()
    after_plus, after_q = c.reward_per_1000_steps(DQP, True), c.reward_per_1000_steps(DQ, True)
    p = _less(after_plus, after_q)
    out["B6 Dyna-Q+ stops the penalties but keeps exploring"] = (
        free[0] >= 0.95
        and free[1] <= 10
        and route[0] <= 0.5
        and steps_ratio >= 1.3
        and ok_plus <= 0.2
        and ok_q >= 0.95
        and p < 1e-6,
        f"penalty-free {free}, on route {route}, last-50 steps ratio {steps_ratio:.2f}, greedy ok {ok_plus:.2f} "
        f"vs {ok_q:.2f}, reward/1000 steps after {after_plus.mean():.1f} vs {after_q.mean():.1f} (p = {p:.2g})",
    )
    route = _recovered(c, ACT, True)
    ok_act = c.greedy_ok(ACT).mean()
    steps_ratio = _last50(c, ACT).mean() / _last50(c, DQ).mean()
    p = _less(_last50(c, DQ), _last50(c, ACT))
    after_act = c.reward_per_1000_steps(ACT, True).mean()
    out["B7 the action bonus: right values, exploring in behaviour"] = (
        ok_act >= 0.95
        and route[0] >= 0.9
        and steps_ratio >= 1.1
        and p < 1e-4
        and after_plus.mean() < after_act < after_q.mean(),
        f"greedy ok {ok_act:.2f}, on route {route}, last-50 steps ratio {steps_ratio:.2f} (p = {p:.2g}), "
        f"reward/1000 steps after {after_act:.1f} (Dyna-Q+ {after_plus.mean():.1f}, Dyna-Q {after_q.mean():.1f})",
    )
    total = {label: c.result(label).reward_sums[0].sum(axis=1).mean() for label in c.labels}
    out["B8 Dyna-Q collects the most reward, Q-learning the least"] = (
        max(total, key=total.get) == DQ and min(total, key=total.get) == Q,
        {k: round(v, 1) for k, v in total.items()},
    )
    return out


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def blocking(request):
    return fx.blocking_experiment(n_experiments=N_RUNS, seed=request.param, backend="numba", progress=False)


def _failed(claims):
    return {name: detail for name, (ok, detail) in claims.items() if not ok}


def test_blocking_claims(blocking):
    print("\n" + blocking.table())
    assert not _failed(blocking_claims(blocking))


def _replace(c, label, result):
    results = list(c.results)
    results[c.labels.index(label)] = result
    return dataclasses.replace(c, results=tuple(results))


@pytest.fixture(scope="module")
def other_dyna_q(blocking):
    """Dyna-Q in the blocking world on other seeds (to stand in for agents it is not)."""
    return fe.simulate_dyna_plus(
        [0.0],
        N_RUNS,
        300,
        door_episode=blocking.change_episode,
        k=10,
        seed=99,
        backend="numba",
        progress=False,
        world="blocking",
    )


def test_blocking_negative_control_a_dyna_q_plus_that_ignores_kappa(blocking, other_dyna_q):
    claims = blocking_claims(_replace(blocking, DQP, other_dyna_q))
    assert not claims["B6 Dyna-Q+ stops the penalties but keeps exploring"][0]


def test_blocking_negative_control_a_q_learning_that_plans(blocking, other_dyna_q):
    claims = blocking_claims(_replace(blocking, Q, other_dyna_q))
    assert not claims["B5 Q-learning recovers more slowly"][0]
    assert not claims["B8 Dyna-Q collects the most reward, Q-learning the least"][0]


def test_blocking_negative_control_an_action_bonus_of_zero(blocking):
    zero = fe.simulate_dyna_plus(
        [0.0],
        N_RUNS,
        300,
        door_episode=blocking.change_episode,
        k=10,
        seed=99,
        backend="numba",
        progress=False,
        world="blocking",
        bonus="action",
    )
    claims = blocking_claims(_replace(blocking, ACT, zero))
    assert not claims["B7 the action bonus: right values, exploring in behaviour"][0]


def test_blocking_negative_control_the_shortcut_world_labelled_as_blocking(blocking):
    shortcut = fx._compare("shortcut", fx.BLOCKING_AGENTS, N_RUNS, 300, blocking.change_episode, 5, "numba", False)
    claims = blocking_claims(dataclasses.replace(shortcut, world="blocking"))
    assert not claims["B1 short route before the change"][0]
    assert not claims["B2 everyone walks into the closed door at once"][0]


def test_blocking_negative_control_a_change_where_nothing_changes(blocking):
    later = blocking.change_episode + 100
    moved = dataclasses.replace(
        blocking,
        change_episode=later,
        results=tuple(dataclasses.replace(r, door_episode=later) for r in blocking.results),
    )
    claims = blocking_claims(moved)
    assert not claims["B2 everyone walks into the closed door at once"][0]
    assert not claims["B3 steps jump"][0]


# ------------------------------------------------------------------ (C) and (D): both worlds


def contrast_claims(p, dyna_q=P_DQ) -> dict:
    found = (p.shortcut.result(dyna_q).first_use()[0] >= 0).mean()
    free, route = _recovered(p.blocking, dyna_q, False), _recovered(p.blocking, dyna_q, True)
    return {
        "C1 Dyna-Q misses the opened door but recovers from the closed one": (
            found <= 0.15 and free[0] >= 0.95 and route[0] >= 0.95,
            f"shortcut found {found:.2f}; blocking penalty-free {free}, on route {route}",
        )
    }


def placement_claims(p) -> dict:
    s, b = p.shortcut, p.blocking
    found = {label: (s.result(label).first_use()[0] >= 0).mean() for label in s.labels}
    before = {label: s.result(label).steps[0, :, : s.change_episode].mean(axis=1) for label in s.labels}
    p_before = _less(before[P_ACT3], before[P_PLUS3])
    out = {
        "D1 kappa 0.001: the action bonus finds the door less often, and explores less": (
            found[P_ACT3] >= 0.4 and found[P_DQ] <= 0.15 and found[P_PLUS3] - found[P_ACT3] >= 0.15 and p_before < 1e-4,
            f"found {found[P_DQ]:.2f} / {found[P_ACT3]:.2f} / {found[P_PLUS3]:.2f} (Dyna-Q / action / Dyna-Q+); "
            f"steps/ep before {before[P_ACT3].mean():.1f} vs {before[P_PLUS3].mean():.1f} (p = {p_before:.2g})",
        )
    }
    use_act, use_plus = s.result(P_ACT2).use_rate()[0], s.result(P_PLUS2).use_rate()[0]
    steps_ratio = _last50(s, P_ACT2).mean() / _last50(s, P_PLUS2).mean()
    ok_act, ok_plus = s.greedy_ok(P_ACT2).mean(), s.greedy_ok(P_PLUS2).mean()
    out["D2 kappa 0.01: once found, the action bonus keeps the door, Dyna-Q+ does not"] = (
        min(found[P_ACT2], found[P_PLUS2]) >= 0.95
        and use_act >= 0.9
        and use_plus <= 0.75
        and steps_ratio <= 0.5
        and ok_act >= 0.95
        and ok_plus <= 0.1,
        f"found {found[P_ACT2]:.2f} / {found[P_PLUS2]:.2f}; use (last 100) {use_act:.2f} vs {use_plus:.2f}; "
        f"last-50 steps ratio {steps_ratio:.2f}; greedy ok {ok_act:.2f} vs {ok_plus:.2f}",
    )
    route = {label: _recovered(b, label, True)[0] for label in (P_PLUS2, P_ACT2, P_ACT3)}
    out["D3 kappa 0.01 is too large for the long route"] = (
        max(route[P_PLUS2], route[P_ACT2]) <= 0.1 and route[P_ACT3] >= 0.9,
        route,
    )
    ok = {label: b.greedy_ok(label).mean() for label in (P_ACT3, P_ACT2)}
    out["D4 the action bonus never damages the values"] = (min(ok.values()) >= 0.95, ok)
    return out


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def placement(request):
    return fx.bonus_placement(n_experiments=N_RUNS, seed=request.param, backend="numba", progress=False)


def test_contrast_and_placement_claims(placement):
    print("\n" + placement.table())
    assert not _failed(contrast_claims(placement))
    assert not _failed(placement_claims(placement))


def test_contrast_negative_control_dyna_q_plus_in_dyna_qs_place(placement):
    assert not contrast_claims(placement, dyna_q=P_PLUS3)[
        "C1 Dyna-Q misses the opened door but recovers from the closed one"
    ][0]


def test_placement_negative_control_an_action_bonus_of_zero(placement):
    zeros = {}
    for c in (placement.shortcut, placement.blocking):
        n_episodes = c.results[0].steps.shape[2]
        zeros[c.world] = fe.simulate_dyna_plus(
            [0.0],
            N_RUNS,
            n_episodes,
            door_episode=c.change_episode,
            k=10,
            seed=99,
            backend="numba",
            progress=False,
            world=c.world,
            bonus="action",
        )
    fake = fx.PlacementComparison(
        *(
            _replace(_replace(c, P_ACT3, zeros[c.world]), P_ACT2, zeros[c.world])
            for c in (placement.shortcut, placement.blocking)
        )
    )
    claims = placement_claims(fake)
    assert not claims["D1 kappa 0.001: the action bonus finds the door less often, and explores less"][0]
    assert not claims["D2 kappa 0.01: once found, the action bonus keeps the door, Dyna-Q+ does not"][0]


def test_placement_negative_control_dyna_q_plus_labelled_as_the_action_bonus(placement):
    fake = fx.PlacementComparison(
        *(
            _replace(_replace(c, P_ACT3, c.result(P_PLUS3)), P_ACT2, c.result(P_PLUS2))
            for c in (placement.shortcut, placement.blocking)
        )
    )
    claims = placement_claims(fake)
    assert not claims["D1 kappa 0.001: the action bonus finds the door less often, and explores less"][0]
    assert not claims["D2 kappa 0.01: once found, the action bonus keeps the door, Dyna-Q+ does not"][0]
    assert not claims["D3 kappa 0.01 is too large for the long route"][0]
    assert not claims["D4 the action bonus never damages the values"][0]


# ------------------------------------------------------------------ the figures and the graded-notebook mode


def test_blocking_figures_show_every_agent_in_its_style_and_say_so(blocking):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dynaq_course.going_further import plots as fp
    from dynaq_course.lesson import style

    fig, (left, right) = plt.subplots(1, 2)
    fp.plot_blocking(blocking, ax=left)
    fp.plot_blocking_steps(blocking, ax=right)
    for ax in (left, right):
        lines = {line.get_label(): line for line in ax.get_lines()}
        for agent in fx.BLOCKING_AGENTS:
            look = style.style(agent.key, marker=True)
            assert lines[agent.label].get_color() == look["color"]
            assert lines[agent.label].get_marker() == look["marker"]
            assert agent.label in style.describe(ax)
    assert "real steps" in left.get_xlabel() and left.get_ylabel().startswith("cumulative reward")
    assert right.get_yscale() == "log"
    dyna_q = fx.BLOCKING_AGENTS[1]
    before = blocking.result(dyna_q.label).steps[0, :, : blocking.change_episode].sum(axis=1).mean()
    assert f"{dyna_q.label} {before:.0f}" in style.describe(left)  # the mean real step of the change
    x, y = {line.get_label(): line for line in left.get_lines()}[dyna_q.label].get_data()
    assert np.interp(0, x, y) == pytest.approx(0, abs=1e-9)  # counted from the change
    plt.close(fig)


def test_bonus_placement_figure(placement):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dynaq_course.going_further import plots as fp
    from dynaq_course.lesson import style

    ax = fp.plot_bonus_placement(placement, kappa=0.01)
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("door")]
    assert labels == [P_DQ, P_PLUS2, P_ACT2]
    text = style.describe(ax)
    assert (
        f"{P_ACT2}, {style.look(style.style('dyna-q-action-bonus'))}: "
        f"{placement.shortcut.result(P_ACT2).door_used[0, :, 300:].mean():.0%}" in text
    )
    with pytest.raises(ValueError, match="kappa must be one of"):
        fp.plot_bonus_placement(placement, kappa=0.1)
    plt.close("all")


def test_under_nbgrader_the_experiments_are_short_and_say_so(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    blocking = fx.blocking_experiment(progress=False)
    placement = fx.bonus_placement(progress=False)
    assert "nothing in it is graded" in capsys.readouterr().out
    for c in (blocking, placement.shortcut, placement.blocking):
        assert c.results[0].steps.shape[1:] == (fx.GRADING["n_experiments"], fx.GRADING["n_episodes_shortcut"])
        assert c.results[0].backend == "python"
        assert "last 20" in c.table() or c.world == "shortcut"
    assert "last 100" not in placement.table()  # the table names the windows it really used
