# expect: fail planning-wrong-count
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        for state, action in candidates:
            value = q_learning(state, action, *model[state, action], value, params)
    return value
