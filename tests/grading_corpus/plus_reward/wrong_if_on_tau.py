# expect: fail plus-scalars-only
def dyna_q_plus_reward(reward, tau, kappa):
    if tau > 0:
        return reward + kappa * np.sqrt(tau)
    return reward
