# expect: fail uses-outside-name
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action] = reward, next_state
    return MODEL_SCALE * model
