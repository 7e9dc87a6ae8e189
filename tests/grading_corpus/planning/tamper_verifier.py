# expect: fail tampering
# visible: planning-one-update
# Replaces the verifier's entry point and the environment flag that says 'grading'.
import os
import dynaq_course.grading.verify
dynaq_course.grading.verify.assert_exercise_passes = lambda *args, **kwargs: None
os.environ.pop("NBGRADER_EXECUTION", None)

def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    state, action = candidates[np.random.randint(len(candidates))]
    return q_learning(state, action, *model[state, action], value, params)
