"""The course's exercises: the one place that lists them and says where each one lives.

Each ``Exercise`` names the function the learner writes (which is also the
nbgrader grade_id of its exercise cell), its assignment and notebook, its two
test cells and their points, its self-check, and the module of ``checks`` that
holds its probes and its diagnosis. The loader, the self-checks, the child and
the verifier, the autograde re-check, the editions and the tests read them here;
nothing else dispatches on an exercise's name.

Names follow one rule from ``stem`` (e.g. "planning"): test cells
``test_<stem>_visible`` / ``test_<stem>_hidden``, self-check ``self_check_<stem>``,
module ``dynaq_course.checks.<stem>``. The points and cell ids are written here
because the kernel has no source/ folder to read them from;
tests/test_registry.py checks them against source/'s nbgrader metadata.

Every exercise module offers the same functions:

* ``probes(level)``: the cases ("visible": the self-check's; "hidden": those and more);
* ``record(probe, args, result, record)``: what one call did, as plain arrays (see ``probes.call_probe``);
* ``diagnose(probes, outcomes, fn_name, reference_outcomes=None, level="hidden")``: the ``Verdict``;

and an exercise that later notebooks load (``loaded_later``) also
``try_once(function)``: one small call, to tell a stub (NotImplementedError) from a
function that runs.

Adding an exercise: write its module (copy the smallest one,
``dyna_q_plus_reward``), add its entry below, its messages to
``messages.CATALOGUE``, its ``self_check_<stem>`` to ``self_check``, and its
corpus folder to tests/grading_corpus.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType

LEVELS = ("visible", "hidden")


@dataclass(frozen=True)
class Exercise:
    name: str  # the function the learner writes; also the grade_id of its exercise cell
    stem: str  # names its test cells, self-check and module (see the module's docstring)
    assignment: str  # the nbgrader assignment (folder of source/)
    notebook: str  # the notebook file holding the exercise cell and its test cells
    label: str  # how messages name it ("Exercise 2 (model update)")
    visible_points: int  # points of the self-check's test cell
    hidden_points: int  # points of the hidden-test cell
    loaded_later: bool = False  # later notebooks bring it in with ``load_exercise``

    @property
    def grade_id(self) -> str:
        """The nbgrader grade_id of the exercise cell."""
        return self.name

    def test_cell(self, level: str) -> str:
        """The grade_id of the test cell of ``level`` ("visible": the self-check; "hidden": the hidden tests)."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        return f"test_{self.stem}_{level}"

    def points(self, level: str) -> int:
        """The points of the test cell of ``level``."""
        self.test_cell(level)  # checks the level
        return self.visible_points if level == "visible" else self.hidden_points

    @property
    def self_check(self) -> str:
        """The name of its self-check in ``dynaq_course.checks``."""
        return f"self_check_{self.stem}"

    @property
    def module(self) -> ModuleType:
        """The module holding its probes and its diagnosis (imported on first use)."""
        return importlib.import_module(f"dynaq_course.checks.{self.stem}")


EXERCISES: MappingProxyType = MappingProxyType(
    {
        ex.name: ex
        for ex in (
            Exercise(
                "dyna_q_model_update",
                "model_update",
                "dyna_q",
                "02_model_update.ipynb",
                "Exercise 2 (model update)",
                1,
                2,
                loaded_later=True,
            ),
            Exercise(
                "dyna_q_planning",
                "planning",
                "dyna_q",
                "03_planning.ipynb",
                "Exercise 3 (planning)",
                1,
                3,
                loaded_later=True,
            ),
            Exercise(
                "dyna_q_plus_reward",
                "dyna_q_plus_reward",
                "going_further",
                "06_going_further.ipynb",
                "Exercise 6a (the Dyna-Q+ bonus reward)",
                1,
                2,
            ),
            Exercise(
                "bonus_greedy_action",
                "bonus_greedy_action",
                "going_further",
                "06_going_further.ipynb",
                "Exercise 6b (the bonus in action selection)",
                1,
                2,
            ),
            Exercise(
                "push_predecessors",
                "push_predecessors",
                "going_further",
                "06_going_further.ipynb",
                "Exercise 6c (the predecessors in prioritized sweeping)",
                1,
                3,
            ),
        )
    }
)


def exercise(name: str) -> Exercise:
    """The exercise whose function is ``name``; a ValueError naming the valid names otherwise."""
    try:
        return EXERCISES[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown exercise {name!r}; choose one of {', '.join(EXERCISES)}.") from None


def in_notebook(notebook: str | Path) -> list[Exercise]:
    """The exercises of a notebook, given by file name or path ("03_planning.ipynb") or by stem ("03_planning")."""
    stem = Path(notebook).stem
    return [ex for ex in EXERCISES.values() if Path(ex.notebook).stem == stem]


def in_assignment(assignment: str) -> list[Exercise]:
    """The exercises of an assignment ("dyna_q", "going_further"), in notebook order."""
    return [ex for ex in EXERCISES.values() if ex.assignment == assignment]


def graded_cells(exercises=None) -> dict[str, tuple[Exercise, str]]:
    """{test cell grade_id: (exercise, level)} of ``exercises`` (default: all), visible before hidden."""
    return {
        ex.test_cell(level): (ex, level)
        for ex in (EXERCISES.values() if exercises is None else exercises)
        for level in LEVELS
    }


def loaded_later() -> list[Exercise]:
    """The exercises later notebooks bring in with ``load_exercise``."""
    return [ex for ex in EXERCISES.values() if ex.loaded_later]
