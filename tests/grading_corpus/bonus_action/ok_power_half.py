# expect: pass
# The bonus first, with ** 0.5: the sum may round differently in the last bit.
def bonus_greedy_action(value_row, tau_row, kappa):
    return int(np.argmax(kappa * tau_row ** 0.5 + value_row))
