# expect: fail model-other-state
# visible: model-other-state
def dyna_q_model_update(model, state, action, reward, next_state):
    model[54, action] = reward, next_state   # the start state, whatever state was
    return model
