"""The grader-accuracy suite: every corpus cell through the real pipeline.

Two throwaway courses whose assignment holds only notebooks 02 and 03, cut to the
cells grading needs (``course_copy.keep_graded_cells_only``; with the
``TrustedVerdicts`` autograde preprocessor enabled by the course's nbgrader_config.py),
``nbgrader generate_assignment``, one submission per pairing (model-update cell
i + planning cell i, the shorter list cycled), plus a submission whose test
cells were edited to ``pass`` or deleted; both courses autograded at the same
time (two ``nbgrader autograde`` processes, one per core). Then, from the
gradebook: every correct exercise gets full marks on its two test cells, every
wrong one loses at least its hidden cell, and the failing hidden cell's error in
autograded/ carries the expected ``[mistake: code]`` (tamper cells: no points,
whatever the message). A few submissions are autograded again (``--force``):
same scores.

    pytest -q -s -m accuracy tests/test_grading_accuracy.py    # -s prints counts and times
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import grading_corpus
import pytest
from accuracy_support import (
    ASSIGNMENT,
    CELLS,
    EDITED,
    KERNEL_BREAKER_COST,
    KERNEL_BREAKERS,
    RERUN,
    Submission,
    _autograde,
    _check,
    _course,
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
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("accuracy")
    courses, env = _generated_courses(base, _course, ASSIGNMENT)
    entries = grading_corpus.entries(ASSIGNMENT)
    models = [e for e in entries if e.exercise == "dyna_q_model_update"]
    plans = [e for e in entries if e.exercise == "dyna_q_planning" and e.name not in KERNEL_BREAKERS]
    pairs = _paired(models, plans)
    # A cell that breaks its kernel gets a submission of its own, with a correct partner: its notebook gets 0
    # (as a tamper cell), the partner's notebook (another kernel) full marks.
    pairs += [(models[0], e) for e in entries if e.name in KERNEL_BREAKERS]
    # Balance the two autograde processes: a kernel breaker costs the per-cell timeout (60 s),
    # about as much as KERNEL_BREAKER_COST ordinary submissions; the rest alternate.
    load = [0.0, 0.0]
    where = {}
    for i, (model, plan) in sorted(enumerate(pairs), key=lambda ip: ip[1][1].name not in KERNEL_BREAKERS):
        where[i] = min((0, 1), key=lambda c: load[c])
        load[where[i]] += KERNEL_BREAKER_COST if plan.name in KERNEL_BREAKERS else 1
    submissions = []
    for i, (model, plan) in enumerate(pairs):
        course = courses[where[i]]
        student = f"s{i:03d}"
        _write(
            course / "release" / ASSIGNMENT,
            course / "submitted" / student / ASSIGNMENT,
            {model.exercise: model.source, plan.exercise: plan.source},
        )
        submissions.append(Submission(student, course, {model.exercise: model, plan.exercise: plan}))
    wrong_model = next(e for e in models if e.name.endswith("wrong_swapped"))
    wrong_plan = next(e for e in plans if e.name.endswith("wrong_one_update"))
    _write(
        courses[1] / "release" / ASSIGNMENT,
        courses[1] / "submitted" / EDITED / ASSIGNMENT,
        {wrong_model.exercise: wrong_model.source, wrong_plan.exercise: wrong_plan.source},
        edit_tests=True,
    )
    submissions.append(Submission(EDITED, courses[1], {}))

    start = time.perf_counter()
    procs = [_autograde(course, env) for course in courses]
    with ThreadPoolExecutor(max_workers=2) as pool:  # read both logs as they come, for the timings
        logs = list(pool.map(_timed, procs, [start] * len(procs)))
    total = time.perf_counter() - start
    # A cell that breaks its kernel (tamper_builtins rebinds isinstance, which ipykernel needs) makes
    # nbgrader drop that submission and exit 1 at the end: no points, the others graded. Nothing else may fail.
    for proc, (text, _) in zip(procs, logs):
        failed = set(re.findall(r"error processing assignment 'dyna_q' for student '(\w+)'", text))
        kernel_breakers = {s.student for s in submissions if any(e.name in KERNEL_BREAKERS for e in s.entries.values())}
        assert proc.returncode == 0 or failed <= kernel_breakers, text[-4000:]
    per_student = {}
    for _, lines in logs:
        per_student.update(seconds_per_student(lines, ASSIGNMENT, lines[-1][0] if lines else total))
    first = {s: v for course in courses for s, v in _scores(course).items()}

    # Determinism: the first few submissions of course 1 (no kernel breaker there) again, forced.
    again = [s.student for s in submissions if s.course == courses[1]][:RERUN]
    assert all(s.startswith("s00") for s in again)  # one nbgrader run, by a student-id glob
    nbgrader(
        courses[1],
        env,
        "autograde",
        ASSIGNMENT,
        "--force",
        f"--student=s00[{''.join(s[-1] for s in again)}]",
        check=False,
    )
    second = _scores(courses[1])
    times = sorted(per_student.values())
    print(
        f"\naccuracy suite: {len(submissions)} submissions (2 notebooks each) autograded by two nbgrader "
        f"processes at once in {total:.0f} s; per submission median {times[len(times) // 2]:.1f} s, "
        f"max {times[-1]:.1f} s"
    )
    for student, seconds in sorted(per_student.items()):
        sub = next(s for s in submissions if s.student == student)
        names = " + ".join(e.name for e in sub.entries.values()) or "edited test cells"
        print(f"  {student} {seconds:5.1f} s  {names}")
    return {
        "submissions": submissions,
        "scores": first,
        "again": {s: second[s] for s in again},
        "first_again": {s: first[s] for s in again},
    }


def test_every_submission_is_graded_as_the_corpus_says(graded):
    subs = [s for s in graded["submissions"] if s.entries]
    problems = [p for s in subs for p in _check(graded, s)]
    exercises = [(s, e) for s in subs for e in s.entries.values()]
    right = [(s, e) for s, e in exercises if e.correct]
    wrong = [(s, e) for s, e in exercises if not e.correct]

    def hidden(e):
        return registry.exercise(e.exercise).test_cell("hidden")

    caught = [(s, e) for s, e in wrong if graded["scores"][s.student][hidden(e)] == 0]
    named = [
        (s, e)
        for s, e in wrong
        if not e.tamper and mistake_code(_hidden_error(s.course, s.student, hidden(e)) or "") == e.expect
    ]
    accepted = sum(
        all(graded["scores"][s.student][g] == p for g, (_, ex, p) in CELLS.items() if ex == e.exercise)
        for s, e in right
    )
    print(
        f"\nthrough nbgrader autograde: correct accepted {accepted}"
        f"/{len(right)}, mistakes caught {len(caught)}/{len(wrong)}, messages right "
        f"{len(named)}/{sum(not e.tamper for _, e in wrong)}, tampering cases caught "
        f"{sum(1 for s, e in caught if e.tamper)}/{sum(e.tamper for _, e in wrong)}"
    )
    assert not problems, "\n".join(problems)


def test_edited_or_deleted_test_cells_are_restored(graded):
    assert graded["scores"][EDITED] == {grade_id: 0 for grade_id in CELLS}


def test_autograding_again_gives_the_same_scores(graded):
    assert graded["again"] == graded["first_again"]
