# expect: fail plus-reward-missing
def dyna_q_plus_reward(reward, tau, kappa):
    return kappa * np.sqrt(tau)
