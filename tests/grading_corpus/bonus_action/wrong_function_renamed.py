# expect: fail function-missing
def greedy_action_with_bonus(value_row, tau_row, kappa):
    return int(np.argmax(value_row + kappa * np.sqrt(tau_row)))
