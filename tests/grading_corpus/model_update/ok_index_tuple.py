# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    pair = (state, action)
    model[pair] = reward, next_state
    return model
