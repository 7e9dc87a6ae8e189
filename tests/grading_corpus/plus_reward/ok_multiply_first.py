# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    return np.multiply(kappa, np.sqrt(tau)) + reward
