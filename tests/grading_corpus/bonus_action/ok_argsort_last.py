# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    order = np.argsort(value_row + kappa * np.sqrt(tau_row))
    return order[-1]
