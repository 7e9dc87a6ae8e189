# expect: fail planning-hardcoded-params
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = candidates[np.random.randint(len(candidates))]
        r, s2 = model[s, a]
        future = 0.0 if np.isnan(s2) else value[int(s2)].max()
        value[s, a] += params["alpha"] * (r + future - value[s, a])
    return value
