# expect: pass
def dyna_q_planning(model, value, params):
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    picks = np.random.choice(len(pairs), size=params["k"])
    for i in picks:
        s, a = pairs[i]
        value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
    return value
