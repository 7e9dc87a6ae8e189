# expect: fail function-missing
def dyna_q_update_model(model, state, action, reward, next_state):
    model[state, action] = reward, next_state
    return model
