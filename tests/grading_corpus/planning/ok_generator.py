# expect: pass
rng = np.random.default_rng()

def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = candidates[rng.integers(len(candidates))]
        value = q_learning(s, a, *model[s, a], value, params)
    return value
