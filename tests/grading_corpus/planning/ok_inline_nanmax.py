# expect: pass
def dyna_q_planning(model, value, params):
    alpha, gamma = params["alpha"], params["gamma"]
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = candidates[np.random.randint(len(candidates))]
        r, s2 = model[s, a]
        future = 0.0 if np.isnan(s2) else np.nanmax(value[int(s2)])
        value[s, a] += alpha * (r + gamma * future - value[s, a])
    return value
