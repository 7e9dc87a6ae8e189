# expect: fail greedy-argmin
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmin(value_row + kappa * np.sqrt(tau_row)))
