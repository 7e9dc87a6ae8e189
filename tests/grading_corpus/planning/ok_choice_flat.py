# expect: pass
def dyna_q_planning(model, value, params):
    flat = np.flatnonzero(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        state, action = divmod(int(np.random.choice(flat)), model.shape[1])
        value = q_learning(state, action, model[state, action, 0], model[state, action, 1], value, params)
    return value
