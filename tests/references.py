"""The reference solutions of the course's exercises, read from the hidden tests of source/ as the grader reads them.

The package ships no answers (the learner's functions are arguments of its loops);
tests that drive those loops with a right answer take it from here, so there is one
copy of each answer: the one in the source notebook's hidden-test cell.
"""

from __future__ import annotations

from dynaq_course.checks import registry, verify
from dynaq_course.grading import editions

ROOT = editions.course_root()


def reference(name: str):
    """The reference solution of exercise ``name`` (e.g. "push_predecessors"), as a function."""
    assignment = registry.exercise(name).assignment
    return verify.reference_function(verify.reference_sources(ROOT / "source" / assignment)[name])


dyna_q_model_update = reference("dyna_q_model_update")
dyna_q_planning = reference("dyna_q_planning")
dyna_q_plus_reward = reference("dyna_q_plus_reward")
bonus_greedy_action = reference("bonus_greedy_action")
push_predecessors = reference("push_predecessors")
