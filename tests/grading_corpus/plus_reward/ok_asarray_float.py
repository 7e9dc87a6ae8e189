# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    reward = np.asarray(reward, dtype=float)
    tau = np.asarray(tau, dtype=float)
    return reward + kappa * np.sqrt(tau)
