# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action, 0] = reward
    if next_state is None:
        model[state, action, 1] = np.nan
    else:
        model[state, action, 1] = next_state
    return model
