# expect: fail function-missing
def dyna_q_plus_bonus(reward, tau, kappa):
    return reward + kappa * np.sqrt(tau)
