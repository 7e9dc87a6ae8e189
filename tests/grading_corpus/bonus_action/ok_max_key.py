# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    return max(range(4), key=lambda a: value_row[a] + kappa * np.sqrt(tau_row[a]))
