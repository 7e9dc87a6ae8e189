# expect: pass
rng = np.random.default_rng()


def bonus_greedy_action(value_row, tau_row, kappa):
    bonus = kappa * np.sqrt(tau_row.astype(float))
    scores = value_row + bonus
    ties = np.flatnonzero(np.isclose(scores, np.max(scores)))
    return int(rng.choice(ties))
