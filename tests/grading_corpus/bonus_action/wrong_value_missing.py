# expect: fail greedy-value-missing
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(kappa * np.sqrt(tau_row)))
