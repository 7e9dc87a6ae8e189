# expect: fail plus-modifies-input
def dyna_q_plus_reward(reward, tau, kappa):
    reward += kappa * np.sqrt(tau)
    return reward
