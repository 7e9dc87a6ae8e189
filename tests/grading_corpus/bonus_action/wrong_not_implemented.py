# expect: fail not-implemented
def bonus_greedy_action(value_row, tau_row, kappa):
    # YOUR CODE HERE
    raise NotImplementedError("Student exercise: write this function")
