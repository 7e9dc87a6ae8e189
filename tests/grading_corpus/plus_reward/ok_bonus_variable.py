# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    bonus = kappa * np.sqrt(tau)  # grows with the time since the pair was tried
    return reward + bonus
