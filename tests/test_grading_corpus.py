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

import pytest

import grading_corpus
from dynaq_course import editions
from dynaq_course.checks import ExerciseCheckFailed, check_in_kernel
from dynaq_course.grading import verify
from dynaq_course.grading.messages import CATALOGUE, mistake_code

ROOT = editions.course_root()
ENTRIES = grading_corpus.entries()
IDS = [e.name for e in ENTRIES]
# Names the set-up cells of notebooks 02 and 03 (dyna_q) and 06 (going_further) give an exercise cell.
SETUP = "import numpy as np\nfrom dynaq_course import QuentinsWorld, new_model, q_learning, epsilon_greedy\n"
SETUP_06 = "import numpy as np\nfrom dynaq_course.prioritized import PriorityQueue\n"


def _release(entry) -> Path:
    return editions.edition_folder(ROOT, "release", grading_corpus.ASSIGNMENTS[entry.exercise])


def _source(entry) -> Path:
    return ROOT / "source" / grading_corpus.ASSIGNMENTS[entry.exercise]


def test_corpus_is_big_enough_and_its_codes_exist():
    count = Counter((e.exercise, e.correct) for e in ENTRIES if not e.tamper)
    assert count[("dyna_q_model_update", True)] >= 12 and count[("dyna_q_model_update", False)] >= 15
    assert count[("dyna_q_planning", True)] >= 15 and count[("dyna_q_planning", False)] >= 20
    assert count[("dyna_q_plus_reward", True)] >= 12 and count[("dyna_q_plus_reward", False)] >= 15
    assert count[("push_predecessors", True)] >= 12 and count[("push_predecessors", False)] >= 15
    assert sum(e.tamper for e in ENTRIES) >= 9
    assert {e.expect for e in ENTRIES if e.expect} <= set(CATALOGUE)


def test_every_mistake_of_the_bonus_exercises_is_in_the_corpus():
    """Each plus-/push- code of the catalogue is expected by at least one corpus cell."""
    expected = {e.expect for e in ENTRIES if e.expect}
    bonus = {code for code in CATALOGUE if code.startswith(("plus-", "push-"))}
    assert not bonus - expected - {"push-wrong", "push-wrong-priority"}, sorted(bonus - expected)


@pytest.fixture(scope="module")
def fresh_process(tmp_path_factory):
    """{entry name: {"hidden": Verdict, "visible": Verdict}} from one child per entry, 4 at a time."""
    base = tmp_path_factory.mktemp("corpus")
    references = {**verify.reference_sources(ROOT / "source" / "dyna_q"),
                  **verify.reference_sources(ROOT / "source" / "going_further")}

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
    print(f"\ncorpus through the fresh-process verifier: {len(ENTRIES)} cells, "
          f"child mean {sum(r['seconds'] for r in results.values()) / len(results):.2f} s")
    for label, exercises in [("dyna_q", ("dyna_q_model_update", "dyna_q_planning")),
                             ("going_further", ("dyna_q_plus_reward", "push_predecessors"))]:
        r = [e for e in right if e.exercise in exercises]
        w = [e for e in wrong if e.exercise in exercises]
        print(f"  {label}: correct accepted {sum(results[e.name]['hidden'].passed for e in r)}/{len(r)}, "
              f"mistakes caught {sum(not results[e.name]['hidden'].passed for e in w)}/{len(w)}, "
              f"messages right {sum(results[e.name]['hidden'].code == e.expect for e in w)}/{len(w)}, "
              f"visible check catches {sum(not results[e.name]['visible'].passed for e in w)}/{len(w)}")
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
    setup = SETUP_06 if grading_corpus.ASSIGNMENTS[entry.exercise] == "going_further" else SETUP
    exec(setup + entry.source, namespace)
    try:
        check_in_kernel(entry.exercise, namespace[entry.exercise])
    except ExerciseCheckFailed as err:
        return mistake_code(str(err))
    return None


KERNEL_ONLY = {"uses-outside-name", "function-missing"}  # what only a fresh process can see


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e.tamper and e.expect not in KERNEL_ONLY],
                         ids=[e.name for e in ENTRIES if not e.tamper and e.expect not in KERNEL_ONLY])
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
    from dynaq_course.prioritized import PriorityQueue
    from dynaq_course.checks import ExerciseCheckFailed, check_in_kernel, self_check_model_update, self_check_planning
    from dynaq_course.grading.messages import mistake_code
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
    proc = subprocess.run([sys.executable, "-c", TAMPER_SCRIPT, entry.exercise, str(path)], capture_output=True,
                          text=True, timeout=60, env={"MPLBACKEND": "Agg", "PATH": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == entry.visible
