# expect: pass
def dyna_q_planning(model, value, params):
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        row = pairs[np.random.choice(pairs.shape[0])]
        value = q_learning(row[0], row[1], model[row[0], row[1], 0], model[row[0], row[1], 1], value, params)
    return value
