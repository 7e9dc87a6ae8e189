# expect: fail not-implemented
def push_predecessors(model, value, queue, state, params):
    # YOUR CODE HERE
    raise NotImplementedError("Student exercise: write this function")
