# expect: fail plus-hardcoded-kappa
def dyna_q_plus_reward(reward, tau, kappa):
    return reward + 0.001 * np.sqrt(tau)
