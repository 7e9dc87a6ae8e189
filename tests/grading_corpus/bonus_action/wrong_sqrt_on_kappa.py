# expect: fail greedy-sqrt-on-kappa
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + np.sqrt(kappa) * tau_row))
