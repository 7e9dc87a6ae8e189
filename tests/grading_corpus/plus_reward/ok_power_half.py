# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    return reward + kappa * tau ** 0.5
