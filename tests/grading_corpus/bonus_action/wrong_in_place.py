# expect: fail greedy-modifies-input
def bonus_greedy_action(value_row, tau_row, kappa):
    value_row += kappa * np.sqrt(tau_row)
    return int(np.argmax(value_row))
