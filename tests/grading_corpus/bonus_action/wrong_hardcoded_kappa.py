# expect: fail greedy-hardcoded-kappa
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + 0.01 * np.sqrt(tau_row)))
