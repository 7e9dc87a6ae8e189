# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    stored_next = np.nan if next_state is None else next_state
    model[state, action] = (reward, stored_next)
    return model
