# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    return np.add(reward, kappa * np.power(tau, 0.5))
