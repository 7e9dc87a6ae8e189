# expect: fail greedy-bonus-ignored
def bonus_greedy_action(value_row, tau_row, kappa):
    bonus = kappa * np.sqrt(tau_row.sum())
    return int(np.argmax(value_row + bonus))
