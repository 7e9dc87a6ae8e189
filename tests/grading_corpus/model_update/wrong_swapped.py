# expect: fail model-swapped
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action] = next_state, reward
    return model
