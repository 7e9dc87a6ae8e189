"""The self-checks students run on the exercises (Sections 2-3, and the bonus exercises of Section 6).

Nothing here is a solution: the checks look at properties every correct answer
has (see each exercise's module in ``registry``) on the cases of its probes. A failure
raises ``ExerciseCheckFailed`` (an AssertionError) whose message explains the
mistake in terms of the lesson, without printing the expected answer, and ends
with a ``[mistake: code]`` tag.

In a student's kernel the check runs the function they just defined (saved or
not), with the comparison helpers and builtins bound when this module was
imported, so a cell that later patches numpy or builtins does not fool it.
While nbgrader grades (``params.grading_now()``, when this module was imported or
now), the check instead asks the fresh-process verifier
(``verify``) about the exercise in the notebook on disk, so a tampered
kernel cannot earn the point either. Functions that ``load_exercise`` brought
in from another notebook are always checked in place.

The hidden tests call ``verify.assert_exercise_passes`` directly.
"""

from __future__ import annotations

# Bound now: a later cell that rebinds a builtin changes nothing here.
from builtins import getattr, print

from dynaq_course.checks import diagnose as _diagnose_module
from dynaq_course.checks import probes as _probes_module
from dynaq_course.checks import registry
from dynaq_course.checks import verify as _verify_module
from dynaq_course.checks.loader import LOADED_MODULE
from dynaq_course.checks.messages import ExerciseCheckFailed
from dynaq_course.params import grading_now

_GRADING_AT_IMPORT = grading_now()
# Every exercise's probes and diagnosis, imported now: before a student's cell can patch numpy or builtins.
_EXERCISE_MODULES = [ex.module for ex in registry.EXERCISES.values()]
_probes_for, _call_all = _probes_module.probes_for, _probes_module.call_all
_diagnose, _assert_passes = _diagnose_module.diagnose, _verify_module.assert_exercise_passes

__all__ = [
    "ExerciseCheckFailed",
    "self_check_model_update",
    "self_check_planning",
    "self_check_dyna_q_plus_reward",
    "self_check_bonus_greedy_action",
    "self_check_push_predecessors",
    "check_in_kernel",
]


def check_in_kernel(exercise: str, fn) -> None:
    """The self-check of ``exercise`` on ``fn`` in this process; raises ExerciseCheckFailed when it fails."""
    probes = _probes_for(exercise, "visible")
    verdict = _diagnose(exercise, probes, _call_all(fn, probes), exercise, level="visible")
    if not verdict.passed:
        raise ExerciseCheckFailed(verdict.message)


NOT_WRITTEN_CHOICES = ("raise", "note")


def _self_check(exercise: str, fn, if_not_written: str = "raise") -> None:
    """Run the visible check; ``if_not_written="note"`` (the self-learner edition) lets a skipped exercise pass by.

    With "note", a function that still raises NotImplementedError is not
    checked: one line says so and the notebook goes on (its next cell falls
    back to the revealed solution). Any other failure still raises.
    """
    if if_not_written not in NOT_WRITTEN_CHOICES:
        raise ValueError(f"if_not_written must be one of {NOT_WRITTEN_CHOICES}, got {if_not_written!r}.")
    if if_not_written == "note" and not grading_now():
        from dynaq_course.checks.loader import _still_a_stub

        if _still_a_stub(exercise, fn):
            print(
                f"{exercise} is not written yet (it still raises NotImplementedError), so there is nothing to "
                "check. The next cell uses its revealed solution instead; come back to it when you are ready."
            )
            return
    loaded = getattr(fn, "__module__", None) == LOADED_MODULE
    if (_GRADING_AT_IMPORT or grading_now()) and not loaded:
        _assert_passes(exercise, level="visible")  # prints the verifier's "passed" line
        return
    check_in_kernel(exercise, fn)
    print(f"{exercise} passed the self-check.")


def self_check_model_update(fn, if_not_written: str = "raise") -> None:
    """The visible check of Exercise 2: a few steps of Quentin's World."""
    _self_check("dyna_q_model_update", fn, if_not_written)


def self_check_planning(fn, if_not_written: str = "raise") -> None:
    """The visible check of Exercise 3: one remembered transition (k = 0, 1, 3, ...) and a few pairs."""
    _self_check("dyna_q_planning", fn, if_not_written)


def self_check_dyna_q_plus_reward(fn, if_not_written: str = "raise") -> None:
    """The visible check of the Dyna-Q+ bonus reward (Section 6): single numbers and arrays."""
    _self_check("dyna_q_plus_reward", fn, if_not_written)


def self_check_bonus_greedy_action(fn, if_not_written: str = "raise") -> None:
    """The visible check of the greedy action with the bonus (Section 6): ties, a bonus that wins and one that
    does not, every score negative, kappa = 0, integer tau; each case called three times; inputs left unchanged."""
    _self_check("bonus_greedy_action", fn, if_not_written)


def self_check_push_predecessors(fn, if_not_written: str = "raise") -> None:
    """The visible check of the predecessor step of prioritized sweeping (Section 6): three small cases."""
    _self_check("push_predecessors", fn, if_not_written)
