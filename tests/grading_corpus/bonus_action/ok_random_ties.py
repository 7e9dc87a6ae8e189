# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    score = value_row + kappa * np.sqrt(tau_row)
    return np.random.choice(np.flatnonzero(score == score.max()))
