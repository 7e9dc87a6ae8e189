# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + kappa * np.sqrt(tau_row)))
