"""Build the three editions of the course from ``source/`` with one command.

    python -m dynaq_course.editions            # release/, solutions/, notebooks/ of every assignment
    python -m dynaq_course.editions --only notebooks
    python -m dynaq_course.editions --assignment going_further

Every folder of ``source/`` holding notebooks is an nbgrader assignment:
``dyna_q`` (``ASSIGNMENT``, the course's main one, Sections 1-5) and
``going_further`` (the optional Section 6). The main assignment's solutions
and self-learner notebooks sit at the top of ``solutions/`` and ``notebooks/``;
any other assignment's in a subfolder of its name (``solutions/going_further/``,
``notebooks/going_further/``); ``release/<assignment>/`` for all.

* ``release/``   the student edition: ``nbgrader generate_assignment <assignment> --force``.
* ``solutions/`` worked solutions: solution markers and hidden tests removed,
  nbgrader metadata stripped, executed top to bottom (figures included).
* ``notebooks/`` the self-learner edition: runs without nbgrader; exercises are
  stubs with a "Show a solution" cell after each, discussion questions have a
  model answer to reveal; hidden tests are gone, self-checks stay.

This is instructor tooling: it needs nbgrader and nbclient (both in
requirements.txt); the editions it writes do not.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from .exercises import REVEAL_METADATA_KEY

ASSIGNMENT = "dyna_q"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # headless, and keeps figures in the notebook
EDITIONS = ("release", "solutions", "notebooks")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("Student exercise: write this function")'
SELF_LEARNER_BANNER = (
    "> **Self-learner edition.** Nothing here is graded. Write each exercise yourself, run the self-check "
    "below it, and open **Show a solution** only when you want to compare. Later sections use your "
    "functions; if an exercise is not done yet they fall back to its revealed solution and say so."
)
SOLUTIONS_BANNER = (
    "> **Worked solutions.** This notebook has the exercises filled in and has been run top to bottom. "
    "Try the exercises yourself first (in `release/` or `notebooks/`)."
)


def course_root() -> Path:
    """The course directory: the folder holding nbgrader_config.py and source/."""
    return Path(__file__).resolve().parent.parent


def assignments(root: Path) -> list[str]:
    """The assignments under ``root/source``: ``ASSIGNMENT`` first, then the others by name."""
    found = sorted(p.name for p in (Path(root) / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
    return sorted(found, key=lambda name: (name != ASSIGNMENT, name))


def source_notebooks(root: Path, assignment: str = ASSIGNMENT) -> list[Path]:
    return sorted((Path(root) / "source" / assignment).glob("*.ipynb"))


def edition_folder(root: Path, edition: str, assignment: str = ASSIGNMENT) -> Path:
    """Where ``edition`` of ``assignment`` lives (see the module docstring)."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}; choose from {', '.join(EDITIONS)}")
    if edition == "release" or assignment != ASSIGNMENT:
        return Path(root) / edition / assignment
    return Path(root) / edition


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _drop_lines_between(source: str, begin: str, end: str, keep_inside: bool) -> str:
    """Remove the marker lines; keep (or drop) what lies between them."""
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif keep_inside or not inside:
            out.append(line)
    return "\n".join(out)


def solution_region(source: str) -> str:
    """The code between the solution markers, dedented (what a student must write)."""
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line:
            inside = True
        elif END_SOLUTION in line:
            inside = False
        elif inside:
            lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip("\n")


def _without_hidden_tests(source: str) -> str | None:
    """Source with the hidden-test region removed; None if nothing but comments is left."""
    kept = _drop_lines_between(source, BEGIN_HIDDEN, END_HIDDEN, keep_inside=False)
    if all(not ln.strip() or ln.strip().startswith("#") for ln in kept.split("\n")):
        return None
    return kept.rstrip("\n")


def _strip_grading_metadata(cell) -> None:
    cell.metadata.pop("nbgrader", None)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None


def _banner_cell(text: str, cell_id: str):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = cell_id
    return cell


# ------------------------------------------------------------------ editions

def make_solution_notebook(nb):
    """Source notebook -> solution notebook (not yet executed)."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if BEGIN_HIDDEN in cell.source:
            kept = _without_hidden_tests(cell.source)
            if kept is None:
                continue
            cell.source = kept
        cell.source = _drop_lines_between(cell.source, BEGIN_SOLUTION, END_SOLUTION, keep_inside=True)
        _strip_grading_metadata(cell)
        cells.append(cell)
    cells.insert(1, _banner_cell(SOLUTIONS_BANNER, "solutions-banner"))
    nb.cells = cells
    return nb


def _reveal_cell(summary: str, body: str, cell_id: str, reveals: str | None):
    cell = nbformat.v4.new_markdown_cell(f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>")
    cell.id = cell_id
    if reveals:
        cell.metadata[REVEAL_METADATA_KEY] = reveals
    return cell


def make_self_learner_notebook(nb):
    """Source notebook -> self-learner notebook: stubs, reveal cells, no hidden tests."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if BEGIN_HIDDEN in cell.source:
            kept = _without_hidden_tests(cell.source)
            if kept is None:
                continue
            cell.source = kept
        if meta.get("solution") and cell.cell_type == "code":
            function = meta.get("grade_id")
            solved = _drop_lines_between(cell.source, BEGIN_SOLUTION, END_SOLUTION, keep_inside=True)
            cell.source = _replace_solution_region(cell.source)
            _strip_grading_metadata(cell)
            cells.append(cell)
            cells.append(_reveal_cell("Show a solution", f"```python\n{solved.strip()}\n```",
                                      f"{cell.id}-reveal", function))
            continue
        if meta.get("solution") and cell.cell_type == "markdown":
            answer = cell.source.strip()
            cell.source = "*Your answer:* double-click this cell to write it."
            _strip_grading_metadata(cell)
            cells.append(cell)
            cells.append(_reveal_cell("Show a model answer", answer, f"{cell.id}-reveal", None))
            continue
        _strip_grading_metadata(cell)
        cells.append(cell)
    cells.insert(1, _banner_cell(SELF_LEARNER_BANNER, "self-learner-banner"))
    nb.cells = cells
    return nb


def _replace_solution_region(source: str) -> str:
    out, inside = [], False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line:
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out += [indent + stub for stub in CODE_STUB.split("\n")]
        elif END_SOLUTION in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def execute_folder(folder: Path, timeout: int = 600) -> None:
    """Run every notebook of ``folder`` in order, in that folder, saving outputs.

    Raises nbclient's CellExecutionError (naming the notebook) on any error.
    """
    from nbclient import NotebookClient

    env_backup = {k: os.environ.get(k) for k in ("MPLBACKEND", "DYNAQ_NO_PROGRESS")}
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    os.environ["DYNAQ_NO_PROGRESS"] = "1"  # progress widgets are noise in a saved notebook
    try:
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(folder)}})
            try:
                client.execute()
            except Exception as err:
                raise RuntimeError(f"{path.name} failed to run: {err}") from err
            nbformat.write(nb, path)
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def _clear_notebooks(target: Path) -> None:
    """Remove the notebooks of ``target`` (not its subfolders: other assignments live there)."""
    for path in Path(target).glob("*.ipynb"):
        path.unlink()


def build_solutions(root: Path, target: Path, execute: bool = True, assignment: str = ASSIGNMENT) -> None:
    _clear_notebooks(target)
    for path in source_notebooks(root, assignment):
        _write(make_solution_notebook(nbformat.read(path, as_version=4)), target / path.name)
    if execute:
        execute_folder(target)


def build_notebooks(root: Path, target: Path, assignment: str = ASSIGNMENT) -> None:
    _clear_notebooks(target)
    for path in source_notebooks(root, assignment):
        _write(make_self_learner_notebook(nbformat.read(path, as_version=4)), target / path.name)


def build_release(root: Path, assignment: str = ASSIGNMENT) -> None:
    """``nbgrader generate_assignment <assignment> --force`` in ``root`` (writes root/release/<assignment>/)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # nbgrader runs alembic
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.stdout}\n{result.stderr}")


def build(root: Path | None = None, only=EDITIONS, execute: bool = True, assignments_to_build=None) -> None:
    root = Path(root or course_root())
    if not source_notebooks(root):
        raise FileNotFoundError(f"No notebooks in {root / 'source' / ASSIGNMENT}.")
    for assignment in assignments_to_build or assignments(root):
        if not source_notebooks(root, assignment):
            raise FileNotFoundError(f"No notebooks in {root / 'source' / assignment}.")
        where = {edition: edition_folder(root, edition, assignment).relative_to(root) for edition in EDITIONS}
        if "release" in only:
            print(f"{where['release']}/  <- nbgrader generate_assignment {assignment}", flush=True)
            build_release(root, assignment)
        if "notebooks" in only:
            print(f"{where['notebooks']}/  <- self-learner edition of {assignment}", flush=True)
            build_notebooks(root, root / where["notebooks"], assignment)
        if "solutions" in only:
            print(f"{where['solutions']}/  <- worked solutions of {assignment} (executing, about a minute)",
                  flush=True)
            build_solutions(root, root / where["solutions"], execute=execute, assignment=assignment)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build release/, solutions/ and notebooks/ from source/.")
    parser.add_argument("--course-dir", type=Path, default=None, help="course directory (default: this repo)")
    parser.add_argument("--only", default=",".join(EDITIONS),
                        help="comma-separated subset of: " + ", ".join(EDITIONS))
    parser.add_argument("--assignment", action="append", default=None,
                        help="build only this assignment (repeat for several; default: every folder of source/)")
    args = parser.parse_args(argv)
    only = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(only) - set(EDITIONS)
    if unknown:
        parser.error(f"unknown edition(s) {sorted(unknown)}; choose from {', '.join(EDITIONS)}")
    if args.assignment:
        known = assignments(Path(args.course_dir or course_root()))
        missing = [a for a in args.assignment if a not in known]
        if missing:
            parser.error(f"no notebooks in source/{missing[0]}; assignments: {', '.join(known)}")
    build(args.course_dir, only, assignments_to_build=args.assignment)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
