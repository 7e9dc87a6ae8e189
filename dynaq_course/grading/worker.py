"""The worker: autograde one submission in its own workspace, return plain data.

:func:`grade_submission` is a top-level function taking a :class:`Job` and
returning a :class:`Result`, so it runs on any ``concurrent.futures`` executor
(local processes, or Dask's ``Client.get_executor()``).

nbgrader runs *in-process* (its ``Autograde`` converter, as ``nbgrader
autograde`` uses it), in a worker process that is reused from one submission to
the next: importing nbgrader costs ~5 s here (jsonschema's RFC 3987 grammar,
pulled in by nbformat's validator), which a subprocess per submission would pay
every time. Each notebook is autograded on its own (``--notebook``), so a kernel
that dies in one notebook costs only that notebook, not the whole submission
(nbgrader drops the whole submission otherwise).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from dynaq_course.grading.failures import classify_autograde_error, timed_out_cells, timed_out_failure
from dynaq_course.grading.graded_run import autograde_steps, notebooks_with_tests
from dynaq_course.grading.jobs import SANDBOX_UNAVAILABLE, WORKER_ERROR, Failure, Job, NotebookOutcome, Result, Verdict
from dynaq_course.grading.workspace import Workspace, build_workspace, read_files

LOG_LIMIT = 20_000
VERIFY_ERROR = "trusted re-check error"
SEAL = "dynaq_course.grading.sealed_tests.SealHiddenTests"
_JOB_LOCK = threading.Lock()  # one job at a time per process: a job sets environment variables for its kernels


@dataclass
class PlainKernel:
    """What the sandbox interface returns, for running without a sandbox."""

    active: bool = False
    warning: str | None = None
    env: dict = field(default_factory=dict)
    nbgrader_args: list = field(default_factory=list)
    child_prefix: list = field(default_factory=list)


class SandboxRequired(RuntimeError):
    pass


def prepare_sandbox(ws: Workspace, mode: str):
    """The kernel set-up for this workspace: the sandbox (``sandbox.prepare_kernel``), or a plain kernel for 'off'."""
    if mode == "off":
        return PlainKernel()
    try:
        from dynaq_course.grading.sandbox import prepare_kernel
    except ImportError:
        message = (
            "dynaq_course.grading.sandbox is not available, so submissions run UNSANDBOXED "
            "(student code has the grader's rights)"
        )
        if mode == "require":
            raise SandboxRequired(message + "; install it or run with --sandbox off") from None
        return PlainKernel(warning=message)
    return prepare_kernel(ws.root, [ws.autograded, ws.submitted], mode)


def _config(ws: Workspace, job: Job, kernel, verdicts: dict):
    """nbgrader's configuration for this workspace, layered as `nbgrader autograde` layers it:
    the course's nbgrader_config.py, then config files on the sandbox's JUPYTER_CONFIG_PATH,
    then the command-line arguments (the sandbox's kernel name and transport). First of the
    autograde steps: sealing the hidden tests with ``verdicts`` (``grading.sealed_tests``)."""
    from nbgrader.converters import Autograde
    from traitlets.config import Config
    from traitlets.config.loader import KVArgParseConfigLoader, PyFileConfigLoader

    from dynaq_course.grading.sealed_tests import SealHiddenTests

    cfg = Config()
    cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(ws.course)).load_config())
    # The sandbox's config comes after the course's, so its output-capping Execute step
    # replaces the course's autograde list whatever that list says.
    extra_dirs = [
        d
        for d in kernel.env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)
        if d and d not in os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)
    ]
    for folder in reversed(extra_dirs):  # the first folder on the path wins, as in Jupyter
        if (Path(folder) / "nbgrader_config.py").is_file():
            cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    # This command re-checks every submission itself, outside nbgrader and (when active) in the
    # sandbox; the course config's in-process re-check would run student code unsandboxed.
    cfg.TrustedVerdicts.enabled = False
    if kernel.nbgrader_args:
        cfg.merge(KVArgParseConfigLoader(argv=list(kernel.nbgrader_args)).load_config())
    # The kernel runs the verdicts, not the hidden tests: the reference never enters it.
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = list(cfg.Autograde.get("autograde_preprocessors") or default)
    cfg.Autograde.autograde_preprocessors = [SEAL, *(step for step in steps if step not in (SEAL, SealHiddenTests))]
    # Each notebook's list is this one, with graded_run's steps placed (grade_submission).
    cfg.SealHiddenTests.verdicts = {gid: {"passed": v.passed, "message": v.message} for gid, v in verdicts.items()}
    # Whatever the course's config says, this run reads and writes only the workspace.
    cfg.CourseDirectory.root = str(ws.course)
    cfg.CourseDirectory.db_url = ws.db_url
    cfg.CourseDirectory.assignment_id = job.assignment
    cfg.CourseDirectory.student_id = job.student
    if job.timeout:
        cfg.Execute.timeout = int(job.timeout)  # applies to subclasses such as the sandbox's CappedExecute
    return cfg


@contextlib.contextmanager
def _environment(extra: dict):
    """The job's environment for the kernels this process starts (and TMPDIR for the
    connection files nbclient writes with tempfile, cached by the tempfile module)."""
    saved = {k: os.environ.get(k) for k in extra}
    saved_tempdir = tempfile.tempdir
    os.environ.update(extra)
    os.environ.pop("NBGRADER_EXECUTION", None)
    if "TMPDIR" in extra:
        tempfile.tempdir = extra["TMPDIR"]
    try:
        yield
    finally:
        tempfile.tempdir = saved_tempdir
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _logger(student: str) -> logging.Logger:
    log = logging.getLogger(f"dynaq_course.grade.worker.{os.getpid()}")
    log.propagate = False
    log.setLevel(logging.INFO)
    return log


def _autograde_one(ws: Workspace, job: Job, cfg, name: str) -> tuple[NotebookOutcome, str]:
    import nbformat
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    coursedir = CourseDirectory(config=cfg)
    coursedir.notebook_id = name
    app = Autograde(coursedir=coursedir, config=cfg, log=_logger(job.student))
    app.force = True
    app.create_student = True
    run = capture_log(app)
    text = (run.get("log") or "") + "\n" + (run.get("error") or "")
    out = ws.autograded / f"{name}.ipynb"
    if not run["success"] or not out.exists():
        return NotebookOutcome(name, failure=classify_autograde_error(job.student, name, text)), text
    stopped = timed_out_cells(nbformat.read(out, as_version=4))
    if stopped:
        return NotebookOutcome(name, failure=timed_out_failure(job.student, name, stopped, job.timeout)), text
    return NotebookOutcome(name), text


def _read_grades(ws: Workspace, job: Job, result: Result) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(ws.db_url) as gb:
        try:
            sub = gb.find_submission(job.assignment, job.student)
        except MissingEntry:
            return
        result.timestamp = sub.timestamp.isoformat() if sub.timestamp else None
        for outcome in result.notebooks:
            if not outcome.ok:
                continue
            nb = gb.find_submission_notebook(outcome.name, job.assignment, job.student)
            outcome.grades = {g.name: g.auto_score for g in nb.grades}
            outcome.comments = {c.name: c.auto_comment for c in nb.comments}
            outcome.late_penalty = nb.late_submission_penalty


def _trusted_verdicts(ws: Workspace, job: Job, kernel, result: Result) -> bool:
    """The exercises' verdicts, reached before any kernel starts: the student's functions run in fresh
    (sandboxed) children, the references only in this process. They go into the sealed hidden-test
    cells, and the main process zeroes points the kernel gave that they do not confirm. False when
    the re-check itself failed (recorded as a failure of the whole submission)."""
    from dynaq_course.checks.verify import trusted_verdicts

    # The children get a fresh folder holding only a copy of the submitted notebooks: it is their working
    # folder (the one place a sandboxed child may write) and where they leave their results.
    folder = ws.root / "verify"
    folder.mkdir()
    for notebook in ws.submitted.glob("*.ipynb"):
        shutil.copyfile(notebook, folder / notebook.name)
    try:
        verdicts = trusted_verdicts(
            folder,
            ws.trusted_source,
            run_prefix=list(kernel.child_prefix),
            timeout=float(job.timeout or 20),
            scratch=folder,
        )
    except Exception:  # noqa: BLE001 - any error of the re-check is recorded as the student's failure
        result.failures.append(
            Failure(job.student, None, VERIFY_ERROR, traceback.format_exc().strip().splitlines()[-1])
        )
        return False
    result.verdicts = {gid: Verdict(bool(v.passed), v.code, str(v.message)) for gid, v in verdicts.items()}
    return True


def grade_submission(job: Job) -> Result:
    """Autograde one submission in a throwaway workspace; never raises (errors come back as failures)."""
    start = time.perf_counter()
    result = Result(job.assignment, job.student)
    with _JOB_LOCK:
        ws = build_workspace(job)
        logs = []
        try:
            ws.autograded.mkdir(parents=True, exist_ok=True)
            try:
                kernel = prepare_sandbox(ws, job.sandbox)
            except Exception as err:  # noqa: BLE001 - SandboxUnavailable / SandboxRequired: a clear message
                result.failures.append(Failure(job.student, None, SANDBOX_UNAVAILABLE, str(err)))
                return result
            result.sandbox_active, result.sandbox_warning = bool(kernel.active), kernel.warning
            if not _trusted_verdicts(ws, job, kernel, result):
                return result
            cfg = _config(ws, job, kernel, result.verdicts)
            steps = list(cfg.Autograde.autograde_preprocessors)
            with_tests = notebooks_with_tests(ws.db_url, job.assignment)
            with _environment(dict(kernel.env)):
                for name in job.notebooks:
                    cfg.Autograde.autograde_preprocessors = autograde_steps(steps, job.run, name in with_tests)
                    outcome, text = _autograde_one(ws, job, cfg, name)
                    result.notebooks.append(outcome)
                    logs.append(f"--- {name}\n{text}")
            _read_grades(ws, job, result)
            failed = {f"{o.name}.ipynb" for o in result.notebooks if not o.ok}
            result.autograded_files = {
                rel: data for rel, data in read_files(ws.autograded).items() if rel not in failed
            }
        except Exception:  # noqa: BLE001 - any error of the worker is recorded as the student's failure
            result.failures.append(
                Failure(job.student, None, WORKER_ERROR, traceback.format_exc().strip().splitlines()[-1])
            )
            logs.append(traceback.format_exc())
        finally:
            ws.remove()
            text = "\n".join(logs)
            result.log = text[-LOG_LIMIT:]
            result.seconds = time.perf_counter() - start
    return result
