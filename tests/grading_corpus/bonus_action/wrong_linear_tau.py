# expect: fail greedy-linear-tau
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + kappa * tau_row))
