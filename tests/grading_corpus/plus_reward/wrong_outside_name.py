# expect: fail uses-outside-name
def dyna_q_plus_reward(reward, tau, kappa):
    return reward + KAPPA * np.sqrt(tau)
