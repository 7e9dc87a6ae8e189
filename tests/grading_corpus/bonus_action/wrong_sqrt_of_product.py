# expect: fail greedy-sqrt-of-product
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + np.sqrt(kappa * tau_row)))
