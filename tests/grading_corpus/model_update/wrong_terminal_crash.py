# expect: fail model-terminal
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action, 0] = reward
    model[state, action, 1] = int(next_state)
    return model
