# expect: pass
def dyna_q_planning(model, value, params):
    rng = np.random.default_rng(12345)
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = pairs[rng.integers(len(pairs))]
        value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
    return value
