# expect: fail planning-ignores-k
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(10):
        state, action = candidates[np.random.randint(len(candidates))]
        value = q_learning(state, action, *model[state, action], value, params)
    return value
