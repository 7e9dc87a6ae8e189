"""The grading corpus: exercise cells as students write them, each with the verdict it must get.

One file per exercise cell, in ``model_update/`` or ``planning/`` (assignment
dyna_q), ``plus_reward/``, ``bonus_action/`` (``bonus_greedy_action``) or
``push_predecessors/`` (the bonus exercises of assignment going_further,
notebook 06). The first line
says what the hidden test must conclude::

    # expect: pass
    # expect: fail planning-ignores-k

An optional ``# visible: <code>`` line gives what the in-kernel self-check must
say when that differs (tamper cells: in a fresh process their tampering is what
fails them; in the kernel, the wrong function they define). The rest of the
file is the cell as a student would leave it (may import things, may patch
things: the ``tamper_*`` cells do).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dynaq_course.checks import registry

FOLDER = Path(__file__).parent
EXERCISES = {"model_update": "dyna_q_model_update", "planning": "dyna_q_planning",
             "plus_reward": "dyna_q_plus_reward", "bonus_action": "bonus_greedy_action",
             "push_predecessors": "push_predecessors"}
# where each exercise lives comes from the course's registry (dynaq_course.checks.registry)
NOTEBOOKS = {name: registry.exercise(name).notebook for name in EXERCISES.values()}
ASSIGNMENTS = {name: registry.exercise(name).assignment for name in EXERCISES.values()}


@dataclass(frozen=True)
class Entry:
    name: str            # e.g. planning/wrong_k_plus_1
    exercise: str
    expect: str | None   # None: must pass; else the mistake code
    visible: str | None  # what the in-kernel self-check must say (None: pass)
    source: str          # the exercise cell

    @property
    def correct(self) -> bool:
        return self.expect is None

    @property
    def tamper(self) -> bool:
        return Path(self.name).name.startswith("tamper_")


def _parse(path: Path, exercise: str) -> Entry:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"# expect: (pass|fail ([a-z0-9-]+))\n", text)
    if not match:
        raise ValueError(f"{path}: the first line must be '# expect: pass' or '# expect: fail <code>'")
    expect = match.group(2)
    visible = re.search(r"^# visible: (pass|[a-z0-9-]+)$", text, re.MULTILINE)
    visible_code = expect if visible is None else (None if visible.group(1) == "pass" else visible.group(1))
    return Entry(f"{path.parent.name}/{path.stem}", exercise, expect, visible_code, text)


def entries(assignment: str | None = None) -> list[Entry]:
    """The corpus, or the part of it for one assignment ("dyna_q" or "going_further")."""
    found = []
    for folder, exercise in EXERCISES.items():
        if assignment is None or ASSIGNMENTS[exercise] == assignment:
            found += [_parse(p, exercise) for p in sorted((FOLDER / folder).glob("*.py"))]
    return found


def set_exercise_cell(nb, exercise: str, source: str) -> None:
    """Make ``source`` the notebook's exercise cell (found by its nbgrader grade_id)."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == exercise:
            cell.source = source
            return
    raise KeyError(f"no cell with grade_id {exercise!r}")


def write_notebook(release_folder: Path, entry: Entry, dest_folder: Path) -> Path:
    """The release notebook of the entry's exercise with the entry as its exercise cell, in dest_folder."""
    name = NOTEBOOKS[entry.exercise]
    nb = nbformat.read(release_folder / name, as_version=4)
    set_exercise_cell(nb, entry.exercise, entry.source)
    dest_folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest_folder / name)
    return dest_folder / name
