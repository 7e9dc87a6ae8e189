# expect: fail plus-scalars-only
def dyna_q_plus_reward(reward, tau, kappa):
    return float(reward + kappa * np.sqrt(tau))
