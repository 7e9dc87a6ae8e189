# expect: fail model-returns-none
def dyna_q_model_update(model, state, action, reward, next_state):
    model[state, action] = reward, next_state
