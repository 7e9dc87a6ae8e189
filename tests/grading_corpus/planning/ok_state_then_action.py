# expect: pass
def dyna_q_planning(model, value, params):
    known = ~np.isnan(model[:, :, 0])
    states = np.flatnonzero(known.any(axis=1))
    for _ in range(params["k"]):
        state = np.random.choice(states)
        action = np.random.choice(np.flatnonzero(known[state]))
        reward, next_state = model[state, action]
        value = q_learning(state, action, reward, next_state, value, params)
    return value
