# expect: pass
import math


def bonus_greedy_action(value_row, tau_row, kappa):
    scores = [q + kappa * math.sqrt(t) for q, t in zip(list(value_row), list(tau_row))]
    return scores.index(max(scores))
