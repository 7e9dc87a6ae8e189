"""The grader-accuracy suite: every corpus cell through the real pipeline.

Two throwaway courses whose assignment holds only notebooks 02 and 03 (with the
``TrustedVerdicts`` autograde preprocessor enabled, as nbgrader_config.py should),
``nbgrader generate_assignment``, one submission per pairing (model-update cell
i + planning cell i, the shorter list cycled), plus a submission whose test
cells were edited to ``pass`` or deleted; both courses autograded at the same
time (two ``nbgrader autograde`` processes, one per core). Then, from the
gradebook: every correct exercise gets full marks on its two test cells, every
wrong one loses at least its hidden cell, and the failing hidden cell's error in
autograded/ carries the expected ``[mistake: code]`` (tamper cells: no points,
whatever the message). A few submissions are autograded again (``--force``):
same scores.

The bonus assignment going_further gets the same treatment (``further`` fixture):
two throwaway courses whose notebook 06 keeps only what grading reads (the
set-up cell, the two exercise cells, their four test cells and the question;
the lesson's experiments are left out: they are not graded, and
tests/test_going_further_pipeline.py autogrades the whole notebook), one
submission per pairing (dyna_q_plus_reward cell i + push_predecessors cell i),
a submission with edited/deleted test cells, both courses autograded at once.

    pytest -q -s -m accuracy tests/test_grading_accuracy.py    # -s prints counts and times
"""
from __future__ import annotations

import ast
import itertools
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import grading_corpus
from course_copy import ASSIGNMENT, make_course_copy, nbgrader, nbgrader_env, seconds_per_student
from dynaq_course.grading.messages import mistake_code

pytestmark = pytest.mark.accuracy

KEEP = ["02_model_update.ipynb", "03_planning.ipynb"]
CELLS = {  # grade_id -> (notebook, exercise, points)
    "test_model_update_visible": ("02_model_update", "dyna_q_model_update", 1),
    "test_model_update_hidden": ("02_model_update", "dyna_q_model_update", 2),
    "test_planning_visible": ("03_planning", "dyna_q_planning", 1),
    "test_planning_hidden": ("03_planning", "dyna_q_planning", 3),
}
TRUSTED_CONFIG = """
# The accuracy suite grades with the trusted re-check after the kernel (see dynaq_course/grading/autograde_check.py).
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "dynaq_course.grading.autograde_check.TrustedVerdicts",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
"""
EDITED = "edited_tests"
KERNEL_BREAKERS = {"planning/tamper_builtins"}
RERUN = 3  # submissions autograded twice


@dataclass
class Submission:
    student: str
    course: Path
    entries: dict  # exercise -> corpus Entry (None: edited-test-cells submission)


def _course(base: Path) -> Path:
    course = make_course_copy(base)
    for path in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        if path.name not in KEEP:
            path.unlink()
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(TRUSTED_CONFIG)
    return course


# ------------------------------------------------------------------ going_further (notebook 06)

FURTHER = "going_further"
FURTHER_RERUN = 2  # submissions autograded twice
FURTHER_NB = "06_going_further.ipynb"
FURTHER_CELLS = {  # grade_id -> (notebook, exercise, points)
    "test_dyna_q_plus_reward_visible": ("06_going_further", "dyna_q_plus_reward", 1),
    "test_dyna_q_plus_reward_hidden": ("06_going_further", "dyna_q_plus_reward", 2),
    "test_push_predecessors_visible": ("06_going_further", "push_predecessors", 1),
    "test_push_predecessors_hidden": ("06_going_further", "push_predecessors", 3),
}


LESSON_ONLY_IMPORTS = ("matplotlib", "dynaq_course.further_experiments", "dynaq_course.further_plots",
                       "dynaq_course.further_widgets")


def _further_course(base: Path) -> Path:
    """A course copy whose notebook 06 keeps the set-up cell (without the imports only the lesson's experiments,
    figures and sliders use: a second or more per kernel) and the graded cells only."""
    course = make_course_copy(base)
    path = course / "source" / FURTHER / FURTHER_NB
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "setup" in c.metadata.get("tags", []) or c.metadata.get("nbgrader")]
    for cell in nb.cells:
        if "setup" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            kept = [node for node in tree.body if not (isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (getattr(node, "module", None) or alias.name).startswith(LESSON_ONLY_IMPORTS) for alias in node.names))]
            cell.source = "\n".join(ast.get_source_segment(cell.source, node) for node in kept)
    assert "self_check_push_predecessors" in nb.cells[0].source and "PriorityQueue" in nb.cells[0].source
    nbformat.write(nb, path)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(TRUSTED_CONFIG)
    return course


def _write(release: Path, folder: Path, cells: dict, edit_tests: bool = False, keep=KEEP, test_cells=CELLS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in keep:
        nb = nbformat.read(release / name, as_version=4)
        for exercise, source in cells.items():
            if grading_corpus.NOTEBOOKS[exercise] == name:
                grading_corpus.set_exercise_cell(nb, exercise, source)
        if edit_tests:  # 02 (and 06's visible cells): test cells say `pass`; 03 (and 06's hidden cells): deleted
            tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in test_cells]
            for cell in tests:
                if name.startswith("02") or (name == FURTHER_NB and
                                             cell.metadata["nbgrader"]["grade_id"].endswith("visible")):
                    cell.source = "pass"
                else:
                    nb.cells.remove(cell)
        nbformat.write(nb, folder / name)
    (folder / "timestamp.txt").write_text("2025-03-01 12:00:00.000000 UTC")


def _autograde(course: Path, env: dict, *args: str, assignment: str = ASSIGNMENT) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", assignment,
                             *args], cwd=course, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _timed(proc: subprocess.Popen, start: float) -> tuple[str, list]:
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stdout]
    proc.wait()
    return "\n".join(line for _, line in lines), lines


def _scores(course: Path, assignment: str = ASSIGNMENT, cells=CELLS) -> dict:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sub in gb.assignment_submissions(assignment):
            scores[sub.student.id] = {g.name: g.score for nb in sub.notebooks for g in nb.grades
                                      if g.name in cells}
    return scores


def _hidden_error(course: Path, student: str, grade_id: str, assignment: str = ASSIGNMENT) -> str | None:
    notebook = {**CELLS, **FURTHER_CELLS}[grade_id][0]
    if not (course / "autograded" / student / assignment / f"{notebook}.ipynb").exists():
        return None  # nbgrader dropped the submission (its kernel broke)
    nb = nbformat.read(course / "autograded" / student / assignment / f"{notebook}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    return errors[0].evalue if errors else None


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("accuracy")
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    courses = [_course(base / f"course{i}") for i in range(2)]
    for course in courses:
        nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")
    entries = grading_corpus.entries(ASSIGNMENT)
    models = [e for e in entries if e.exercise == "dyna_q_model_update"]
    plans = [e for e in entries if e.exercise == "dyna_q_planning" and e.name not in KERNEL_BREAKERS]
    n = max(len(models), len(plans))
    pairs = list(zip(itertools.islice(itertools.cycle(models), n), itertools.islice(itertools.cycle(plans), n)))
    # A cell that breaks its kernel gets a submission of its own, with a correct partner: its notebook gets 0
    # (as a tamper cell), the partner's notebook (another kernel) full marks.
    pairs += [(models[0], e) for e in entries if e.name in KERNEL_BREAKERS]
    submissions = []
    for i, (model, plan) in enumerate(pairs):
        course = courses[i % 2]
        student = f"s{i:03d}"
        _write(course / "release" / ASSIGNMENT, course / "submitted" / student / ASSIGNMENT,
               {model.exercise: model.source, plan.exercise: plan.source})
        submissions.append(Submission(student, course, {model.exercise: model, plan.exercise: plan}))
    wrong_model = next(e for e in models if e.name.endswith("wrong_swapped"))
    wrong_plan = next(e for e in plans if e.name.endswith("wrong_one_update"))
    _write(courses[1] / "release" / ASSIGNMENT, courses[1] / "submitted" / EDITED / ASSIGNMENT,
           {wrong_model.exercise: wrong_model.source, wrong_plan.exercise: wrong_plan.source}, edit_tests=True)
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

    # Determinism: the first few submissions of course 0 again, forced.
    again = [s.student for s in submissions if s.course == courses[0]][:RERUN]
    assert all(s.startswith("s00") for s in again)  # one nbgrader run, by a student-id glob
    nbgrader(courses[0], env, "autograde", ASSIGNMENT, "--force", f"--student=s00[{''.join(s[-1] for s in again)}]",
             check=False)
    second = _scores(courses[0])
    times = sorted(per_student.values())
    print(f"\naccuracy suite: {len(submissions)} submissions (2 notebooks each) autograded by two nbgrader "
          f"processes at once in {total:.0f} s; per submission median {times[len(times) // 2]:.1f} s, "
          f"max {times[-1]:.1f} s")
    for student, seconds in sorted(per_student.items()):
        sub = next(s for s in submissions if s.student == student)
        names = " + ".join(e.name for e in sub.entries.values()) or "edited test cells"
        print(f"  {student} {seconds:5.1f} s  {names}")
    return {"submissions": submissions, "scores": first, "again": {s: second[s] for s in again},
            "first_again": {s: first[s] for s in again}}


def _check(graded, sub: Submission, cells=CELLS, assignment=ASSIGNMENT):
    scores = graded["scores"].get(sub.student) or {grade_id: 0 for grade_id in cells}  # dropped: no points
    problems = []
    for grade_id, (notebook, exercise, points) in cells.items():
        entry = sub.entries[exercise]
        got = scores[grade_id]
        if entry.correct and got != points:
            problems.append(f"{entry.name} correct but {grade_id} got {got}/{points}: "
                            f"{_hidden_error(sub.course, sub.student, grade_id, assignment)}")
        if not entry.correct and grade_id.endswith("hidden"):
            if got != 0:
                problems.append(f"{entry.name} wrong but {grade_id} got {got}/{points}")
            elif not entry.tamper:
                code = mistake_code(_hidden_error(sub.course, sub.student, grade_id, assignment) or "")
                if code != entry.expect:
                    problems.append(f"{entry.name}: {grade_id} says [{code}], expected [{entry.expect}]")
        if entry.tamper and got != 0:
            problems.append(f"{entry.name} tampers but {grade_id} got {got}/{points}")
    return problems


def test_every_submission_is_graded_as_the_corpus_says(graded):
    subs = [s for s in graded["submissions"] if s.entries]
    problems = [p for s in subs for p in _check(graded, s)]
    exercises = [(s, e) for s in subs for e in s.entries.values()]
    right = [(s, e) for s, e in exercises if e.correct]
    wrong = [(s, e) for s, e in exercises if not e.correct]

    def hidden(e):
        return "test_model_update_hidden" if e.exercise == "dyna_q_model_update" else "test_planning_hidden"

    caught = [(s, e) for s, e in wrong if graded["scores"][s.student][hidden(e)] == 0]
    named = [(s, e) for s, e in wrong if not e.tamper
             and mistake_code(_hidden_error(s.course, s.student, hidden(e)) or "") == e.expect]
    print(f"\nthrough nbgrader autograde: correct accepted "
          f"{sum(all(graded['scores'][s.student][g] == p for g, (_, ex, p) in CELLS.items() if ex == e.exercise) for s, e in right)}"
          f"/{len(right)}, mistakes caught {len(caught)}/{len(wrong)}, messages right "
          f"{len(named)}/{sum(not e.tamper for _, e in wrong)}, tampering cases caught "
          f"{sum(1 for s, e in caught if e.tamper)}/{sum(e.tamper for _, e in wrong)}")
    assert not problems, "\n".join(problems)


def test_edited_or_deleted_test_cells_are_restored(graded):
    assert graded["scores"][EDITED] == {grade_id: 0 for grade_id in CELLS}


def test_autograding_again_gives_the_same_scores(graded):
    assert graded["again"] == graded["first_again"]


# ------------------------------------------------------------------ going_further

@pytest.fixture(scope="module")
def further(tmp_path_factory):
    """Every bonus-exercise corpus cell through nbgrader autograde of going_further, two courses at once."""
    base = tmp_path_factory.mktemp("accuracy_further")
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    courses = [_further_course(base / f"course{i}") for i in range(2)]
    for course in courses:
        nbgrader(course, env, "generate_assignment", FURTHER, "--force")
    entries = grading_corpus.entries(FURTHER)
    bonuses = [e for e in entries if e.exercise == "dyna_q_plus_reward"]
    pushes = [e for e in entries if e.exercise == "push_predecessors"]
    n = max(len(bonuses), len(pushes))
    pairs = list(zip(itertools.islice(itertools.cycle(bonuses), n), itertools.islice(itertools.cycle(pushes), n)))
    submissions = []
    for i, (bonus, push) in enumerate(pairs):
        course = courses[i % 2]
        student = f"f{i:03d}"
        _write(course / "release" / FURTHER, course / "submitted" / student / FURTHER,
               {bonus.exercise: bonus.source, push.exercise: push.source}, keep=[FURTHER_NB], test_cells=FURTHER_CELLS)
        submissions.append(Submission(student, course, {bonus.exercise: bonus, push.exercise: push}))
    wrong_bonus = next(e for e in bonuses if e.name.endswith("wrong_linear_tau"))
    wrong_push = next(e for e in pushes if e.name.endswith("wrong_no_abs"))
    _write(courses[1] / "release" / FURTHER, courses[1] / "submitted" / EDITED / FURTHER,
           {wrong_bonus.exercise: wrong_bonus.source, wrong_push.exercise: wrong_push.source}, edit_tests=True,
           keep=[FURTHER_NB], test_cells=FURTHER_CELLS)
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
    nbgrader(courses[0], env, "autograde", FURTHER, "--force", f"--student=f00[{''.join(s[-1] for s in again)}]",
             check=False)
    second = _scores(courses[0], FURTHER, FURTHER_CELLS)
    times = sorted(per_student.values())
    print(f"\naccuracy suite, going_further: {len(submissions)} submissions (notebook 06) autograded by two "
          f"nbgrader processes at once in {total:.0f} s; per submission median {times[len(times) // 2]:.1f} s, "
          f"max {times[-1]:.1f} s")
    return {"submissions": submissions, "scores": first, "again": {s: second[s] for s in again},
            "first_again": {s: first[s] for s in again}}


def test_every_going_further_submission_is_graded_as_the_corpus_says(further):
    subs = [s for s in further["submissions"] if s.entries]
    problems = [p for s in subs for p in _check(further, s, FURTHER_CELLS, FURTHER)]
    hidden = {"dyna_q_plus_reward": "test_dyna_q_plus_reward_hidden", "push_predecessors": "test_push_predecessors_hidden"}
    exercises = [(s, e) for s in subs for e in s.entries.values()]
    right = [(s, e) for s, e in exercises if e.correct]
    wrong = [(s, e) for s, e in exercises if not e.correct]
    accepted = [(s, e) for s, e in right if all(further["scores"][s.student][g] == p
                                                 for g, (_, ex, p) in FURTHER_CELLS.items() if ex == e.exercise)]
    caught = [(s, e) for s, e in wrong if further["scores"][s.student][hidden[e.exercise]] == 0]
    named = [(s, e) for s, e in wrong if not e.tamper and mistake_code(
        _hidden_error(s.course, s.student, hidden[e.exercise], FURTHER) or "") == e.expect]
    print(f"\ngoing_further through nbgrader autograde: correct accepted {len(accepted)}/{len(right)}, "
          f"mistakes caught {len(caught)}/{len(wrong)}, messages right {len(named)}/"
          f"{sum(not e.tamper for _, e in wrong)}, tampering cases caught {sum(1 for _, e in caught if e.tamper)}/"
          f"{sum(e.tamper for _, e in wrong)}")
    assert not problems, "\n".join(problems)


def test_going_further_edited_or_deleted_test_cells_are_restored(further):
    assert further["scores"][EDITED] == {grade_id: 0 for grade_id in FURTHER_CELLS}


def test_going_further_autograding_again_gives_the_same_scores(further):
    assert further["again"] == further["first_again"]
