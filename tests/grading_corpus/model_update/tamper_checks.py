# expect: fail tampering
# visible: model-untouched
import dynaq_course.checks
self_check_model_update = lambda fn: print("dyna_q_model_update passed the self-check.")
dynaq_course.checks.self_check_model_update = self_check_model_update

def dyna_q_model_update(model, state, action, reward, next_state):
    return model
