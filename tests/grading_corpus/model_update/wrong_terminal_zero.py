# expect: fail model-terminal
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action] = reward, next_state or 0
    return model
