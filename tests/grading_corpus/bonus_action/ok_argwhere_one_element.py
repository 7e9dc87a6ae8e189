# expect: pass
# Returns an array holding one action (shape (1,)), which the loop accepts as that action.
def bonus_greedy_action(value_row, tau_row, kappa):
    scores = value_row + kappa * np.sqrt(tau_row)
    return np.argwhere(scores == scores.max())[0]
