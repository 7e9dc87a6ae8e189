"""Grade every submission of an assignment: parallel, isolated, resumable.

    python -m dynaq_course.grade dyna_q [--jobs N] [--student ID ...] [--force]
        [--scheduler tcp://host:port] [--sandbox auto|require|off] [--timeout SECONDS]

1. Plan (main process): read the course with nbgrader's config, list
   submitted/<student>/<assignment>/, keep the ones that are new, resubmitted
   (timestamp.txt differs from the autograded copy's), or were not fully graded
   last time (a notebook missing from autograded/) - all of them with --force.
   Pre-check each: every notebook of the assignment present, valid JSON, valid
   nbformat. Take ONE snapshot of the gradebook (SQLite backup API).
2. Grade (workers): each submission in its own throwaway workspace with its own
   copy of the snapshot (:mod:`.worker`), on local processes or a Dask cluster.
3. Merge (main process only, one result at a time, as they come back): grades
   into the real gradebook, autograded files into autograded/ (:mod:`.merge`).
4. Summary: what was graded, every notebook that could not be graded and why
   (separate from real zeros), suspected tampering, sandbox warnings. Exit
   status 0 only when everything was graded and nothing needs attention.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from dynaq_course.grading.course import Course, CourseError, assignment_notebooks, load_course
from dynaq_course.grading.failures import precheck_submission
from dynaq_course.grading.jobs import WORKER_ERROR, Failure, Job, Result
from dynaq_course.grading.merge import Merged, failed_notebooks, merge_result, write_autograded
from dynaq_course.grading.workspace import read_files, snapshot_gradebook

SANDBOX_MODES = ("auto", "require", "off")


@dataclass
class Options:
    assignment: str
    course_root: Path = field(default_factory=Path.cwd)
    jobs: int | None = None  # local worker processes (default: the machine's cores)
    students: list[str] = field(default_factory=list)
    force: bool = False
    scheduler: str | None = None  # Dask scheduler address; None = local processes
    sandbox: str = "auto"
    timeout: int | None = None  # seconds per cell; None keeps the course's Execute.timeout
    progress: bool = True
    run: str = "graded"  # graded | all (grading.graded_run)


@dataclass
class Planned:
    student: str
    reason: str  # why it is (re)graded
    notebooks: list[str]  # the ones that passed the pre-check
    precheck: list[Failure] = field(default_factory=list)


@dataclass
class Summary:
    assignment: str
    executor: str = ""
    planned: list[Planned] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    merged: dict[str, Merged] = field(default_factory=dict)
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # student -> (auto score, max auto)
    warnings: list[str] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)  # student -> nbgrader log file of a failed submission
    seconds: float = 0.0

    @property
    def tampering(self) -> dict[str, list[str]]:
        return {s: m.tampering for s, m in self.merged.items() if m.tampering}

    @property
    def exit_status(self) -> int:
        return 1 if self.failures or self.tampering else 0


# ------------------------------------------------------------------ plan


def plan(course: Course, options: Options, notebooks: list[str]) -> tuple[list[Planned], list[str]]:
    """(submissions to grade, students already up to date)."""
    available = course.submitted_students(options.assignment)
    if options.students:
        unknown = sorted(set(options.students) - set(available))
        if unknown:
            raise CourseError(
                f"no submission of {options.assignment} for {', '.join(unknown)} under "
                f"{course.folder('submitted', '<student>', options.assignment)}"
            )
        available = [s for s in available if s in options.students]
    todo, up_to_date = [], []
    for student in available:
        submitted = course.folder("submitted", student, options.assignment)
        autograded = course.folder("autograded", student, options.assignment)
        if options.force:
            reason = "forced"
        elif not autograded.is_dir():
            reason = "not graded yet"
        elif any(not (autograded / f"{nb}.ipynb").is_file() for nb in notebooks):
            reason = "not fully graded last time"
        elif course.timestamp(submitted) != course.timestamp(autograded):
            reason = "resubmitted"
        else:
            up_to_date.append(student)
            continue
        ok, failures = precheck_submission(submitted, student, notebooks)
        todo.append(Planned(student, reason, ok, failures))
    return todo, up_to_date


def make_job(course: Course, options: Options, planned: Planned, snapshot: bytes) -> Job:
    from nbgrader.utils import find_all_files

    a = options.assignment
    submitted = course.folder("submitted", planned.student, a)
    broken = {f"{f.notebook}.ipynb" for f in planned.precheck if f.notebook}
    files = {rel: data for rel, data in read_files(submitted).items() if rel not in broken}
    source = course.folder("source", ".", a)
    source_files = {
        os.path.relpath(p, source): Path(p).read_bytes()
        for p in find_all_files(str(source), course.coursedir.ignore + ["*.ipynb"])
    }
    trusted = {p.name: p.read_bytes() for p in sorted(source.glob("*.ipynb"))}
    return Job(
        a,
        planned.student,
        planned.notebooks,
        course.config_py.read_bytes(),
        snapshot,
        files,
        source_files,
        trusted,
        options.sandbox,
        options.timeout,
        options.run,
    )


# ------------------------------------------------------------------ executors


def _quiet_worker() -> None:
    """Worker processes' own output (kernels inherit it) stays off the instructor's terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def make_executor(options: Options) -> tuple[Executor, str, object]:
    """(executor, description, thing to close) for local processes or a Dask scheduler."""
    if options.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise CourseError("--scheduler needs dask.distributed: pip install distributed") from None
        client = Client(options.scheduler)
        workers = len(client.scheduler_info().get("workers", {}))
        return client.get_executor(pure=False), f"Dask scheduler {options.scheduler} ({workers} workers)", client
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = options.jobs or os.cpu_count() or 1
    ctx = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has imported nbgrader once (~5 s of imports saved per worker).
    ctx.set_forkserver_preload(["dynaq_course.grading.worker", "nbgrader.converters", "nbgrader.api"])
    return (
        ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_quiet_worker),
        f"{jobs} local worker process{'es' if jobs != 1 else ''}",
        None,
    )


# ------------------------------------------------------------------ run


def _sandbox_precheck(options: Options, summary: Summary) -> None:
    if options.sandbox == "off":
        summary.warnings.append("--sandbox off: student code ran UNSANDBOXED, with the grader's rights")
        return
    try:
        from dynaq_course.grading.sandbox import sandbox_status
    except ImportError:
        if options.sandbox == "require":
            raise CourseError("--sandbox require, but dynaq_course.grading.sandbox is not installed") from None
        return  # the workers say it (one warning per run in the summary)
    ok, reason = sandbox_status()
    if not ok and options.sandbox == "require":
        raise CourseError(f"--sandbox require, but the sandbox cannot run here: {reason}")


def _unsealed_warning(course: Course, options: Options, summary: Summary) -> None:
    """Say which hidden tests run in the students' kernels as stored (those of no exercise the course knows)."""
    from dynaq_course.checks.registry import graded_cells
    from dynaq_course.grading.sealed_tests import unsealed_hidden_tests

    unknown = unsealed_hidden_tests(course.folder("source", ".", options.assignment), set(graded_cells()))
    if unknown:
        summary.warnings.append(
            "these hidden tests are not exercises the course knows, so they ran in the students' kernels as "
            f"stored, where a submission can read them: {', '.join(unknown)}"
        )


def _scores(course: Course, assignment: str, students: list[str]) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        for student in students:
            sub = gb.find_submission(assignment, student)
            scores[student] = (sub.code_score, sub.max_code_score)
    return scores


def run(options: Options, out=None) -> Summary:
    from tqdm import tqdm

    out = out or sys.stdout
    start = time.perf_counter()
    if options.sandbox not in SANDBOX_MODES:
        raise CourseError(f"--sandbox must be one of {', '.join(SANDBOX_MODES)}")
    course = load_course(options.course_root)
    notebooks = assignment_notebooks(course, options.assignment)
    summary = Summary(options.assignment)
    _sandbox_precheck(options, summary)
    _unsealed_warning(course, options, summary)
    todo, summary.up_to_date = plan(course, options, notebooks)
    summary.planned = todo
    for p in todo:
        summary.failures.extend(p.precheck)
    if not todo:
        summary.seconds = time.perf_counter() - start
        return summary

    snapshot = snapshot_gradebook(Path(course.db_url[len("sqlite:///") :]))
    gradable = [p for p in todo if p.notebooks]
    by_student = {p.student: p for p in todo}
    for p in todo:
        if not p.notebooks:  # nothing to run: record the failures in the gradebook now
            _merge(
                course,
                options,
                summary,
                Result(options.assignment, p.student, timestamp=_timestamp(course, options, p.student)),
                p,
            )
    for failure in summary.failures:
        tqdm.write(f"NOT GRADED {failure.line()}", file=out)
    if not gradable:
        summary.seconds = time.perf_counter() - start
        return summary

    executor, summary.executor, closer = make_executor(options)
    bar = tqdm(
        total=len(gradable),
        desc=f"grading {options.assignment}",
        unit="submission",
        disable=not options.progress,
        file=out,
        dynamic_ncols=True,
    )
    try:
        from dynaq_course.grading.worker import grade_submission

        futures = {executor.submit(grade_submission, make_job(course, options, p, snapshot)): p for p in gradable}
        for future in as_completed(futures):
            planned = futures[future]
            try:
                result = future.result()
            except Exception as err:  # noqa: BLE001 - a worker process died, a Dask worker was lost...
                result = Result(
                    options.assignment,
                    planned.student,
                    failures=[Failure(planned.student, None, WORKER_ERROR, f"{type(err).__name__}: {err}")],
                )
            new = _merge(course, options, summary, result, by_student[result.student])
            for failure in new:
                tqdm.write(f"NOT GRADED {failure.line()}", file=out)
            bar.update(1)
    finally:
        bar.close()
        if closer is None:
            executor.shutdown(wait=True, cancel_futures=True)
        else:  # Dask's executor has no cancel_futures
            executor.shutdown(wait=True)
            closer.close()
    summary.scores = _scores(course, options.assignment, sorted(summary.merged))
    summary.seconds = time.perf_counter() - start
    return summary


def _timestamp(course: Course, options: Options, student: str) -> str | None:
    ts = course.timestamp(course.folder("submitted", student, options.assignment))
    return ts.replace(tzinfo=None).isoformat() if ts else None


def _merge(course: Course, options: Options, summary: Summary, result: Result, planned: Planned) -> list[Failure]:
    """Write one result (main process only); returns its new failures."""
    new = list(result.failures) + [o.failure for o in result.notebooks if o.failure]
    summary.failures.extend(new)
    if result.sandbox_warning and result.sandbox_warning not in summary.warnings:
        summary.warnings.append(result.sandbox_warning)
    if new and result.log:
        summary.logs[result.student] = str(_save_log(course, options, result))
    if result.failures:  # the submission as a whole was not graded: the gradebook is left as it was
        return new
    summary.merged[result.student] = merge_result(
        course.db_url, course.course_id, result, failed_notebooks(result, planned.precheck)
    )
    write_autograded(course.folder("autograded", result.student, options.assignment), result)
    return new


LOG_FOLDER = "grading_logs"


def _save_log(course: Course, options: Options, result: Result) -> Path:
    """nbgrader's log of a submission that was not fully graded: <course>/grading_logs/<assignment>/<student>.log
    (not under autograded/, whose extra files nbgrader copies into the student's feedback)."""
    path = course.root / LOG_FOLDER / options.assignment / f"{result.student}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.log)
    return path
