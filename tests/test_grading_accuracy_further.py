"""The grader-accuracy suite for the bonus assignment going_further (Section 6).

The bonus assignment going_further gets the same treatment (``further`` fixture):
two throwaway courses whose notebook 06 keeps only what grading reads (the
set-up cell, the three exercise cells, their six test cells and the questions;
the lesson's experiments are left out: they are not graded, and
tests/test_going_further_pipeline.py autogrades the whole notebook), one
submission per corpus row i (dyna_q_plus_reward cell i + bonus_greedy_action
cell i + push_predecessors cell i, the shorter lists cycled), a submission with
edited/deleted test cells, both courses autograded at once.

    pytest -q -s -m accuracy tests/test_grading_accuracy_further.py
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import grading_corpus
import pytest
from accuracy_support import (
    EDITED,
    FURTHER,
    FURTHER_CELLS,
    FURTHER_NB,
    FURTHER_RERUN,
    Submission,
    _autograde,
    _check,
    _further_course,
    _generated_courses,
    _hidden_error,
    _paired,
    _scores,
    _timed,
    _write,
)
from course_copy import nbgrader, seconds_per_student

from dynaq_course.checks import registry
from dynaq_course.checks.messages import mistake_code

pytestmark = pytest.mark.accuracy


@pytest.fixture(scope="module")
def further(tmp_path_factory):
    """Every bonus-exercise corpus cell through nbgrader autograde of going_further, two courses at once."""
    base = tmp_path_factory.mktemp("accuracy_further")
    courses, env = _generated_courses(base, _further_course, FURTHER)
    entries = grading_corpus.entries(FURTHER)
    bonuses = [e for e in entries if e.exercise == "dyna_q_plus_reward"]
    greedies = [e for e in entries if e.exercise == "bonus_greedy_action"]
    pushes = [e for e in entries if e.exercise == "push_predecessors"]
    rows = _paired(bonuses, greedies, pushes)
    submissions = []
    for i, row in enumerate(rows):
        course = courses[i % 2]
        student = f"f{i:03d}"
        _write(
            course / "release" / FURTHER,
            course / "submitted" / student / FURTHER,
            {e.exercise: e.source for e in row},
            keep=[FURTHER_NB],
            test_cells=FURTHER_CELLS,
        )
        submissions.append(Submission(student, course, {e.exercise: e for e in row}))
    wrong = [
        next(e for e in bonuses if e.name.endswith("wrong_linear_tau")),
        next(e for e in greedies if e.name.endswith("wrong_linear_tau")),
        next(e for e in pushes if e.name.endswith("wrong_no_abs")),
    ]
    _write(
        courses[1] / "release" / FURTHER,
        courses[1] / "submitted" / EDITED / FURTHER,
        {e.exercise: e.source for e in wrong},
        edit_tests=True,
        keep=[FURTHER_NB],
        test_cells=FURTHER_CELLS,
    )
    submissions.append(Submission(EDITED, courses[1], {}))

    start = time.perf_counter()
    procs = [_autograde(course, env, assignment=FURTHER) for course in courses]
    with ThreadPoolExecutor(max_workers=2) as pool:
        logs = list(pool.map(_timed, procs, [start] * len(procs)))
    total = time.perf_counter() - start
    for proc, (text, _) in zip(procs, logs):
        assert proc.returncode == 0, text[-4000:]
    per_student = {}
    for _, lines in logs:
        per_student.update(seconds_per_student(lines, FURTHER, lines[-1][0] if lines else total))
    first = {s: v for course in courses for s, v in _scores(course, FURTHER, FURTHER_CELLS).items()}
    again = [s.student for s in submissions if s.course == courses[0]][:FURTHER_RERUN]
    assert all(s.startswith("f00") for s in again)
    nbgrader(
        courses[0], env, "autograde", FURTHER, "--force", f"--student=f00[{''.join(s[-1] for s in again)}]", check=False
    )
    second = _scores(courses[0], FURTHER, FURTHER_CELLS)
    times = sorted(per_student.values())
    print(
        f"\naccuracy suite, going_further: {len(submissions)} submissions (notebook 06) autograded by two "
        f"nbgrader processes at once in {total:.0f} s; per submission median {times[len(times) // 2]:.1f} s, "
        f"max {times[-1]:.1f} s"
    )
    return {
        "submissions": submissions,
        "scores": first,
        "again": {s: second[s] for s in again},
        "first_again": {s: first[s] for s in again},
    }


def test_every_going_further_submission_is_graded_as_the_corpus_says(further):
    subs = [s for s in further["submissions"] if s.entries]
    problems = [p for s in subs for p in _check(further, s, FURTHER_CELLS, FURTHER)]
    hidden = {ex.name: ex.test_cell("hidden") for ex in registry.in_assignment(FURTHER)}
    exercises = [(s, e) for s in subs for e in s.entries.values()]
    right = [(s, e) for s, e in exercises if e.correct]
    wrong = [(s, e) for s, e in exercises if not e.correct]
    accepted = [
        (s, e)
        for s, e in right
        if all(further["scores"][s.student][g] == p for g, (_, ex, p) in FURTHER_CELLS.items() if ex == e.exercise)
    ]
    caught = [(s, e) for s, e in wrong if further["scores"][s.student][hidden[e.exercise]] == 0]
    named = [
        (s, e)
        for s, e in wrong
        if not e.tamper
        and mistake_code(_hidden_error(s.course, s.student, hidden[e.exercise], FURTHER) or "") == e.expect
    ]
    for label, keep in [("going_further", set(hidden)), ("  of which bonus_greedy_action", {"bonus_greedy_action"})]:
        a, r, w, c, n = (
            [x for x in group if x[1].exercise in keep] for group in (accepted, right, wrong, caught, named)
        )
        print(
            f"\n{label} through nbgrader autograde: correct accepted {len(a)}/{len(r)}, mistakes caught "
            f"{len(c)}/{len(w)}, messages right {len(n)}/{sum(not e.tamper for _, e in w)}, tampering cases "
            f"caught {sum(1 for _, e in c if e.tamper)}/{sum(e.tamper for _, e in w)}"
        )
    assert not problems, "\n".join(problems)


def test_going_further_edited_or_deleted_test_cells_are_restored(further):
    assert further["scores"][EDITED] == {grade_id: 0 for grade_id in FURTHER_CELLS}


def test_going_further_autograding_again_gives_the_same_scores(further):
    assert further["again"] == further["first_again"]
