# expect: pass
bonus_greedy_action = lambda value_row, tau_row, kappa: np.argmax(value_row + kappa * np.sqrt(tau_row))
