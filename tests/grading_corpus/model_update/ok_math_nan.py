# expect: pass
import math

def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action, 0] = reward
    model[state, action, 1] = math.nan if next_state is None else next_state
    return model
