# expect: fail greedy-bonus-ignored
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row))
