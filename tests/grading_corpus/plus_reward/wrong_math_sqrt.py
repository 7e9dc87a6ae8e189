# expect: fail plus-scalars-only
import math


def dyna_q_plus_reward(reward, tau, kappa):
    return reward + kappa * math.sqrt(tau)
