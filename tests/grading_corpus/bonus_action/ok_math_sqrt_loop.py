# expect: pass
import math


def bonus_greedy_action(value_row, tau_row, kappa):
    scores = np.zeros(4)
    for a in range(4):
        scores[a] = value_row[a] + kappa * math.sqrt(tau_row[a])
    return int(np.argmax(scores))
