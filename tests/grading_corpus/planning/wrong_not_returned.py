# expect: fail planning-not-returned
def dyna_q_planning(model, value, params):
    new_value = value.copy()
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        state, action = candidates[np.random.randint(len(candidates))]
        new_value = q_learning(state, action, *model[state, action], new_value, params)
    return value
