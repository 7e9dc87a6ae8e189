# expect: fail plus-returns-none
def dyna_q_plus_reward(reward, tau, kappa):
    planned = reward + kappa * np.sqrt(tau)
