# expect: fail model-state-action-swapped
def dyna_q_model_update(model, state, action, reward, next_state):
    model[action, state] = reward, next_state
    return model
