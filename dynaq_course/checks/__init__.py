"""What runs in a student's kernel: loading exercises from notebooks and checking them.

Standard library and numpy only (it is imported in every student kernel and in the
verifier's fresh processes). The self-checks students call are re-exported here, so
``from dynaq_course.checks import self_check_planning`` keeps working.
"""

from dynaq_course.checks.self_check import (
    self_check_bonus_greedy_action,
    self_check_dyna_q_plus_reward,
    self_check_model_update,
    self_check_planning,
    self_check_push_predecessors,
)

__all__ = [
    "self_check_bonus_greedy_action",
    "self_check_dyna_q_plus_reward",
    "self_check_model_update",
    "self_check_planning",
    "self_check_push_predecessors",
]
