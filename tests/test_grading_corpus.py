"""Every cell of the grading corpus through the trusted verifier, and through the in-kernel self-check.

* Fresh process (the real child + verifier code, in parallel threads): the hidden
  verdict is pass for every correct cell and the exact expected mistake code for
  every wrong one (tamper cells: ``tampering``); the visible verdict passes every
  correct cell.
* In the kernel (this process, or one process per tamper cell, since those patch
  numpy and builtins): the self-check passes every correct cell, and names the
  same mistake as the fresh-process visible verdict.

    pytest -q tests/test_grading_corpus.py -s    # -s prints the counts
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grading_corpus
import numpy as np
import pytest

from dynaq_course.checks import bonus_greedy_action as greedy
from dynaq_course.checks import registry, verify
from dynaq_course.checks.diagnose import diagnose
from dynaq_course.checks.messages import CATALOGUE, mistake_code
from dynaq_course.checks.probes import call_all, probes_for
from dynaq_course.checks.self_check import ExerciseCheckFailed, check_in_kernel
from dynaq_course.grading import editions

ROOT = editions.course_root()
ENTRIES = grading_corpus.entries()
IDS = [e.name for e in ENTRIES]
# Names the set-up cells of notebooks 02 and 03 (dyna_q) and 06 (going_further) give an exercise cell.
SETUP = "import numpy as np\nfrom dynaq_course import QuentinsWorld, new_model, q_learning, epsilon_greedy\n"
SETUP_06 = "import numpy as np\nfrom dynaq_course.going_further.prioritized import PriorityQueue\n"


def _release(entry) -> Path:
    return editions.edition_folder(ROOT, "release", registry.exercise(entry.exercise).assignment)


def _source(entry) -> Path:
    return ROOT / "source" / registry.exercise(entry.exercise).assignment


def test_corpus_is_big_enough_and_its_codes_exist():
    count = Counter((e.exercise, e.correct) for e in ENTRIES if not e.tamper)
    assert count[("dyna_q_model_update", True)] >= 12 and count[("dyna_q_model_update", False)] >= 15
    assert count[("dyna_q_planning", True)] >= 15 and count[("dyna_q_planning", False)] >= 20
    assert count[("dyna_q_plus_reward", True)] >= 12 and count[("dyna_q_plus_reward", False)] >= 15
    assert count[("bonus_greedy_action", True)] >= 12 and count[("bonus_greedy_action", False)] >= 15
    assert count[("push_predecessors", True)] >= 12 and count[("push_predecessors", False)] >= 15
    assert sum(e.tamper for e in ENTRIES) >= 12
    assert {e.expect for e in ENTRIES if e.expect} <= set(CATALOGUE)


def test_every_mistake_of_the_bonus_exercises_is_in_the_corpus():
    """Each plus-/greedy-/push- code of the catalogue is expected by at least one corpus cell."""
    expected = {e.expect for e in ENTRIES if e.expect}
    bonus = {code for code in CATALOGUE if code.startswith(("plus-", "greedy-", "push-"))}
    assert not bonus - expected - {"push-wrong", "push-wrong-priority", "greedy-wrong"}, sorted(bonus - expected)


@pytest.fixture(scope="module")
def fresh_process(tmp_path_factory):
    """{entry name: {"hidden": Verdict, "visible": Verdict}} from one child per entry, 4 at a time."""
    base = tmp_path_factory.mktemp("corpus")
    references = {
        **verify.reference_sources(ROOT / "source" / "dyna_q"),
        **verify.reference_sources(ROOT / "source" / "going_further"),
    }

    def grade(i_entry):
        i, entry = i_entry
        notebook = grading_corpus.write_notebook(_release(entry), entry, base / f"{i:03d}")
        child = verify.run_child(notebook, entry.exercise, "hidden")
        return entry.name, {
            "hidden": verify.judge(entry.exercise, "hidden", child, references[entry.exercise]),
            "visible": verify.judge(entry.exercise, "visible", child),
            "seconds": child.seconds,
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(pool.map(grade, enumerate(ENTRIES)))
    wrong = [e for e in ENTRIES if not e.correct]
    right = [e for e in ENTRIES if e.correct]
    print(
        f"\ncorpus through the fresh-process verifier: {len(ENTRIES)} cells, "
        f"child mean {sum(r['seconds'] for r in results.values()) / len(results):.2f} s"
    )
    names = {
        assignment: tuple(ex.name for ex in registry.in_assignment(assignment))
        for assignment in ("dyna_q", "going_further")
    }
    for label, exercises in [*names.items(), ("  of which bonus_greedy_action", ("bonus_greedy_action",))]:
        r = [e for e in right if e.exercise in exercises]
        w = [e for e in wrong if e.exercise in exercises]
        print(
            f"  {label}: correct accepted {sum(results[e.name]['hidden'].passed for e in r)}/{len(r)}, "
            f"mistakes caught {sum(not results[e.name]['hidden'].passed for e in w)}/{len(w)}, "
            f"messages right {sum(results[e.name]['hidden'].code == e.expect for e in w)}/{len(w)}, "
            f"visible check catches {sum(not results[e.name]['visible'].passed for e in w)}/{len(w)}, "
            f"tampering flagged {sum(results[e.name]['hidden'].code == 'tampering' for e in w if e.tamper)}/"
            f"{sum(e.tamper for e in w)}"
        )
    return results


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_hidden_verdict(fresh_process, entry):
    verdict = fresh_process[entry.name]["hidden"]
    assert verdict.code == entry.expect, verdict.message
    assert verdict.passed == entry.correct
    if not entry.correct:
        assert mistake_code(verdict.message) == entry.expect
        assert "_reference" not in verdict.message


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.correct], ids=[e.name for e in ENTRIES if e.correct])
def test_visible_verdict_passes_correct_cells(fresh_process, entry):
    assert fresh_process[entry.name]["visible"].passed, fresh_process[entry.name]["visible"].message


def _in_kernel(entry) -> str | None:
    namespace = {}
    setup = SETUP_06 if registry.exercise(entry.exercise).assignment == "going_further" else SETUP
    exec(setup + entry.source, namespace)
    try:
        check_in_kernel(entry.exercise, namespace[entry.exercise])
    except ExerciseCheckFailed as err:
        return mistake_code(str(err))
    return None


KERNEL_ONLY = {"uses-outside-name", "function-missing"}  # what only a fresh process can see


@pytest.mark.parametrize(
    "entry",
    [e for e in ENTRIES if not e.tamper and e.expect not in KERNEL_ONLY],
    ids=[e.name for e in ENTRIES if not e.tamper and e.expect not in KERNEL_ONLY],
)
def test_in_kernel_self_check_agrees_with_the_fresh_process(fresh_process, entry):
    code = _in_kernel(entry)
    assert code == fresh_process[entry.name]["visible"].code
    if entry.correct:
        assert code is None


TAMPER_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import numpy.random, numpy.testing  # as a kernel that ran the set-up cell has them
    from dynaq_course import QuentinsWorld, new_model, q_learning, epsilon_greedy
    from dynaq_course.going_further.prioritized import PriorityQueue
    from dynaq_course.checks import self_check_model_update, self_check_planning
    from dynaq_course.checks.self_check import ExerciseCheckFailed, check_in_kernel
    from dynaq_course.checks.messages import mistake_code
    exercise, source = sys.argv[1], open(sys.argv[2]).read()
    namespace = dict(globals())
    exec(source, namespace)
    try:
        check_in_kernel(exercise, namespace[exercise])
        code = None
    except ExerciseCheckFailed as err:
        code = mistake_code(str(err))
    sys.stdout.write(json.dumps(code))
""")


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.tamper], ids=[e.name for e in ENTRIES if e.tamper])
def test_in_kernel_self_check_resists_tampering(entry, tmp_path):
    """The tamper cell runs after the course's modules were imported, as in a student's kernel."""
    path = tmp_path / "cell.py"
    path.write_text(entry.source)
    proc = subprocess.run(
        [sys.executable, "-c", TAMPER_SCRIPT, entry.exercise, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MPLBACKEND": "Agg", "PATH": ""},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == entry.visible


# ------------------------------------------------------------------ bonus_greedy_action: what its cases can tell


def _indistinct(probes) -> list:
    """Pairs of ways of choosing (the right one, or mistakes with different codes) that no case tells apart.

    Two ways are told apart by a case when no action is right for both (their sets of tied best actions
    do not meet), so a function doing one of them always fails the other somewhere.
    """
    variants = [greedy._greedy_variants(p) for p in probes]
    keys = [(code, key) for code, key, _ in variants[0]]
    return [
        (keys[a][1], keys[b][1])
        for a in range(len(keys))
        for b in range(a + 1, len(keys))
        if keys[a][0] != keys[b][0] and all(v[a][2] & v[b][2] for v in variants)
    ]


@pytest.mark.parametrize("level", ["visible", "hidden"])
def test_the_greedy_cases_tell_every_named_mistake_apart(level):
    probes = probes_for("bonus_greedy_action", level)
    assert _indistinct(probes) == []
    # negative control: the cases with kappa = 0 or all-equal tau cannot tell the bonus from no bonus
    blind = [p for p in probes if p.kappa == 0 or len(set(np.asarray(p.tau).tolist())) == 1]
    assert blind and ("right", "bonus-ignored") in _indistinct(blind)


def test_no_greedy_case_has_a_near_tie_and_one_is_refused():
    for probe in probes_for("bonus_greedy_action", "hidden"):
        for rule in greedy.GREEDY_RULES:
            assert not greedy.greedy_near_tie(greedy.greedy_scores(probe.value, probe.tau, probe.kappa, rule))
    with pytest.raises(ValueError, match="near tie"):  # negative control: 1e-7 apart is refused
        greedy._greedy_probes("hidden", [([0.5, 0.5 + 1e-7, 0.0, 0.1], [0.0, 0.0, 0.0, 0.0], 0.1)], 0)


def test_actions_tied_up_to_rounding_are_all_right_and_a_second_best_is_not():
    """Some cases tie only up to the last bit (0.3 + 0.5 against 0.8): the lowest of the tied is accepted."""
    probes = probes_for("bonus_greedy_action", "hidden")
    scores = [greedy.greedy_scores(p.value, p.tau, p.kappa) for p in probes]
    rounded = [s for s in scores if len({s[a] for a in greedy._ties(s)}) > 1]
    assert rounded, "no case whose tied scores differ in the last bit"

    def lowest_of_the_tied(value_row, tau_row, kappa):
        scores = value_row + kappa * np.sqrt(tau_row)
        tied = np.flatnonzero(scores >= scores.max() - 1e-12)
        return int(tied[np.argmin(scores[tied])])

    def second_best_when_not_tied(value_row, tau_row, kappa):
        scores = value_row + kappa * np.sqrt(tau_row)
        order = np.argsort(scores)
        return int(order[-1] if scores[order[-1]] == scores[order[-2]] else order[-2])

    assert diagnose("bonus_greedy_action", probes, call_all(lowest_of_the_tied, probes)).passed
    assert not diagnose("bonus_greedy_action", probes, call_all(second_best_when_not_tied, probes)).passed


RETURNS = {
    "int": 2,
    "numpy integer": np.int64(2),
    "0-d integer array": np.array(2),
    "one-element integer array": np.array([2]),
    "float": 2.0,
    "numpy float": np.float64(2.0),
    "bool": True,
    "out of range": 4,
    "negative": -1,
    "list": [2],
    "two actions": np.array([1, 2]),
}


@pytest.mark.parametrize("what", RETURNS)
def test_the_grader_accepts_as_an_action_what_the_learners_loop_accepts(what):
    """dyna_plus.learn_dyna_q_action_bonus and the recorded call agree on what counts as an action."""
    from dynaq_course import QuentinsWorld
    from dynaq_course.going_further.dyna_plus import learn_dyna_q_action_bonus

    def fn(value_row, tau_row, kappa):
        return RETURNS[what]

    params = {"epsilon": 0.0, "alpha": 0.5, "gamma": 0.8, "k": 0, "kappa": 0.01}
    try:
        learn_dyna_q_action_bonus(QuentinsWorld(), params, n_episodes=1, max_steps=1, bonus_greedy_action=fn)
        loop_accepts = True
    except (TypeError, ValueError):
        loop_accepts = False
    record = call_all(fn, probes_for("bonus_greedy_action", "visible")[:1])[0]
    assert (record["returned"] == "array") == loop_accepts, (what, record["returned"], loop_accepts)
