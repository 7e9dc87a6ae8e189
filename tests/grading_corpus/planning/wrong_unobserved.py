# expect: fail planning-unobserved
def dyna_q_planning(model, value, params):
    for _ in range(params["k"]):
        state, action = np.random.randint(model.shape[0]), np.random.randint(model.shape[1])
        reward, next_state = model[state, action]
        if np.isnan(reward):
            reward = 0.0
        value = q_learning(state, action, reward, next_state, value, params)
    return value
