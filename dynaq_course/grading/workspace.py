"""Throwaway grading workspaces and the gradebook snapshot they start from.

The snapshot is taken once per run with SQLite's backup API (a consistent copy
even while formgrader has the database open). Each submission is autograded in
its own temporary folder laid out as an nbgrader course::

    <tmp>/course/nbgrader_config.py          the course's config (root/db_url overridden to this folder)
    <tmp>/course/gradebook.db                a private copy of the snapshot
    <tmp>/course/source/<a>/                 the assignment's non-notebook files (no notebook, no hidden test)
    <tmp>/course/submitted/<student>/<a>/    the submission
    <tmp>/course/autograded/<student>/<a>/   written by nbgrader; the kernel's working folder
    <tmp>/trusted/source/<a>/                the source notebooks, for the trusted re-check (outside the course root)

so nothing a submission does in its workspace can change what another one is
graded with.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dynaq_course.grading.jobs import Job


def snapshot_gradebook(db_path: Path) -> bytes:
    """A consistent image of the SQLite gradebook at ``db_path`` (backup API), as bytes."""
    if not Path(db_path).exists():
        raise FileNotFoundError(f"no gradebook at {db_path}: run `nbgrader generate_assignment` first")
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    copy = sqlite3.connect(":memory:")
    try:
        source.backup(copy)
        return copy.serialize()
    finally:
        source.close()
        copy.close()


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"refusing to write outside {folder}: {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def read_files(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (symlinks skipped), by relative path."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@dataclass
class Workspace:
    root: Path
    course: Path
    trusted_source: Path
    assignment: str
    student: str

    @property
    def gradebook(self) -> Path:
        return self.course / "gradebook.db"

    @property
    def db_url(self) -> str:
        return "sqlite:///" + str(self.gradebook)

    @property
    def submitted(self) -> Path:
        return self.course / "submitted" / self.student / self.assignment

    @property
    def autograded(self) -> Path:
        return self.course / "autograded" / self.student / self.assignment

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def build_workspace(job: Job, parent: str | None = None) -> Workspace:
    root = Path(tempfile.mkdtemp(prefix=f"dynaq-grade-{job.student}-", dir=parent))
    ws = Workspace(root, root / "course", root / "trusted" / "source" / job.assignment, job.assignment, job.student)
    ws.course.mkdir()
    (ws.course / "nbgrader_config.py").write_bytes(job.config_py)
    ws.gradebook.write_bytes(job.gradebook)
    (ws.course / "source" / job.assignment).mkdir(parents=True)
    write_files(ws.course / "source" / job.assignment, job.source_files)
    ws.submitted.mkdir(parents=True)
    write_files(ws.submitted, job.submission_files)
    ws.trusted_source.mkdir(parents=True)
    write_files(ws.trusted_source, job.trusted_source)
    return ws
