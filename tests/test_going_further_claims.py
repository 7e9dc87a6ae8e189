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
from dynaq_course import further_engine as fe
from dynaq_course import further_experiments as fx
from dynaq_course.editions import course_root

pytestmark = pytest.mark.skipif(not engine.numba_available(),
                                reason="Section 6's experiments are quoted from the numba engine's runs")

NOTEBOOK = course_root() / "source" / "going_further" / "06_going_further.ipynb"


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=None)
def _prose() -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return _normalised(" ".join("".join(cell["source"]) for cell in cells))


def says(quote: str) -> None:
    """The claim is still in the notebook, word for word (white space aside)."""
    assert _normalised(quote) in _prose(), (
        f"06_going_further no longer says {quote!r}: update this test's check to the new sentence.")


def about(measured: float, quoted: float, relative: float = 0.02, absolute: float = 0.0) -> bool:
    """A number quoted as "about N": N up to its rounding (2% or the given absolute slack)."""
    return abs(measured - quoted) <= max(relative * abs(quoted), absolute)


# ------------------------------------------------------------------ 6.1 Dyna-Q+ on the shortcut

@pytest.fixture(scope="module")
def discovery():
    return fx.shortcut_discovery(progress=False, backend="numba")          # the notebook cell's run


def test_6_1_the_table_the_prose_quotes(discovery):
    says("about 4% of the runs ever take it, and the share of late episodes that use it stays near 3%")
    says("about 87% of the runs find the door, typically some 50 episodes after it opened, and then use it in "
         "about 80% of the last 100 episodes")
    says("about 38 steps per episode before the door opened, against 27 for Dyna-Q")
    found, use = discovery.found_fraction(), discovery.use_rate()
    first = discovery.first_use()
    before = discovery.steps[:, :, :discovery.door_episode].mean(axis=(1, 2))
    assert round(100 * found[0]) == 4 and round(100 * use[0]) == 3
    assert round(100 * found[1]) == 87 and round(100 * use[1]) == 80
    assert 45 <= np.median(first[1][first[1] >= 0]) <= 55
    assert round(before[1]) == 38 and round(before[0]) == 27


def test_6_1_does_the_bonus_pay_for_itself_within_400_episodes(discovery):
    says("the runs with $\\kappa = 0.001$ walk about 11,600 steps in all against 9,500 for Dyna-Q")
    says("(the last 100 episodes: about 15.5 steps against 20.8)")
    total = discovery.steps.sum(axis=2).mean(axis=1)
    last = discovery.steps[:, :, -100:].mean(axis=(1, 2))
    assert about(total[1], 11_600) and about(total[0], 9_500)
    assert about(last[1], 15.5, absolute=0.05) and about(last[0], 20.8, absolute=0.05)


def test_6_1_over_a_longer_run_it_does():
    says("with 1,000 episodes (door at 200, 50 runs) Dyna-Q+ with $\\kappa = 0.001$ found the door in every run "
         "and walked fewer steps in all than Dyna-Q (about 19,000 against 21,600), finishing at about 12 steps "
         "per episode against 19.5")
    r = fe.simulate_dyna_plus((0.0, 1e-3), 50, 1000, door_episode=200, k=10, seed=fx.SEED, backend="numba",
                              progress=False)
    total = r.steps.sum(axis=2).mean(axis=1)
    last = r.steps[:, :, -100:].mean(axis=(1, 2))           # "finishing": the last 100 episodes
    assert r.found_fraction()[1] == 1.0
    assert total[1] < total[0] and about(total[1], 19_000) and about(total[0], 21_600)
    assert about(last[1], 12, absolute=0.5) and about(last[0], 19.5, absolute=0.05)


def test_negative_controls_the_checks_can_fail(discovery):
    with pytest.raises(AssertionError, match="no longer says"):
        says("plain Dyna-Q finds the door in most runs")
    assert not about(discovery.steps.sum(axis=2).mean(axis=1)[0], 11_600)   # Dyna-Q's total is not Dyna-Q+'s
