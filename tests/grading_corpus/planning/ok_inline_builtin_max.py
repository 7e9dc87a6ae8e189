# expect: pass
def dyna_q_planning(model, value, params):
    candidates = list(zip(*np.nonzero(~np.isnan(model[:, :, 0]))))
    for _ in range(params["k"]):
        s, a = candidates[np.random.randint(len(candidates))]
        r, s2 = model[s, a]
        target = r if np.isnan(s2) else r + params["gamma"] * max(value[int(s2)])
        value[s, a] = (1 - params["alpha"]) * value[s, a] + params["alpha"] * target
    return value
