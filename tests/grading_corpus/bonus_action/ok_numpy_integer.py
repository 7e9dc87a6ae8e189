# expect: pass
# np.argmax's own result (a NumPy integer), returned as it is.
def bonus_greedy_action(value_row, tau_row, kappa):
    scores = value_row + kappa * np.sqrt(tau_row)
    return np.argmax(scores)
