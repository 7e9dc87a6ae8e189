# expect: pass
import copy

def dyna_q_model_update(model, state, action, reward, next_state):
    new_model = copy.deepcopy(model)
    new_model[state, action] = reward, next_state
    return new_model
