# expect: fail greedy-not-an-action
def bonus_greedy_action(value_row, tau_row, kappa):
    return float(np.argmax(value_row + kappa * np.sqrt(tau_row)))
