# expect: fail plus-wrong-shape
def dyna_q_plus_reward(reward, tau, kappa):
    return np.sum(reward + kappa * np.sqrt(tau))
