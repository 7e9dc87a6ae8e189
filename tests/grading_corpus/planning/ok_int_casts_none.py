# expect: pass
def dyna_q_planning(model, value, params):
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    for step in range(int(params["k"])):
        s, a = (int(x) for x in pairs[np.random.randint(len(pairs))])
        reward = float(model[s, a, 0])
        next_state = None if np.isnan(model[s, a, 1]) else int(model[s, a, 1])
        value = q_learning(s, a, reward, next_state, value, params)
    return value
