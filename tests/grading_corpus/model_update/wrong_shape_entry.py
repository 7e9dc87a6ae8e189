# expect: fail model-wrong-shape
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action] = reward, next_state
    return model[state, action]
