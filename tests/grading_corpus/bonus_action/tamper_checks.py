# expect: fail tampering
# visible: greedy-minus
# A wrong choice (the bonus subtracted) that also replaces the course's self-check.
import dynaq_course.checks
dynaq_course.checks.self_check_bonus_greedy_action = lambda fn: print('passed')
dynaq_course.checks.check_in_kernel = lambda *args: None


def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row - kappa * np.sqrt(tau_row)))
