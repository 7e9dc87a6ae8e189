# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    flat = model.reshape(-1, 2)
    flat[state * model.shape[1] + action] = reward, next_state
    return model
