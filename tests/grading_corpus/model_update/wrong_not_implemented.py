# expect: fail not-implemented
def dyna_q_model_update(model, state, action, reward, next_state):
    # YOUR CODE HERE
    raise NotImplementedError("Student exercise: write this function")
