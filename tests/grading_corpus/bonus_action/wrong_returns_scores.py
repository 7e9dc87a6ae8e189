# expect: fail greedy-returns-scores
def bonus_greedy_action(value_row, tau_row, kappa):
    scores = value_row + kappa * np.sqrt(tau_row)
    return scores
