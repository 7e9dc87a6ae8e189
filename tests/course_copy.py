"""Helpers for tests that run nbgrader on a throw-away copy of the course.

* ``make_course_copy``: source/ and nbgrader_config.py copied into a folder
  (the config derives the course root from its own location).
* ``nbgrader``: run one nbgrader command as a subprocess, the way an
  instructor types it, with the venv's bin on PATH (nbgrader runs ``alembic``).
* ``fill_exercise`` / ``answer_question``: write a student's work into a
  release notebook, in the cell nbgrader gave them for it.
* The exercise bodies of the test students: the instructor's solution,
  a correct one in another style, and two typical mistakes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dynaq_course.grading import editions

ROOT = editions.course_root()
ASSIGNMENT = editions.ASSIGNMENT
COURSE_ID = "dynaq"
STUB_LINE = "# YOUR CODE HERE"


def make_course_copy(dest: Path) -> Path:
    """Copy what an instructor's course folder starts from: source/ and the config."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "source", dest / "source")
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


def copy_course(template: Path, dest: Path) -> Path:
    """A copy of a whole course folder (e.g. a shared generated one, to grade or release in)."""
    shutil.copytree(template, dest)
    return dest


# Imports only the lesson's experiments, figures and sliders use (a second or more per kernel).
LESSON_ONLY_IMPORTS = (
    "matplotlib",
    "dynaq_course.lesson.plots",
    "dynaq_course.lesson.experiments",
    "dynaq_course.lesson.widgets",
    "dynaq_course.going_further.experiments",
    "dynaq_course.going_further.plots",
    "dynaq_course.going_further.widgets",
)


def keep_graded_cells_only(course: Path, assignment: str) -> None:
    """Cut the source notebooks of ``assignment`` down to what grading needs.

    Kept: the set-up cell (without the lesson-only imports), every nbgrader cell, and
    the cells that load an exercise from another notebook (``load_exercise``). Dropped:
    the experiments and figures, which nbgrader runs but never scores; the tests that
    use this measure grading, and tests/test_pipeline.py runs the full notebooks.
    """
    import ast

    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [
            c
            for c in nb.cells
            if "setup" in c.metadata.get("tags", [])
            or c.metadata.get("nbgrader")
            or (c.cell_type == "code" and "load_exercise(" in c.source)
        ]
        for cell in nb.cells:
            if "setup" in cell.metadata.get("tags", []):
                tree = ast.parse(cell.source)
                kept = [
                    node
                    for node in tree.body
                    if not (
                        isinstance(node, (ast.Import, ast.ImportFrom))
                        and any(
                            (getattr(node, "module", None) or alias.name).startswith(LESSON_ONLY_IMPORTS)
                            for alias in node.names
                        )
                    )
                ]
                cell.source = "\n".join(ast.get_source_segment(cell.source, node) for node in kept)
        nbformat.write(nb, path)


def nbgrader_env(exchange: Path, jupyter_config_dir: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["DYNAQ_EXCHANGE"] = str(exchange)
    env["MPLBACKEND"] = "Agg"
    # No per-user Jupyter/nbgrader config of whoever runs the tests leaks in.
    env["JUPYTER_CONFIG_DIR"] = str(jupyter_config_dir)
    env.pop("NBGRADER_EXECUTION", None)
    return env


@dataclass
class Run:
    args: list
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"nbgrader {' '.join(self.args)} exited {self.returncode} after {self.seconds:.1f} s\n"
            f"--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-6000:]}"
        )


def nbgrader_timed_lines(cwd: Path, env: dict, *args: str, timeout: float = 900) -> tuple[Run, list]:
    """Run nbgrader, noting when each line of its log appeared: (run, [(seconds, line), ...])."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines = []
    for line in proc.stdout:  # nbgrader logs line by line; stop waiting when the process ends
        lines.append((time.perf_counter() - start, line.rstrip("\n")))
        if time.perf_counter() - start > timeout:
            proc.kill()
            break
    proc.wait()
    text = "\n".join(line for _, line in lines)
    run = Run(list(args), proc.returncode, text, "", time.perf_counter() - start)
    if run.returncode != 0:
        raise AssertionError(run.describe())
    return run, lines


def seconds_per_student(lines: list, assignment: str, total: float) -> dict:
    """From a timed autograde log: how long each submission took, in the order graded.

    A submission starts at the first log line naming submitted/<student>/ or
    autograded/<student>/ and ends where the next one starts (the last one at the end).
    """
    pattern = re.compile(rf"/(?:submitted|autograded)/([^/]+)/{re.escape(assignment)}\b")
    starts = {}
    for t, line in lines:
        match = pattern.search(line)
        if match and match.group(1) not in starts:
            starts[match.group(1)] = t
    order = sorted(starts, key=starts.get)
    ends = [starts[s] for s in order[1:]] + [total]
    return {s: end - starts[s] for s, end in zip(order, ends)}


def nbgrader(cwd: Path, env: dict, *args: str, check: bool = True, timeout: float = 600) -> Run:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    run = Run(list(args), proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)
    if check and run.returncode != 0:
        raise AssertionError(run.describe())
    return run


# ------------------------------------------------------------ student work


def _cell(nb, grade_id: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def fill_exercise(nb, grade_id: str, body: str) -> None:
    """Replace the stub (``# YOUR CODE HERE`` and the raise) in the released cell with ``body``."""
    cell = _cell(nb, grade_id)
    lines = cell.source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == STUB_LINE)
    assert "raise NotImplementedError" in lines[start + 1], cell.source
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    new_body = textwrap.indent(textwrap.dedent(body).strip("\n"), indent)
    cell.source = "\n".join(lines[:start] + [new_body] + lines[start + 2 :])


def answer_question(nb, grade_id: str, text: str) -> None:
    cell = _cell(nb, grade_id)
    assert cell.cell_type == "markdown" and cell.metadata["nbgrader"]["solution"]
    cell.source = text


def source_solution(notebook: str, grade_id: str) -> str:
    nb = nbformat.read(ROOT / "source" / ASSIGNMENT / notebook, as_version=4)
    return editions.solution_region(_cell(nb, grade_id).source)


MODEL_UPDATE_NB, PLANNING_NB = "02_model_update.ipynb", "03_planning.ipynb"

# A correct model update in another style: the two entries written separately,
# None turned into NaN by hand.
MODEL_UPDATE_OTHER_STYLE = """
model[state, action, 0] = reward
if next_state is None:
    model[state, action, 1] = np.nan
else:
    model[state, action, 1] = next_state
return model
"""

# A correct planner in another style: Python's random module picks the pair,
# reward and next state read one by one. (A first version built a Python list of
# all 400 pairs at every call: also right, but it made autograding that
# submission about 10 s slower.)
PLANNING_OTHER_STYLE = """
import random
remembered = np.argwhere(~np.isnan(model[:, :, 0]))
for step in range(params["k"]):
    s, a = random.choice(remembered)
    value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
return value
"""

# Mistake: reward and next state stored the wrong way round.
MODEL_UPDATE_SWAPPED = """
model[state, action] = next_state, reward
return model
"""

# Mistake: params['k'] ignored, always exactly one planning step.
PLANNING_ONE_STEP = """
candidates = np.argwhere(~np.isnan(model[:, :, 0]))
state, action = candidates[np.random.randint(len(candidates))]
reward, next_state = model[state, action]
value = q_learning(state, action, reward, next_state, value, params)
return value
"""

QUESTIONS = {
    "01_the_world.ipynb": "question_world",
    "02_model_update.ipynb": "question_model",
    "03_planning.ipynb": "question_planning",
    "04_how_much_to_plan.ipynb": "question_how_much",
    "05_when_the_world_changes.ipynb": "question_world_changes",
}


def student_work(kind: str) -> tuple[str | None, str | None]:
    """(model update body, planning body) of a test student; None leaves the stub."""
    right = (source_solution(MODEL_UPDATE_NB, "dyna_q_model_update"), source_solution(PLANNING_NB, "dyna_q_planning"))
    return {
        "all_right": right,
        "right_other_style": (MODEL_UPDATE_OTHER_STYLE, PLANNING_OTHER_STYLE),
        "untouched": (None, None),
        "wrong_model_update": (MODEL_UPDATE_SWAPPED, right[1]),
        "wrong_planning": (right[0], PLANNING_ONE_STEP),
    }[kind]


def write_student_notebooks(release: Path, dest: Path, kind: str) -> None:
    """The release notebooks as the student ``kind`` hands them in, written to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    model_update, planning = student_work(kind)
    for path in sorted(release.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if kind != "untouched":
            if path.name == MODEL_UPDATE_NB and model_update:
                fill_exercise(nb, "dyna_q_model_update", model_update)
            if path.name == PLANNING_NB and planning:
                fill_exercise(nb, "dyna_q_planning", planning)
            answer_question(nb, QUESTIONS[path.name], f"My answer ({kind}): planning replays what the model remembers.")
        nbformat.write(nb, dest / path.name)
