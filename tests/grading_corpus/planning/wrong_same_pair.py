# expect: fail planning-same-pair
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    state, action = candidates[0]
    for _ in range(params["k"]):
        value = q_learning(state, action, *model[state, action], value, params)
    return value
