"""Section 6's claims, measured over many seeds on the fast engine (numba backend; fixed seeds).

(a) Dyna-Q+ on the shortcut experiment WITHOUT demonstration (door opens at
    episode 200 of 400, k = 10, 80 seeds):
    A1 plain Dyna-Q rarely finds the shortcut on its own (<= 15% of seeds; measured ~4%);
    A2 Dyna-Q+ with kappa = 1e-3 finds it in >= 60% of seeds (measured ~87%), >= 45 points more;
    A2b and adopts it (8 of 10 episodes through the door) in >= 60% of seeds, Dyna-Q in <= 15%;
    A3 a larger bonus finds it sooner: median wait with kappa = 1e-2 < half that with 1e-3;
    A4 the bonus costs exploration before the door opens: steps/episode grow with kappa (x1.2 each).
(b) Prioritized sweeping against uniform Dyna-Q (closed world, 60 seeds, 50 episodes),
    at n = k = 5 and 10:
    B1 both reach a near-optimal greedy policy (greedy_paths.is_near_optimal) in >= 95% of seeds;
    B2 prioritized needs at most 0.7x the median value updates (measured ~0.46x);
    B3 one-sided Mann-Whitney p < 1e-6;
    B4 and fewer episodes (median at most 0.75x at k = n = 10).
(c) Slippery world, Dyna-Q k = 10, cached against counting model (40 seeds x 150 episodes):
    C1 at slip 0.2 the cached model's mean |Q - Q*| is >= 3x the counting model's (measured ~10x);
    C2 its greedy policy loses more value at the start (Mann-Whitney p < 1e-4);
    C3 and it collects less reward per episode (second half; p < 1e-3);
    C4 at slip 0 both models are exact (mean |Q - Q*| < 0.01): the cached model is only wrong
       when the world is stochastic.

Negative controls: each claim checker must reject data where the claim is false:
results whose "Dyna-Q+" rows are Dyna-Q's (an agent that ignores kappa), uniform
Dyna-Q relabelled as prioritized, prioritized sweeping whose threshold lets nothing
into the queue, and the slippery claims checked on the deterministic (slip 0) runs.
"""
import dataclasses

import numpy as np
import pytest
from scipy import stats

from dynaq_course import engine
from dynaq_course import further_engine as fe
from dynaq_course import further_experiments as fx

pytestmark = pytest.mark.skipif(not engine.numba_available(),
                                reason="the statistics run on the numba engine (too slow in plain Python)")


def _median(x):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return np.median(x) if x.size else np.inf


# ------------------------------------------------------------------ (a) Dyna-Q+

KAPPAS = (0.0, 1e-3, 1e-2)


def dyna_plus_claims(result) -> dict:
    """{claim: (holds, detail)} for a DynaPlusResult over KAPPAS."""
    i0, i3, i2 = (result.kappas.index(k) for k in KAPPAS)
    found = result.found_fraction()
    first = result.first_use()
    wait = {i: _median(first[i][first[i] >= 0]) for i in (i3, i2)}
    before = result.steps[:, :, :result.door_episode].mean(axis=(1, 2))
    return {
        "A1 Dyna-Q rarely finds it": (found[i0] <= 0.15, f"found {found[i0]:.2f}"),
        "A2 Dyna-Q+ 1e-3 finds it": (found[i3] >= 0.6 and found[i3] - found[i0] >= 0.45,
                                     f"found {found[i3]:.2f} vs {found[i0]:.2f}"),
        "A2b Dyna-Q+ 1e-3 adopts it": ((result.adoption()[i3] >= 0).mean() >= 0.6
                                       and (result.adoption()[i0] >= 0).mean() <= 0.15,
                                       f"adopted {(result.adoption()[i3] >= 0).mean():.2f} vs "
                                       f"{(result.adoption()[i0] >= 0).mean():.2f}"),
        "A3 larger kappa sooner": (wait[i2] < 0.5 * wait[i3], f"median wait {wait[i2]} vs {wait[i3]}"),
        "A4 exploration cost": (before[i3] > 1.2 * before[i0] and before[i2] > 1.2 * before[i3],
                                f"steps/episode before {before[i0]:.1f}, {before[i3]:.1f}, {before[i2]:.1f}"),
    }


@pytest.fixture(scope="module")
def dyna_plus():
    return fe.simulate_dyna_plus(KAPPAS, 80, 400, door_episode=200, k=10, seed=2024, backend="numba",
                                 progress=False)


def test_dyna_plus_claims(dyna_plus):
    print("\n" + fx.discovery_table(dyna_plus))
    claims = dyna_plus_claims(dyna_plus)
    failed = {name: detail for name, (ok, detail) in claims.items() if not ok}
    assert not failed, failed


def test_dyna_plus_negative_control_an_agent_that_ignores_kappa(dyna_plus):
    ignoring = dataclasses.replace(
        dyna_plus, steps=np.repeat(dyna_plus.steps[:1], 3, axis=0),
        reward_sums=np.repeat(dyna_plus.reward_sums[:1], 3, axis=0),
        door_used=np.repeat(dyna_plus.door_used[:1], 3, axis=0))
    claims = dyna_plus_claims(ignoring)
    assert not claims["A2 Dyna-Q+ 1e-3 finds it"][0]
    assert not claims["A2b Dyna-Q+ 1e-3 adopts it"][0]
    assert not claims["A4 exploration cost"][0]


# ------------------------------------------------------------------ (b) prioritized sweeping

PLANNING = (5, 10)


def sweeping_claims(uniform, prioritized) -> dict:
    out = {}
    for i, k in enumerate(PLANNING):
        u, p = uniform.updates_to_good()[i], prioritized.updates_to_good()[i]
        reached = (uniform.reached_fraction()[i], prioritized.reached_fraction()[i])
        out[f"B1 both reach near-optimal (k = n = {k})"] = (min(reached) >= 0.95, f"reached {reached}")
        ratio = _median(p) / _median(u)
        out[f"B2 fewer updates (k = n = {k})"] = (ratio <= 0.7, f"median ratio {ratio:.2f}")
        if np.isfinite(p).sum() > 1 and np.isfinite(u).sum() > 1:
            pvalue = stats.mannwhitneyu(p[np.isfinite(p)], u[np.isfinite(u)], alternative="less").pvalue
        else:
            pvalue = 1.0
        out[f"B3 Mann-Whitney (k = n = {k})"] = (pvalue < 1e-6, f"p = {pvalue:.2g}")
    e_u = _median(np.where(uniform.first_good_episode[1] >= 0, uniform.first_good_episode[1], np.inf))
    e_p = _median(np.where(prioritized.first_good_episode[1] >= 0, prioritized.first_good_episode[1], np.inf))
    out["B4 fewer episodes (k = n = 10)"] = (e_p <= 0.75 * e_u, f"median episode {e_p} vs {e_u}")
    return out


@pytest.fixture(scope="module")
def sweeps():
    uniform = fe.simulate_uniform(PLANNING, 60, 50, seed=77, backend="numba", progress=False)
    prioritized = fe.simulate_prioritized(PLANNING, 60, 50, seed=77, backend="numba", progress=False)
    return uniform, prioritized


def test_prioritized_sweeping_claims(sweeps):
    print("\n" + fx.SweepComparison(*sweeps).table())
    failed = {n: d for n, (ok, d) in sweeping_claims(*sweeps).items() if not ok}
    assert not failed, failed


def test_sweeping_negative_control_uniform_relabelled_as_prioritized(sweeps):
    uniform, _ = sweeps
    other = fe.simulate_uniform(PLANNING, 60, 50, seed=78, backend="numba", progress=False)
    claims = sweeping_claims(uniform, dataclasses.replace(other, method="prioritized"))
    assert not any(ok for name, (ok, _) in claims.items() if name.startswith(("B2", "B3")))


def test_sweeping_negative_control_a_queue_that_stays_empty(sweeps):
    uniform, _ = sweeps
    stuck = fe.simulate_prioritized(PLANNING, 20, 20, theta=10.0, seed=77, backend="numba", progress=False)
    assert (stuck.updates == 0).all()
    uniform_small = dataclasses.replace(uniform, first_good_updates=uniform.first_good_updates[:, :20],
                                        first_good_episode=uniform.first_good_episode[:, :20])
    claims = sweeping_claims(uniform_small, stuck)
    assert not any(ok for name, (ok, _) in claims.items() if name.startswith("B1"))


# ------------------------------------------------------------------ (c) slippery world

def slippery_claims(scored, slip) -> dict:
    r = scored.result
    i = r.slips.index(slip)
    c, n = r.models.index("cached"), r.models.index("counting")
    err_c, err_n = np.nanmean(scored.value_error[i, c]), np.nanmean(scored.value_error[i, n])
    p_loss = stats.mannwhitneyu(scored.policy_loss[i, c], scored.policy_loss[i, n], alternative="greater").pvalue
    half = r.steps.shape[3] // 2
    reward_c = r.reward_sums[i, c, :, half:].mean(axis=1)
    reward_n = r.reward_sums[i, n, :, half:].mean(axis=1)
    p_reward = stats.mannwhitneyu(reward_n, reward_c, alternative="greater").pvalue
    return {
        "C1 cached value error >= 3x": (err_c >= 3 * err_n, f"{err_c:.3f} vs {err_n:.3f}"),
        "C2 cached policy loss larger": (p_loss < 1e-4, f"p = {p_loss:.2g}, means "
                                         f"{scored.policy_loss[i, c].mean():.3f} vs {scored.policy_loss[i, n].mean():.3f}"),
        "C3 cached collects less reward": (p_reward < 1e-3, f"p = {p_reward:.2g}, {reward_c.mean():.2f} vs "
                                           f"{reward_n.mean():.2f}"),
    }


@pytest.fixture(scope="module")
def slippery():
    result = fe.simulate_slippery((0.0, 0.2), fe.MODELS, k=10, n_experiments=40, n_episodes=150, seed=31,
                                  backend="numba", progress=False)
    return fx.score_slippery(result)


def test_slippery_claims(slippery):
    print("\n" + slippery.table())
    failed = {n: d for n, (ok, d) in slippery_claims(slippery, 0.2).items() if not ok}
    assert not failed, failed
    exact = np.nanmean(slippery.value_error[0], axis=1)
    assert (exact < 0.01).all(), f"C4: at slip 0 both models should be exact, mean |Q - Q*| = {exact}"


def test_slippery_negative_control_no_slip_no_difference(slippery):
    claims = slippery_claims(slippery, 0.0)
    assert not claims["C2 cached policy loss larger"][0]
    assert not claims["C3 cached collects less reward"][0]
