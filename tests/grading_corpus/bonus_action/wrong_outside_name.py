# expect: fail uses-outside-name
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + KAPPA * np.sqrt(tau_row)))
