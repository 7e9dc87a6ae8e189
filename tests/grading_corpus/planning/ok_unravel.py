# expect: pass
def dyna_q_planning(model, value, params):
    observed = ~np.isnan(model[:, :, 0])
    flat = np.flatnonzero(observed)
    for _ in range(params["k"]):
        state, action = np.unravel_index(flat[np.random.randint(flat.size)], observed.shape)
        value = q_learning(int(state), int(action), model[state, action, 0], model[state, action, 1], value, params)
    return value
