# expect: fail not-implemented
def dyna_q_plus_reward(reward, tau, kappa):
    # YOUR CODE HERE
    raise NotImplementedError("Student exercise: write this function")
