"""Generated courses built once per test run and shared, read-only, by the tests that need them.

``nbgrader generate_assignment`` takes several seconds per run; the tests that grade,
release or report all start from its result. Each course here is built the first time
a test asks for it and then reused by every later test of the run, in every pytest-xdist
worker: the workers share the run's temporary folder, and a file lock makes the others
wait while one builds. (Where ``fcntl`` is missing each worker builds its own.)

* ``generated_course(tmp_path_factory, assignment)``: source/ and nbgrader_config.py
  copied, then ``nbgrader generate_assignment <assignment> --force`` (one course per
  assignment, so each gradebook knows only its own assignment).
* ``mini_course(tmp_path_factory)``: the same for dyna_q with only notebooks 02 and 03,
  cut to the cells grading needs (``cut_to_mini``).

They are READ-ONLY. A test that submits, grades, releases or otherwise writes copies one
first (``course_copy.copy_course(generated.course, dest)``); the conftest fixtures check at
the end of the session that nothing in them changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from course_copy import ASSIGNMENT, keep_graded_cells_only, make_course_copy, nbgrader, nbgrader_env

DONE = "built.txt"  # written last: its presence says the course is complete; it holds the build's seconds


@dataclass
class Generated:
    course: Path  # the course folder (source/, release/<assignment>/, gradebook.db, nbgrader_config.py)
    assignment: str
    seconds: float  # how long building it took (copy, cut, `nbgrader generate_assignment`)
    env: dict  # nbgrader's environment for this course (its exchange and Jupyter config beside it)
    files: dict = field(default_factory=dict, repr=False)

    def assert_unchanged(self) -> None:
        """Fail if a test wrote into the shared course (it should have copied it)."""
        now = _listing(self.course)
        changed = sorted(p for p in set(now) | set(self.files) if now.get(p) != self.files.get(p))
        assert not changed, (
            f"a test changed the shared generated course {self.course} ({changed[:5]}): "
            "tests that write copy it first (course_copy.copy_course)"
        )


def _listing(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@contextlib.contextmanager
def _lock(path: Path):
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_folder(tmp_path_factory) -> tuple[Path, object]:
    """Where shared courses live, and ``lock(path)``: the context manager to hold while building one."""
    base = tmp_path_factory.getbasetemp()
    try:
        import fcntl  # noqa: F401
    except ImportError:  # no file locks: one copy per worker
        return base, lambda path: contextlib.nullcontext()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # xdist gives each worker <run folder>/<worker id>
    return base, _lock


def shared(tmp_path_factory, name: str, assignment: str, build) -> Generated:
    """The shared course ``name``: ``build(folder)`` writes ``folder/course``, once per test run, when first asked."""
    base, lock = _run_folder(tmp_path_factory)
    folder = base / f"shared_{name}"
    with lock(base / f"shared_{name}.lock"):
        if not (folder / DONE).exists():
            if folder.exists():  # an earlier build in this run failed part-way
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            start = time.perf_counter()
            build(folder)
            (folder / DONE).write_text(f"{time.perf_counter() - start:.3f}\n")
    course = folder / "course"
    env = nbgrader_env(folder / "exchange", folder / "jupyter_config")
    return Generated(course, assignment, float((folder / DONE).read_text()), env, _listing(course))


def _generate(folder: Path, assignment: str, cut=None) -> Path:
    course = make_course_copy(folder / "course")
    if cut:
        cut(course)
    nbgrader(
        course,
        nbgrader_env(folder / "exchange", folder / "jupyter_config"),
        "generate_assignment",
        assignment,
        "--force",
    )
    return course


def generated_course(tmp_path_factory, assignment: str) -> Generated:
    """The whole course after ``nbgrader generate_assignment <assignment> --force``."""
    return shared(tmp_path_factory, assignment, assignment, lambda folder: _generate(folder, assignment))


MINI_NOTEBOOKS = ["02_model_update.ipynb", "03_planning.ipynb"]


def cut_to_mini(course: Path, assignment: str = ASSIGNMENT) -> None:
    """Keep notebooks 02 and 03 of ``assignment``, cut to the cells grading needs."""
    for nb in (course / "source" / assignment).glob("*.ipynb"):
        if nb.name not in MINI_NOTEBOOKS:
            nb.unlink()
    keep_graded_cells_only(course, assignment)


def mini_course(tmp_path_factory) -> Generated:
    """dyna_q with only notebooks 02 and 03 (their graded cells), after generate_assignment."""
    return shared(tmp_path_factory, "mini", ASSIGNMENT, lambda folder: _generate(folder, ASSIGNMENT, cut_to_mini))
