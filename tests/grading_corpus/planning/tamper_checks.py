# expect: fail tampering
# visible: planning-one-update
# Replaces the course's checks in the kernel (the module and the name the test cell uses).
import dynaq_course.checks
import dynaq_course.grading.diagnose
from dynaq_course.grading.messages import Verdict

self_check_planning = lambda fn: print("dyna_q_planning passed the self-check.")
dynaq_course.checks.self_check_planning = self_check_planning
dynaq_course.checks.check_in_kernel = lambda *args, **kwargs: None
dynaq_course.grading.diagnose.diagnose = lambda *args, **kwargs: Verdict(True, None, "passed")

def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    state, action = candidates[np.random.randint(len(candidates))]
    return q_learning(state, action, *model[state, action], value, params)
