# expect: fail plus-linear-tau
def dyna_q_plus_reward(reward, tau, kappa):
    return reward + kappa * tau
