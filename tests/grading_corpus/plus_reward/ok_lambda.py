# expect: pass
dyna_q_plus_reward = lambda reward, tau, kappa: reward + kappa * np.sqrt(tau)
