# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action] = np.array([reward, next_state], dtype=float)
    return model
