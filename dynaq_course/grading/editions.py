"""Build the three editions of the course from ``source/`` with one command.

    python -m dynaq_course.grading.editions            # release/, solutions/, notebooks/ of every assignment
    python -m dynaq_course.grading.editions --only notebooks
    python -m dynaq_course.grading.editions --assignment going_further

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
  stubs with a "Show a hint" (when the source has one) and a "Show a solution"
  cell after each, discussion questions have a model answer to reveal; hidden
  tests are gone, self-checks stay. When a later cell of the same notebook
  uses an exercise's function, a cell after its self-check falls back to the
  revealed solution if the learner skipped it (``exercises.solution_if_skipped``).

Cell tags in ``source/`` (cell metadata "tags") choose the editions a cell is in:

============================  ==========  ===========  ==========================
tag                           release/    solutions/   notebooks/
============================  ==========  ===========  ==========================
``graded-only``               kept        dropped      dropped
``self-learner-only``         dropped     dropped      kept
``hint`` (markdown, directly  folded      folded       "Show a hint" reveal after
before an exercise or a       ``<details>`` ``<details>``  the stub, before the
question's answer cell)       in place    in place     "Show a solution" reveal
============================  ==========  ===========  ==========================

solutions/ keeps only what is true in every edition: it has no hidden tests and
no answer cells to fill in (so no grading text), and no reveal cells (so no
self-learner text). release/ is made by nbgrader alone: the course's
``nbgrader_config.py`` runs ``nbgrader_plugins.EditionCells`` first in
``GenerateAssignment.preprocessors``, which applies ``release_cells`` below, so
``nbgrader generate_assignment`` (or the formgrader's Generate button) gives the
same release/ as this module.

Reveal cells are markdown: Run All renders them closed and never runs or opens
them. They are read-only and cannot be deleted in JupyterLab (cell metadata
``editable``/``deletable`` false): ``load_exercise`` and ``solution_if_skipped``
read the solution from them.

This is instructor tooling: it needs nbgrader and nbclient (both in
requirements.txt); the editions it writes do not.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from dynaq_course.checks import registry
from dynaq_course.checks.loader import REVEAL_METADATA_KEY
from dynaq_course.notebook_cells import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    describe,
    grade_id,
    has_markers,
    is_grade_cell,
    is_solution_cell,
    nbgrader_meta,
    outside,
    replace_regions,
    solution_text,
    without_markers,
)

ASSIGNMENT = "dyna_q"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # headless, and keeps figures in the notebook
EDITIONS = ("release", "solutions", "notebooks")
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("Student exercise: write this function")'
GRADED_ONLY, SELF_LEARNER_ONLY, HINT = "graded-only", "self-learner-only", "hint"
EDITION_TAGS = (GRADED_ONLY, SELF_LEARNER_ONLY, HINT)
# Which editions keep a cell with each tag (untagged cells are in all three).
KEPT_IN = {GRADED_ONLY: {"release"}, SELF_LEARNER_ONLY: {"notebooks"}, HINT: set(EDITIONS)}
# What a grading sentence looks like; no self-learner notebook (nor solution) may contain one.
GRADING_LANGUAGE = {
    "points": r"\b\d+\s+points?\b|\(\s*\d*\s*points?\s*\)|\bits points\b",
    "graded": r"\bgrad(?:e|ed|es|ing|er|ers)\b",
    "extra credit": r"\bextra[- ]credit\b",
    "more tests": r"\b(?:runs?|run) more tests\b|\bhidden tests?\b|\bfurther tests\b",
    "validate": r"\bvalidat(?:e|es|ed|ion)\b",
    "submit": r"\bsubmi(?:t|ts|tted|tting|ssion|ssions)\b",
    "nbgrader": r"\bnbgrader\b|\bautograd",
    "deadline": r"\bdeadlines?\b",
}
HINT_SUMMARY, SOLUTION_SUMMARY, ANSWER_SUMMARY = "Show a hint", "Show a solution", "Show a model answer"
SOLUTIONS_BANNER = (
    "> **Worked solutions.** This notebook has the exercises and questions answered and has been run top to "
    "bottom. Try them yourself first (in `release/` or `notebooks/`)."
)


def self_learner_banner(
    has_exercises: bool, has_hints: bool, has_questions: bool, falls_back_here: bool, loads_earlier: bool
) -> str:
    """The banner of one self-learner notebook: it names only the reveal cells and fallbacks that notebook has."""
    parts = ["> **Self-learner edition.** Work through this notebook at your own pace."]
    if has_exercises:
        parts.append(
            "Write each exercise in its cell and run the self-check below it."
            + (" Stuck? Open **Show a hint** under the exercise;" if has_hints else "")
            + (" open" if has_hints else " Open")
            + " **Show a solution** when you want to compare."
        )
    if has_questions:
        parts.append("Write your answer to each question in the cell under it, then open **Show a model answer**.")
    if falls_back_here:
        parts.append(
            "If you skip an exercise, its self-check says so and the cells after it use its revealed "
            "solution, and say so."
        )
    if loads_earlier:
        parts.append(
            "Your functions from earlier sections are read from their notebooks; one that is not done "
            "yet is replaced by its revealed solution, and the cell says so."
        )
    return " ".join(parts)


def course_root() -> Path:
    """The course directory: the folder holding nbgrader_config.py and source/."""
    return Path(__file__).resolve().parents[2]


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


def _drop_lines_between(source: str, begin: str, end: str, keep_inside: bool, where: str = "") -> str:
    """Remove the marker lines; keep (or drop) what lies between them. Raises notebook_cells.MarkerError
    for unbalanced, nested or ambiguous markers (the markers are read by ``notebook_cells``, strictly)."""
    if keep_inside:
        return without_markers(source, begin, end, where)
    return outside(source, begin, end, where)


def solution_region(source: str, where: str = "") -> str:
    """The code between the solution markers, dedented (what a student must write); strict like
    ``_drop_lines_between``."""
    return textwrap.dedent(solution_text(source, where)).strip("\n")


def _without_hidden_tests(source: str, where: str = "") -> str | None:
    """Source with the hidden-test region removed; None if nothing but comments is left."""
    kept = outside(source, BEGIN_HIDDEN, END_HIDDEN, where)
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


# ------------------------------------------------------------------ edition tags


def edition_tags(cell, where: str = "") -> set[str]:
    """The edition tags of ``cell`` (see the module docstring), checked.

    Raises ValueError for a tag that looks like one of them but is not spelled
    exactly so (it would silently put the cell in every edition), for a cell
    tagged both graded-only and self-learner-only, and for a hint that is not a
    markdown cell.
    """
    tags = set(cell.get("metadata", {}).get("tags", []))
    name = f"{where} cell {cell.get('id')!r}".strip()
    near = [
        t
        for t in tags - set(EDITION_TAGS)
        if re.sub(r"[^a-z]", "", t.lower())
        in {"gradedonly", "selflearneronly", "hint", "hints", "selflearner", "gradeonly"}
    ]
    if near:
        raise ValueError(f"{name}: tag {near[0]!r} is not an edition tag; use one of {', '.join(EDITION_TAGS)}")
    found = tags & set(EDITION_TAGS)
    if {GRADED_ONLY, SELF_LEARNER_ONLY} <= found:
        raise ValueError(f"{name} is tagged both {GRADED_ONLY} and {SELF_LEARNER_ONLY}: it would be in no edition")
    if HINT in found and len(found) > 1:
        raise ValueError(f"{name} is tagged {HINT} and {sorted(found - {HINT})[0]}: a hint is in every edition")
    if HINT in found and cell.get("cell_type") != "markdown":
        raise ValueError(f"{name} is tagged {HINT} but is a {cell.get('cell_type')} cell; hints are markdown")
    return found


def kept_in(cell, edition: str, where: str = "") -> bool:
    """Whether ``edition`` (release, solutions or notebooks) has ``cell``, by its edition tags."""
    return all(edition in KEPT_IN[tag] for tag in edition_tags(cell, where))


def _without_edition_tags(cell) -> None:
    """Drop the edition tags from a generated cell (they have done their job); keep others, e.g. "setup"."""
    tags = [t for t in cell.metadata.get("tags", []) if t not in EDITION_TAGS]
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)


def _is_answer_cell(cell) -> bool:
    return is_solution_cell(cell)


def hint_targets(cells, where: str = "") -> dict[int, int]:
    """Map the index of each hint cell to the index of the answer cell it helps with.

    A hint goes directly before an exercise's code cell or a question's answer
    cell: only markdown cells may stand between them, and the hint must not
    give away a line of the exercise's solution (a hint guides; the solution
    reveal shows the code). Raises ValueError naming the cell otherwise.
    """
    targets = {}
    for i, cell in enumerate(cells):
        if HINT not in edition_tags(cell, where):
            continue
        target = next(
            (j for j in range(i + 1, len(cells)) if _is_answer_cell(cells[j]) or cells[j].cell_type == "code"), None
        )
        if target is None or not _is_answer_cell(cells[target]):
            raise ValueError(
                f"{where} hint cell {cell.get('id')!r} is not directly before an exercise or a "
                "question's answer cell (only markdown may stand between them)".strip()
            )
        for line in solution_region(cells[target].source, describe(cells[target], where)).split("\n"):
            line = line.strip()
            if len(line) > 8 and not line.startswith("#") and line in cell.source:
                raise ValueError(
                    f"{where} hint cell {cell.get('id')!r} gives away the solution line "
                    f"{line!r}: a hint should guide, the solution reveal shows the code".strip()
                )
        targets[i] = target
    return targets


def answer_label(cells, index: int) -> str:
    """'Exercise 3', 'Question 6', ...: from the nearest heading above cell ``index``; '' if none says."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            found = re.findall(r"^#+\s*(Exercise|Question)\s+(\w+)", cell.source, re.MULTILINE)
            if found:
                return " ".join(found[-1])
    return ""


def _summary(kind: str, label: str) -> str:
    """The line a reveal cell shows closed: it says what opening it shows."""
    what = {
        HINT_SUMMARY: "a nudge, not the code",
        SOLUTION_SUMMARY: "the complete code",
        ANSWER_SUMMARY: "one good answer",
    }[kind]
    joiner = {HINT_SUMMARY: "for", SOLUTION_SUMMARY: "to", ANSWER_SUMMARY: "to"}[kind]
    return f"{kind} {joiner} {label} ({what})" if label else f"{kind} ({what})"


def _folded(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


def release_cells(nb, where: str = ""):
    """What release/ shows of the edition tags (applied by nbgrader's EditionCells, before its own steps).

    Drops self-learner-only cells; folds each hint into a closed ``<details>``;
    keeps graded-only cells. Changes ``nb`` in place and returns it.
    """
    targets = hint_targets(nb.cells, where)
    cells = []
    for i, cell in enumerate(nb.cells):
        if not kept_in(cell, "release", where):
            continue
        if i in targets:
            cell.source = _folded(_summary(HINT_SUMMARY, answer_label(nb.cells, targets[i])), cell.source)
        cells.append(cell)
    nb.cells = cells
    return nb


def grading_language(nb) -> list[tuple[int, str, str, str]]:
    """Every grading sentence of ``nb``: (cell index, cell id, phrase name, the words found).

    The phrases are ``GRADING_LANGUAGE``; the self-learner edition (and the
    worked solutions) should have none: reword the source cell, or tag it
    graded-only and say the rest in an untagged or self-learner-only cell.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        for phrase, pattern in GRADING_LANGUAGE.items():
            for match in re.finditer(pattern, cell.source, re.IGNORECASE):
                found.append((i, cell.get("id", ""), phrase, match.group(0)))
    return found


# ------------------------------------------------------------------ editions


def make_solution_notebook(nb, where: str = ""):
    """Source notebook -> solution notebook (not yet executed)."""
    nb = copy.deepcopy(nb)
    targets = hint_targets(nb.cells, where)
    cells = []
    for i, cell in enumerate(nb.cells):
        if not kept_in(cell, "solutions", where):
            continue
        if has_markers(cell.source, BEGIN_HIDDEN, END_HIDDEN):
            kept = _without_hidden_tests(cell.source, describe(cell, where))
            if kept is None:
                continue
            cell.source = kept
        cell.source = without_markers(cell.source, BEGIN_SOLUTION, END_SOLUTION, describe(cell, where))
        if i in targets:
            cell.source = _folded(_summary(HINT_SUMMARY, answer_label(nb.cells, targets[i])), cell.source)
        _strip_grading_metadata(cell)
        _without_edition_tags(cell)
        cells.append(cell)
    cells.insert(1, _banner_cell(SOLUTIONS_BANNER, "solutions-banner"))
    nb.cells = cells
    return nb


def _reveal_cell(summary: str, body: str, cell_id: str, reveals: str | None):
    """A closed ``<details>`` markdown cell, read-only and undeletable in JupyterLab.

    Markdown, so Run All renders it (closed) and never runs it; opening it takes
    a click on its summary, which says what it shows.
    """
    cell = nbformat.v4.new_markdown_cell(_folded(summary, body))
    cell.id = cell_id
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    if reveals:
        cell.metadata[REVEAL_METADATA_KEY] = reveals
    return cell


FALLBACK_CODE = (
    "# Skipped {label}? Then the cells below use its revealed solution; this cell says which one they use.\n"
    "from dynaq_course.checks.loader import solution_if_skipped\n"
    '{name} = solution_if_skipped("{name}", "{notebook}")'
)


def _fallback_cell(name: str, label: str, notebook: str, cell_id: str):
    cell = nbformat.v4.new_code_cell(FALLBACK_CODE.format(name=name, label=label or name, notebook=notebook))
    cell.id = cell_id
    return cell


def _fallback_anchors(cells) -> dict[int, int]:
    """Map the index of the cell to put each exercise's fallback after to the exercise's index.

    That is the exercise's last self-check/test cell (so the self-check still
    checks the learner's own function) before the next exercise and before the
    first plain code cell that uses the function. Only exercises whose function
    a later plain code cell of the notebook uses get one: there a learner who
    skipped the exercise would otherwise be stuck. Only exercises of
    ``checks.registry`` can (``solution_if_skipped`` knows no others).
    """
    anchors = {}
    for i, cell in enumerate(cells):
        if not (_is_answer_cell(cell) and cell.cell_type == "code"):
            continue
        name = grade_id(cell)
        uses = re.compile(rf"\b{re.escape(name or '')}\b")
        anchor, used = i, False
        for j in range(i + 1, len(cells)):
            other = cells[j]
            if other.cell_type != "code":
                continue
            if _is_answer_cell(other):
                break
            if is_grade_cell(other):
                anchor = j
            elif uses.search(other.source):
                used = True
                break
        if name in registry.EXERCISES and (
            used
            or any(uses.search(c.source) for c in cells[anchor + 1 :] if c.cell_type == "code" and not nbgrader_meta(c))
        ):
            anchors[anchor] = i
    return anchors


def _let_self_checks_pass_a_skipped_exercise(cells, exercise: int, anchor: int) -> None:
    """Self-checks of an exercise that has a fallback cell note a skipped exercise instead of stopping Run All.

    In the self-learner edition the cell after them uses the revealed solution,
    as later sections do (``checks.self_check_*(fn, if_not_written="note")``).
    """
    name = grade_id(cells[exercise])
    check = registry.exercise(name).self_check
    call = re.compile(rf"(\b{re.escape(check)}\(\s*{re.escape(name)}\s*)\)")
    for cell in cells[exercise + 1 : anchor + 1]:
        if cell.cell_type == "code" and is_grade_cell(cell):
            cell.source = call.sub(r'\1, if_not_written="note")', cell.source)


def make_self_learner_notebook(nb, notebook_name: str = "", where: str = ""):
    """Source notebook -> self-learner notebook: stubs, hint and solution reveals, no hidden tests.

    ``notebook_name`` is the file name the notebook will have: the fallback
    cells read the revealed solution from it (none are added without it).
    """
    nb = copy.deepcopy(nb)
    source = nb.cells
    hints = hint_targets(source, where)
    hint_of = {target: i for i, target in hints.items()}
    anchors = _fallback_anchors(source) if notebook_name else {}
    for anchor, exercise in anchors.items():
        _let_self_checks_pass_a_skipped_exercise(source, exercise, anchor)
    cells = []
    for i, cell in enumerate(source):
        if i in hints or not kept_in(cell, "notebooks", where):
            pass  # a hint is placed after its exercise's stub, below
        elif (
            has_markers(cell.source, BEGIN_HIDDEN, END_HIDDEN)
            and _without_hidden_tests(cell.source, describe(cell, where)) is None
        ):
            pass
        else:
            cells += _self_learner_cells(source, i, hint_of.get(i), where)
        if i in anchors:
            exercise = anchors[i]
            cells.append(
                _fallback_cell(
                    grade_id(source[exercise]),
                    answer_label(source, exercise),
                    notebook_name,
                    f"{source[exercise].id}-fallback",
                )
            )
    has = {
        "exercises": any(_is_answer_cell(c) and c.cell_type == "code" for c in source),
        "questions": any(_is_answer_cell(c) and c.cell_type == "markdown" for c in source),
    }
    banner = self_learner_banner(
        has["exercises"],
        any(source[t].cell_type == "code" for t in hints.values()),
        has["questions"],
        bool(anchors),
        any("load_exercise(" in c.source for c in source if c.cell_type == "code"),
    )
    cells.insert(1, _banner_cell(banner, "self-learner-banner"))
    nb.cells = cells
    return nb


def _self_learner_cells(source, index: int, hint_index: int | None, where: str = "") -> list:
    """The self-learner cells made from source cell ``index`` (its hint, if any, is ``source[hint_index]``)."""
    cell = copy.deepcopy(source[index])
    meta = nbgrader_meta(cell)
    where = describe(cell, where)
    if has_markers(cell.source, BEGIN_HIDDEN, END_HIDDEN):
        cell.source = _without_hidden_tests(cell.source, where)
    label = answer_label(source, index)
    hint = []
    if hint_index is not None:
        hint = [
            _reveal_cell(
                _summary(HINT_SUMMARY, label), source[hint_index].source, f"{source[hint_index].id}-hint", None
            )
        ]
    if meta.get("solution") and cell.cell_type == "code":
        solved = without_markers(cell.source, BEGIN_SOLUTION, END_SOLUTION, where)
        cell.source = replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, CODE_STUB, where)
        _strip_grading_metadata(cell)
        _without_edition_tags(cell)
        return [
            cell,
            *hint,
            _reveal_cell(
                _summary(SOLUTION_SUMMARY, label),
                f"```python\n{solved.strip()}\n```",
                f"{cell.id}-reveal",
                meta.get("grade_id"),
            ),
        ]
    if meta.get("solution") and cell.cell_type == "markdown":
        answer = cell.source.strip()
        cell.source = "*Your answer:* double-click this cell to write it."
        _strip_grading_metadata(cell)
        _without_edition_tags(cell)
        return [cell, *hint, _reveal_cell(_summary(ANSWER_SUMMARY, label), answer, f"{cell.id}-reveal", None)]
    _strip_grading_metadata(cell)
    _without_edition_tags(cell)
    return [cell]


@contextlib.contextmanager
def environment(**values):
    """Set environment variables for a block (None: unset), and put back what was there before.

    Kernels started inside the block inherit it: ``environment(MPLBACKEND="Agg",
    NBGRADER_EXECUTION=None)`` runs a notebook as a learner would, headless.
    """
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute_folder(folder: Path, timeout: int = 600) -> None:
    """Run every notebook of ``folder`` in order, in that folder, saving outputs.

    Raises RuntimeError naming the notebook on any error (nbclient's error, e.g.
    CellExecutionError, is its ``__cause__``).
    """
    from nbclient import NotebookClient

    # progress widgets are noise in a saved notebook
    with environment(MPLBACKEND=INLINE_BACKEND, DYNAQ_NO_PROGRESS="1"):
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
            )
            try:
                client.execute()
            except Exception as err:
                raise RuntimeError(f"{path.name} failed to run: {err}") from err
            nbformat.write(nb, path)


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
        _write(
            make_solution_notebook(nbformat.read(path, as_version=4), f"source/{assignment}/{path.name}"),
            target / path.name,
        )
    if execute:
        execute_folder(target)


def build_notebooks(root: Path, target: Path, assignment: str = ASSIGNMENT) -> None:
    _clear_notebooks(target)
    for path in source_notebooks(root, assignment):
        nb = nbformat.read(path, as_version=4)
        _write(make_self_learner_notebook(nb, path.name, f"source/{assignment}/{path.name}"), target / path.name)


def build_release(root: Path, assignment: str = ASSIGNMENT) -> None:
    """``nbgrader generate_assignment <assignment> --force`` in ``root`` (writes root/release/<assignment>/)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # nbgrader runs alembic
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
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
            print(f"{where['solutions']}/  <- worked solutions of {assignment} (executing, about a minute)", flush=True)
            build_solutions(root, root / where["solutions"], execute=execute, assignment=assignment)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build release/, solutions/ and notebooks/ from source/.")
    parser.add_argument("--course-dir", type=Path, default=None, help="course directory (default: this repo)")
    parser.add_argument("--only", default=",".join(EDITIONS), help="comma-separated subset of: " + ", ".join(EDITIONS))
    parser.add_argument(
        "--assignment",
        action="append",
        default=None,
        help="build only this assignment (repeat for several; default: every folder of source/)",
    )
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
