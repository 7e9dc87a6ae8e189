"""Shared by the grader-accuracy suites (tests/test_grading_accuracy*.py): throwaway courses,
submissions written from corpus cells, nbgrader autograde runs, scores and hidden-test errors
read back from the gradebook and autograded/."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grading_corpus
import nbformat
from course_copy import ASSIGNMENT, keep_graded_cells_only, make_course_copy, nbgrader, nbgrader_env

from dynaq_course.checks import registry
from dynaq_course.checks.messages import mistake_code


def cells_of(assignment: str) -> dict:
    """{grade_id: (notebook stem, exercise, points)} of the assignment's test cells (from the registry)."""
    return {
        grade_id: (Path(ex.notebook).stem, ex.name, ex.points(level))
        for grade_id, (ex, level) in registry.graded_cells(registry.in_assignment(assignment)).items()
    }


KEEP = sorted({ex.notebook for ex in registry.in_assignment(ASSIGNMENT)})
CELLS = cells_of(ASSIGNMENT)
EDITED = "edited_tests"
KERNEL_BREAKERS = {"planning/tamper_builtins"}
KERNEL_BREAKER_COST = 9  # ordinary submissions' time (measured: 75 s against 8.4 s)
RERUN = 3  # submissions autograded twice


@dataclass
class Submission:
    student: str
    course: Path
    entries: dict  # exercise -> corpus Entry (None: edited-test-cells submission)


def _require_trusted_verdicts(course: Path) -> None:
    """The suite measures grading as the course configures it: with the trusted re-check after the kernel."""
    config = (course / "nbgrader_config.py").read_text()
    assert "dynaq_course.grading.autograde_check.TrustedVerdicts" in config, (
        "nbgrader_config.py no longer re-checks test cells outside the kernel (TrustedVerdicts)"
    )


def _course(base: Path) -> Path:
    course = make_course_copy(base)
    for path in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        if path.name not in KEEP:
            path.unlink()
    keep_graded_cells_only(course, ASSIGNMENT)
    _require_trusted_verdicts(course)
    return course


# ------------------------------------------------------------------ going_further (notebook 06)

FURTHER = "going_further"
FURTHER_RERUN = 2  # submissions autograded twice
(FURTHER_NB,) = {ex.notebook for ex in registry.in_assignment(FURTHER)}
FURTHER_CELLS = cells_of(FURTHER)


def _further_course(base: Path) -> Path:
    course = make_course_copy(base)
    keep_graded_cells_only(course, FURTHER)
    nb = nbformat.read(course / "source" / FURTHER / FURTHER_NB, as_version=4)
    setup = nb.cells[0].source
    assert all(
        name in setup
        for name in (
            "self_check_dyna_q_plus_reward",
            "self_check_bonus_greedy_action",
            "self_check_push_predecessors",
            "PriorityQueue",
        )
    )
    _require_trusted_verdicts(course)
    return course


def _generated_courses(base: Path, make_course, assignment: str) -> tuple[list, dict]:
    """Two throwaway courses made by ``make_course``, the assignment generated in both at once (one per core)."""
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    courses = [make_course(base / f"course{i}") for i in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda course: nbgrader(course, env, "generate_assignment", assignment, "--force"), courses))
    return courses, env


def _paired(*lists: list) -> list:
    """Cell i of each exercise together, the shorter lists cycled: every cell in some submission."""
    n = max(len(cells) for cells in lists)
    return list(zip(*(itertools.islice(itertools.cycle(cells), n) for cells in lists)))


def _write(release: Path, folder: Path, cells: dict, edit_tests: bool = False, keep=KEEP, test_cells=CELLS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in keep:
        nb = nbformat.read(release / name, as_version=4)
        for exercise, source in cells.items():
            if registry.exercise(exercise).notebook == name:
                grading_corpus.set_exercise_cell(nb, exercise, source)
        if edit_tests:  # 02 (and 06's visible cells): test cells say `pass`; 03 (and 06's hidden cells): deleted
            tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in test_cells]
            for cell in tests:
                if name.startswith("02") or (
                    name == FURTHER_NB and cell.metadata["nbgrader"]["grade_id"].endswith("visible")
                ):
                    cell.source = "pass"
                else:
                    nb.cells.remove(cell)
        nbformat.write(nb, folder / name)
    (folder / "timestamp.txt").write_text("2025-03-01 12:00:00.000000 UTC")


def _autograde(course: Path, env: dict, *args: str, assignment: str = ASSIGNMENT) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, *args],
        cwd=course,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _timed(proc: subprocess.Popen, start: float) -> tuple[str, list]:
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stdout]
    proc.wait()
    return "\n".join(line for _, line in lines), lines


def _scores(course: Path, assignment: str = ASSIGNMENT, cells=CELLS) -> dict:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for sub in gb.assignment_submissions(assignment):
            scores[sub.student.id] = {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.name in cells}
    return scores


def _hidden_error(course: Path, student: str, grade_id: str, assignment: str = ASSIGNMENT) -> str | None:
    notebook = {**CELLS, **FURTHER_CELLS}[grade_id][0]
    if not (course / "autograded" / student / assignment / f"{notebook}.ipynb").exists():
        return None  # nbgrader dropped the submission (its kernel broke)
    nb = nbformat.read(course / "autograded" / student / assignment / f"{notebook}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    return errors[0].evalue if errors else None


def _check(graded, sub: Submission, cells=CELLS, assignment=ASSIGNMENT):
    scores = graded["scores"].get(sub.student) or {grade_id: 0 for grade_id in cells}  # dropped: no points
    problems = []
    for grade_id, (notebook, exercise, points) in cells.items():
        entry = sub.entries[exercise]
        got = scores[grade_id]
        if entry.correct and got != points:
            problems.append(
                f"{entry.name} correct but {grade_id} got {got}/{points}: "
                f"{_hidden_error(sub.course, sub.student, grade_id, assignment)}"
            )
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
