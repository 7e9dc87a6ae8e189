# expect: fail plus-kappa-squared
def dyna_q_plus_reward(reward, tau, kappa):
    return reward + kappa ** 2 * np.sqrt(tau)
