# expect: fail model-terminal
def dyna_q_model_update(model, state, action, reward, next_state):
    if next_state is None:
        next_state = -1
    model[state, action] = reward, next_state
    return model
