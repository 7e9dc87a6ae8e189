# expect: fail greedy-explores
# Adds its own epsilon-random moves (the loop already makes them).
def bonus_greedy_action(value_row, tau_row, kappa):
    if np.random.random() < 0.1:
        return np.random.randint(4)
    return int(np.argmax(value_row + kappa * np.sqrt(tau_row)))
