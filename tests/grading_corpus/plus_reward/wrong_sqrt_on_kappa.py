# expect: fail plus-sqrt-on-kappa
def dyna_q_plus_reward(reward, tau, kappa):
    return reward + np.sqrt(kappa) * tau
