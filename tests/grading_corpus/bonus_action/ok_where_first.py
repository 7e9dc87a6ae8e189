# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    scores = np.add(value_row, np.multiply(kappa, np.sqrt(tau_row)))
    return np.where(scores == np.max(scores))[0][0]
