# expect: fail model-all-actions
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state] = reward, next_state
    return model
