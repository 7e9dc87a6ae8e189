# expect: fail not-implemented
def dyna_q_planning(model, value, params):
    # YOUR CODE HERE
    raise NotImplementedError("Student exercise: write this function")
