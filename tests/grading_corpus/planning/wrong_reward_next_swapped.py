# expect: fail planning-reward-next-swapped
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        state, action = candidates[np.random.randint(len(candidates))]
        next_state, reward = model[state, action]
        value = q_learning(state, action, reward, next_state, value, params)
    return value
