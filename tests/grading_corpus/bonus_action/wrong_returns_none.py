# expect: fail greedy-returns-none
def bonus_greedy_action(value_row, tau_row, kappa):
    action = int(np.argmax(value_row + kappa * np.sqrt(tau_row)))
