# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    scores = value_row.copy()
    scores += kappa * np.sqrt(tau_row)
    return int(scores.argmax())
