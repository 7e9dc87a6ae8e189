# expect: fail tampering
# visible: greedy-bonus-ignored
# Ignores the bonus, and replaces the fresh-process verifier and the self-check.
import dynaq_course.grading.verify
import dynaq_course.checks
dynaq_course.grading.verify.assert_exercise_passes = lambda *args, **kwargs: None
dynaq_course.checks.self_check_bonus_greedy_action = lambda fn: None


def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row))
