# expect: fail greedy-bonus-ignored
# One bonus for the whole state (from its longest-untried action): the same for every action.
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(value_row + kappa * np.sqrt(np.max(tau_row))))
