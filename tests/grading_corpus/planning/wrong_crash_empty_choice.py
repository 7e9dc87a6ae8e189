# expect: fail crash
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    picks = np.random.choice(len(candidates), size=params["k"], replace=False)
    for i in picks:
        state, action = candidates[i]
        value = q_learning(state, action, *model[state, action], value, params)
    return value
