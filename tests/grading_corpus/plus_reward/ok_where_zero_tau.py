# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    # no bonus for a pair tried on the last step
    return np.where(np.asarray(tau) > 0, reward + kappa * np.sqrt(tau), reward)
