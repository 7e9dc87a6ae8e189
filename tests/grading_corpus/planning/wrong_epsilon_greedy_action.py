# expect: fail planning-unobserved
def dyna_q_planning(model, value, params):
    states = np.flatnonzero(~np.isnan(model[:, :, 0]).all(axis=1))
    for _ in range(params["k"]):
        state = np.random.choice(states)
        action = epsilon_greedy(value[state], params["epsilon"])
        reward, next_state = model[state, action]
        value = q_learning(state, action, 0.0 if np.isnan(reward) else reward, next_state, value, params)
    return value
