# expect: fail model-untouched
def dyna_q_model_update(model, state, action, reward, next_state):
    new = model.copy()
    new[state, action] = reward, next_state
    return model
