# expect: fail model-other-action
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, (action + 1) % 4] = reward, next_state
    return model
