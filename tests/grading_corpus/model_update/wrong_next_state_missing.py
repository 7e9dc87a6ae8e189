# expect: fail model-next-state-missing
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action, 0] = reward
    return model
