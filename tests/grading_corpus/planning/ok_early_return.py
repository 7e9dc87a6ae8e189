# expect: pass
def dyna_q_planning(model, value, params):
    k = params["k"]
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    if k == 0 or len(pairs) == 0:
        return value
    for _ in range(k):
        s, a = pairs[np.random.randint(len(pairs))]
        value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
    return value
