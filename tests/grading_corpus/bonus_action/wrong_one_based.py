# expect: fail greedy-not-an-action
# Actions counted from 1: the last action comes back as 4.
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + kappa * np.sqrt(tau_row))) + 1
