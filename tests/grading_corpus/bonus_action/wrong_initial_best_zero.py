# expect: fail greedy-initial-best-zero
import math


def bonus_greedy_action(value_row, tau_row, kappa):
    best_action, best_score = 0, 0
    for a in range(4):
        score = value_row[a] + kappa * math.sqrt(tau_row[a])
        if score >= best_score:
            best_action, best_score = a, score
    return best_action
