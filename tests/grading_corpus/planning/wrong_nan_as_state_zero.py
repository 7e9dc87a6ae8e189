# expect: fail planning-terminal
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        state, action = candidates[np.random.randint(len(candidates))]
        reward, next_state = model[state, action]
        if np.isnan(next_state):
            next_state = 0
        value = q_learning(state, action, reward, next_state, value, params)
    return value
