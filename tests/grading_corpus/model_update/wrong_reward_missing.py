# expect: fail model-reward-missing
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action, 1] = np.nan if next_state is None else next_state
    return model
