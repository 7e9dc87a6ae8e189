# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    return kappa * np.sqrt(np.abs(tau)) + reward
