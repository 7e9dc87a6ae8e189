# expect: pass
import math


def dyna_q_plus_reward(reward, tau, kappa):
    if np.isscalar(tau):
        return reward + kappa * math.sqrt(tau)
    return reward + kappa * np.sqrt(tau)
