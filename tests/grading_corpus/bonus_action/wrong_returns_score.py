# expect: fail greedy-returns-score
def bonus_greedy_action(value_row, tau_row, kappa):
    return np.max(value_row + kappa * np.sqrt(tau_row))
