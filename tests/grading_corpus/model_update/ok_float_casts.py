# expect: pass
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action, 0] = float(reward)
    model[state, action, 1] = float("nan") if next_state is None else float(next_state)
    return model
