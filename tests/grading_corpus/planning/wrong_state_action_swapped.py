# expect: fail planning-state-action-swapped
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        action, state = candidates[np.random.randint(len(candidates))]
        reward, next_state = model[action, state]
        value = q_learning(state, action, reward, next_state, value, params)
    return value
