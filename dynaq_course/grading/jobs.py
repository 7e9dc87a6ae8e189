"""Plain data passed between the grading command and its workers.

A :class:`Job` carries everything a worker needs to grade one submission as
bytes (the course's nbgrader_config.py, a snapshot of the gradebook, the
submitted files, the assignment's non-notebook source files), so a worker on
another machine (Dask) needs no shared filesystem with the instructor's course
folder: only the same Python environment (nbgrader + this package). A
:class:`Result` comes back the same way, with the autograded files as bytes.
Both are dataclasses of builtins only, so they pickle for any executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds of failure, as the summary names them.
INVALID_NOTEBOOK = "invalid notebook"
MISSING_NOTEBOOK = "missing notebook"
KERNEL_DIED = "kernel died"
TIMED_OUT = "timed out"
NBGRADER_ERROR = "nbgrader error"
WORKER_ERROR = "worker error"
SANDBOX_UNAVAILABLE = "sandbox unavailable"


@dataclass
class Failure:
    """A notebook (or, with notebook None, a whole submission) that could not be graded."""

    student: str
    notebook: str | None
    kind: str
    detail: str

    def line(self) -> str:
        where = f"{self.student}/{self.notebook}" if self.notebook else self.student
        return f"{where}: {self.kind}: {self.detail}"


@dataclass
class Job:
    assignment: str
    student: str
    notebooks: list[str]  # notebook names (no .ipynb) to autograde, in nbgrader's order
    config_py: bytes  # the course's nbgrader_config.py
    gradebook: bytes  # snapshot of the real gradebook (sqlite file image)
    submission_files: dict[str, bytes]  # path relative to submitted/<student>/<assignment>/ -> content
    source_files: dict[str, bytes]  # non-notebook files of source/<assignment>/ (autograde copies them)
    trusted_source: dict[str, bytes] = field(default_factory=dict)  # source notebooks, for the trusted re-check only
    sandbox: str = "auto"  # auto | require | off
    timeout: int | None = None  # seconds per cell (Execute.timeout); None keeps the course's
    run: str = "graded"  # graded: each notebook up to its last test cell; all: every cell (grading.graded_run)


@dataclass
class NotebookOutcome:
    name: str
    failure: Failure | None = None
    grades: dict[str, float | None] = field(default_factory=dict)  # grade_id -> auto_score
    comments: dict[str, str | None] = field(default_factory=dict)  # grade_id -> auto_comment
    late_penalty: float | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class Verdict:
    """A trusted verdict as plain data (verify.Verdict may be a richer class)."""

    passed: bool
    code: str | None
    message: str


@dataclass
class Result:
    assignment: str
    student: str
    timestamp: str | None = None  # the submission's timestamp, as nbgrader stored it
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    autograded_files: dict[str, bytes] = field(default_factory=dict)  # relative to autograded/<student>/<assignment>/
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # test grade_id -> trusted verdict
    sandbox_active: bool = False
    sandbox_warning: str | None = None
    failures: list[Failure] = field(default_factory=list)  # submission-level failures (worker error...)
    log: str = ""  # nbgrader's log, truncated
    seconds: float = 0.0
