# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    kappa = float(kappa)
    tau = np.asarray(tau)
    return reward + kappa * np.sqrt(tau.astype(float))
