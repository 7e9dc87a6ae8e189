# expect: pass
def dyna_q_planning(model, value, params):
    for _ in range(params["k"]):
        candidates = np.argwhere(~np.isnan(model[:, :, 0]))
        state, action = candidates[np.random.randint(len(candidates))]
        reward, next_state = model[state, action]
        value = q_learning(state, action, reward, next_state, value, params)
    return value
