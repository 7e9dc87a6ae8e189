# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    updated = model.copy()
    updated[state, action] = reward, next_state
    return updated
