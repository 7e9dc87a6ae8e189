# expect: pass
from numpy import sqrt


def dyna_q_plus_reward(reward, tau, kappa):
    return reward + kappa * sqrt(tau)
