# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    result = np.array(model)
    result[state, action] = (reward, np.nan if next_state is None else next_state)
    return result
