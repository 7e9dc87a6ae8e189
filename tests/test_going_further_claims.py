"""Every number of Section 6's prose (``06_going_further``) that its cells do not print, next to the check
that recomputes it; and the printed ones the prose quotes, against a fresh run of the same cell.

Same rules as ``test_lesson_claims`` (Sections 1-5): each test first checks that the quoted sentence is
still in ``source/`` (a changed sentence fails here until its check is revisited), then recomputes what it
says with the settings of the cell the prose describes (numba engine, the cell's seed). Claims that are
statistical statements about the agents (not about one seeded run) are in ``test_further_statistics*.py``
with their negative controls; the negative controls here show that the checks can fail.
"""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import pytest

from dynaq_course import engine
from dynaq_course.going_further import engine as fe
from dynaq_course.going_further import experiments as fx
from dynaq_course.grading.editions import course_root

pytestmark = pytest.mark.skipif(
    not engine.numba_available(), reason="Section 6's experiments are quoted from the numba engine's runs"
)

NOTEBOOK = course_root() / "source" / "going_further" / "06_going_further.ipynb"


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def _prose() -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return _normalised(" ".join("".join(cell["source"]) for cell in cells))


def says(quote: str) -> None:
    """The claim is still in the notebook, word for word (white space aside)."""
    assert _normalised(quote) in _prose(), (
        f"06_going_further no longer says {quote!r}: update this test's check to the new sentence."
    )


def about(measured: float, quoted: float, relative: float = 0.02, absolute: float = 0.0) -> bool:
    """A number quoted as "about N": N up to its rounding (2% or the given absolute slack)."""
    return abs(measured - quoted) <= max(relative * abs(quoted), absolute)


# ------------------------------------------------------------------ 6.1 Dyna-Q+ on the shortcut


@pytest.fixture(scope="module")
def discovery():
    return fx.shortcut_discovery(progress=False, backend="numba")  # the notebook cell's run


def test_6_1_the_table_the_prose_quotes(discovery):
    says("about 4% of the runs ever take it, and the share of late episodes that use it stays near 3%")
    says(
        "about 87% of the runs find the door (a median of 51 episodes after it opened, over the runs that found "
        "it), and then use it in about 80% of the last 100 episodes"
    )
    says("finds it in every run, half of them within 9 episodes")
    says("about 38 steps per episode before the door opened, against 27 for Dyna-Q")
    found, use = discovery.found_fraction(), discovery.use_rate()
    first = discovery.first_use()
    before = discovery.steps[:, :, : discovery.door_episode].mean(axis=(1, 2))
    assert round(100 * found[0]) == 4 and round(100 * use[0]) == 3
    assert round(100 * found[1]) == 87 and round(100 * use[1]) == 80
    assert np.median(first[1][first[1] >= 0]) == 51 and np.median(first[2]) <= 9 and found[2] == 1.0
    assert round(before[1]) == 38 and round(before[0]) == 27


def test_6_1_does_the_bonus_pay_for_itself_within_400_episodes(discovery):
    says("the runs with $\\kappa = 0.001$ walk about 11,600 steps in all against 9,500 for Dyna-Q")
    says("(the last 100 episodes: about 15.5 steps against 20.8)")
    total = discovery.steps.sum(axis=2).mean(axis=1)
    last = discovery.steps[:, :, -100:].mean(axis=(1, 2))
    assert about(total[1], 11_600) and about(total[0], 9_500)
    assert about(last[1], 15.5, absolute=0.05) and about(last[0], 20.8, absolute=0.05)


def test_6_1_over_a_longer_run_it_does():
    says(
        "with 1,000 episodes (door at 200, 50 runs) Dyna-Q+ with $\\kappa = 0.001$ found the door in every run "
        "and walked fewer steps in all than Dyna-Q (about 19,000 against 21,600), finishing at about 12 steps "
        "per episode against 19.5"
    )
    r = fe.simulate_dyna_plus(
        (0.0, 1e-3), 50, 1000, door_episode=200, k=10, seed=fx.SEED, backend="numba", progress=False
    )
    total = r.steps.sum(axis=2).mean(axis=1)
    last = r.steps[:, :, -100:].mean(axis=(1, 2))  # "finishing": the last 100 episodes
    assert r.found_fraction()[1] == 1.0
    assert total[1] < total[0] and about(total[1], 19_000) and about(total[0], 21_600)
    assert about(last[1], 12, absolute=0.5) and about(last[0], 19.5, absolute=0.05)


def test_negative_controls_the_checks_can_fail(discovery):
    with pytest.raises(AssertionError, match="no longer says"):
        says("plain Dyna-Q finds the door in most runs")
    assert not about(discovery.steps.sum(axis=2).mean(axis=1)[0], 11_600)  # Dyna-Q's total is not Dyna-Q+'s


# ------------------------------------------------------------------ 6.2 the door closes, 6.3 where the bonus goes


@pytest.fixture(scope="module")
def blocking():
    return fx.blocking_experiment(progress=False, backend="numba")  # the notebook cell's run


@pytest.fixture(scope="module")
def placement():
    return fx.bonus_placement(progress=False, backend="numba")


def _recovered(result, max_steps=None):
    return fx._share_median(result.recovery(**fx.RECOVERY, max_steps=max_steps)[0])


def test_6_2_what_the_numbers_show(blocking):
    says("(87% for Q-learning, 91–92% for the planning agents)")
    says(
        "nearly every run walks into the closed door in the first episode after it, and steps per episode in "
        "episodes 100–109 are four to six times those before"
    )
    says(
        "penalty-free again after a median of 3 episodes and on the new route after 7, with about 1.4 steps "
        "into the closed door per run in all"
    )
    says("needs 21 and 68 episodes")
    says(
        "Dyna-Q+ stops paying penalties as soon as Dyna-Q** (median 3 episodes) but then never settles: only 9% "
        "of its runs get back on the route, its last 50 episodes take about 34 steps (Dyna-Q about 21)"
    )
    says("(22.0 against 40.7)")
    says("the start is worth $0.8^{18} \\approx 0.018$ on it")
    q, d, plus, action = (blocking.result(label) for label in blocking.labels)
    labels = blocking.labels
    short = [blocking.short_route_before(label).mean() for label in labels]
    assert round(100 * short[0]) == 87 and all(91 <= round(100 * s) <= 92 for s in short[1:])
    e = blocking.change_episode
    for r in (q, d, plus, action):
        assert (r.door_taken[0, :, e] > 0).mean() >= 0.95  # "nearly every run"
        ratio = r.steps[0, :, e : e + 10].mean() / r.steps[0, :, e - 20 : e].mean()
        assert 4 <= ratio <= 6, ratio
    assert _recovered(d) == (1.0, 3) and _recovered(d, fx.RECOVERED_STEPS) == (1.0, 7)
    assert about(d.bumps()[0].mean(), 1.4, absolute=0.05)
    assert _recovered(q)[1] == 21 and _recovered(q, fx.RECOVERED_STEPS)[1] == 68
    assert _recovered(plus)[1] == 3 and round(100 * _recovered(plus, fx.RECOVERED_STEPS)[0]) == 9
    assert round(plus.steps[0, :, -50:].mean()) == 34 and round(d.steps[0, :, -50:].mean()) == 21
    per_1000 = [blocking.reward_per_1000_steps(label, True).mean() for label in labels[1:3]]
    assert f"{per_1000[1]:.1f}" == "22.0" and f"{per_1000[0]:.1f}" == "40.7"
    from dynaq_course.going_further.greedy_paths import optimal_values

    assert about(optimal_values(False, 0.8)[fx.fe._world.START_STATE].max(), 0.8**18, absolute=1e-9)
    assert f"{0.8**18:.3f}" == "0.018"


def test_6_3_model_answer_numbers(placement):
    says(
        "both placements found the opened door in every run, but with the bonus in action selection 99% of the "
        "last 100 episodes went through it and the final greedy policy took the door in every run (greedy ok "
        "100%)"
    )
    says("(62% of the last 100 episodes, about 98 steps per episode in its last 50, greedy ok 0%)")
    says("the action-bonus agent's greedy policy was right in every run at both κ")
    says("At κ = 0.001 it found the opened door in 57% of the runs, against 87% for Dyna-Q+")
    says("κ = 0.01 kept it wandering (0% of runs back on the route)")
    s, b = placement.shortcut, placement.blocking
    plus2, act2 = s.result("Dyna-Q+ (κ = 0.01)"), s.result("bonus in action (κ = 0.01)")
    assert plus2.found_fraction()[0] == 1.0 and act2.found_fraction()[0] == 1.0
    assert round(100 * act2.use_rate()[0]) == 99 and s.greedy_ok("bonus in action (κ = 0.01)").mean() == 1.0
    assert round(100 * plus2.use_rate()[0]) == 62 and s.greedy_ok("Dyna-Q+ (κ = 0.01)").mean() == 0.0
    assert round(plus2.steps[0, :, -50:].mean()) in (98, 99) and about(plus2.steps[0, :, -50:].mean(), 98, 0.01)
    assert all(b.greedy_ok(f"bonus in action (κ = {k})").mean() == 1.0 for k in ("0.001", "0.01"))
    assert round(100 * s.result("bonus in action (κ = 0.001)").found_fraction()[0]) == 57
    assert round(100 * s.result("Dyna-Q+ (κ = 0.001)").found_fraction()[0]) == 87
    assert _recovered(b.result("bonus in action (κ = 0.01)"), fx.RECOVERED_STEPS)[0] == 0.0


# ------------------------------------------------------------------ 6.5 which model, which update


@pytest.fixture(scope="module")
def slippery():
    return fx.slippery_comparison(progress=False, backend="numba")  # the notebook cell's run


@pytest.fixture(scope="module")
def budget():
    return fx.planning_budget_comparison(progress=False, backend="numba")


def _error(scored, slip, model):
    i, m = scored.result.slips.index(slip), scored.result.models.index(model)
    return np.nanmean(scored.value_error[i, m])


def test_6_5_what_the_numbers_show(slippery):
    says(
        "counts instead of the last outcome cut the mean $|Q - Q^*|$ over well-tried pairs from 0.345 to 0.087 "
        "at slip 0.2 (from 0.248 to 0.048 at slip 0.1)"
    )
    says("expected updates bring the error down to 0.033 at slip 0.2")
    says("is 0.035 against 0.081 (counts, sample) and 0.175 (last outcome)")
    says("so 10 expected updates per real step cost 19.60 such evaluations at slip 0.2")
    says("at slip 0.1 the counts-and-sample agent gets 0.16 per episode, the expected-update agent −0.32")
    fmt = lambda x: f"{x:.3f}"  # noqa: E731  as the table prints
    assert [fmt(_error(slippery, 0.2, m)) for m in ("cached", "counting-sample", "counting")] == [
        "0.345",
        "0.087",
        "0.033",
    ]
    assert [fmt(_error(slippery, 0.1, m)) for m in ("cached", "counting-sample")] == ["0.248", "0.048"]
    i = slippery.result.slips.index(0.2)
    loss = [
        fmt(slippery.policy_loss[i, slippery.result.models.index(m)].mean())
        for m in ("counting", "counting-sample", "cached")
    ]
    assert loss == ["0.035", "0.081", "0.175"]
    evals = slippery.result.evaluations_per_step()[i, slippery.result.models.index("counting")].mean()
    assert f"{evals:.2f}" == "19.60"
    r, half = slippery.result, slippery.result.steps.shape[3] // 2
    j = r.slips.index(0.1)
    reward = [f"{r.reward_sums[j, r.models.index(m), :, half:].mean():.2f}" for m in ("counting-sample", "counting")]
    assert reward == ["0.16", "-0.32"]


def test_6_5_1_equal_compute(budget):
    says('(the column "evals/upd", 1.88–2.14)')
    says("about half as many updates (5.27 per real step for 10 evaluations)")
    says(
        "mean $|Q - Q^*|$ 0.040 against 0.087 at 10 evaluations per step, 0.036 against 0.087 at 20. Only at a "
        "budget of 1 are they close (0.076 against 0.082)"
    )
    says("counts with sample updates stay between 0.081 and 0.087 from 1 to 20 updates per step")
    says("(0.283 at $k = 1$, 0.351 at $k = 20$)")
    m = {name: budget.models.index(name) for name in ("cached", "counting-sample", "counting")}
    u = {unit: budget.units.index(unit) for unit in budget.units}
    b = {k: budget.budgets.index(k) for k in budget.budgets}
    err = lambda unit, k, name: f"{np.nanmean(budget.value_error[u[unit], b[k], m[name]]):.3f}"  # noqa: E731
    ratios = [
        budget.evaluations_per_step[x, y, m["counting"]].mean() / budget.updates_per_step[x, y, m["counting"]].mean()
        for x in range(len(budget.units))
        for y in range(len(budget.budgets))
    ]
    assert (f"{min(ratios):.2f}", f"{max(ratios):.2f}") == ("1.88", "2.14")
    assert f"{budget.updates_per_step[u['evaluations'], b[10], m['counting']].mean():.2f}" == "5.27"
    assert (err("evaluations", 10, "counting"), err("evaluations", 10, "counting-sample")) == ("0.040", "0.087")
    assert (err("evaluations", 20, "counting"), err("evaluations", 20, "counting-sample")) == ("0.036", "0.087")
    assert (err("evaluations", 1, "counting"), err("evaluations", 1, "counting-sample")) == ("0.076", "0.082")
    sample = sorted(err("updates", k, "counting-sample") for k in budget.budgets)
    assert (sample[0], sample[-1]) == ("0.081", "0.087")
    assert (err("updates", 1, "cached"), err("updates", 20, "cached")) == ("0.283", "0.351")


def test_6_5_1_with_a_smaller_step_size():
    says("the course's tests measure the error falling from 0.094 to 0.042 between 1 and 20 updates per step")
    errors = []
    for k in (1, 20):  # the setting of test_further_statistics' C11: 40 runs x 150 episodes, seed 31
        r = fe.simulate_slippery(
            (0.2,),
            ("counting-sample",),
            k=k,
            n_experiments=40,
            n_episodes=150,
            alpha=0.1,
            seed=31,
            backend="numba",
            progress=False,
        )
        errors.append(f"{np.nanmean(fx.score_slippery(r).value_error[0, 0]):.3f}")
    assert errors == ["0.094", "0.042"]


# ------------------------------------------------------------------ 6.4 the long episode


def test_6_4_the_long_episode_of_the_notebooks_run():
    from references import push_predecessors as reference_push_predecessors

    from dynaq_course.going_further.prioritized import prioritized_sweeping
    from dynaq_course.world import QuentinsWorld

    says(
        "episode 6 of this run (counting from 0: the seventh printed) takes hundreds of steps (640 with the "
        "course's reference answer), after episodes of 10 to 40"
    )
    np.random.seed(1)  # the cell "Your prioritized sweeping"
    params = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8, "theta": 1e-4, "n": 5}
    _, _, steps, _ = prioritized_sweeping(QuentinsWorld(), params, 20, 1000, reference_push_predecessors)
    assert steps[6] == 640 and steps.argmax() == 6
    assert 10 <= steps[:6].min() and steps[:6].max() <= 40
