# expect: fail tampering
# visible: plus-minus
# A wrong bonus (subtracted) that also replaces the course's self-check.
import dynaq_course.checks
dynaq_course.checks.self_check_dyna_q_plus_reward = lambda fn: print('passed')
dynaq_course.checks.check_in_kernel = lambda *args: None


def dyna_q_plus_reward(reward, tau, kappa):
    return reward - kappa * np.sqrt(tau)
