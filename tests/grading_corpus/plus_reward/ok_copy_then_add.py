# expect: pass
def dyna_q_plus_reward(reward, tau, kappa):
    planned = np.array(reward, dtype=float)  # a copy: the model's rewards stay as they are
    planned += kappa * np.sqrt(tau)
    return planned
