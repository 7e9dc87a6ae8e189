# expect: fail planning-terminal
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = candidates[np.random.randint(len(candidates))]
        r, s2 = model[s, a]
        value[s, a] += params["alpha"] * (r + params["gamma"] * value[int(s2)].max() - value[s, a])
    return value
