# expect: pass
def bonus_greedy_action(value_row, tau_row, kappa):
    best_action, best_score = None, -np.inf
    for a in range(4):
        score = value_row[a] + kappa * np.sqrt(tau_row[a])
        if score > best_score:
            best_action, best_score = a, score
    return best_action
