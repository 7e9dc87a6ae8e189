# expect: fail planning-misses-pairs
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        state, action = candidates[np.random.randint(max(len(candidates) - 1, 1))]
        value = q_learning(state, action, *model[state, action], value, params)
    return value
