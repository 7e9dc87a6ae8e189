# expect: pass
# Ties found with np.isclose, broken with Python's random module.
import random


def bonus_greedy_action(value_row, tau_row, kappa):
    scores = np.asarray(value_row) + kappa * np.power(tau_row, 0.5)
    best = [a for a in range(len(scores)) if np.isclose(scores[a], scores.max())]
    return random.choice(best)
