# expect: pass
# Starts from the first action and keeps the LAST of several tied actions.
def bonus_greedy_action(value_row, tau_row, kappa):
    best = 0
    best_score = value_row[0] + kappa * np.sqrt(tau_row[0])
    for action in range(1, len(value_row)):
        score = value_row[action] + kappa * np.sqrt(tau_row[action])
        if score >= best_score:
            best, best_score = action, score
    return best
