# expect: fail greedy-kappa-squared
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + kappa ** 2 * np.sqrt(tau_row)))
