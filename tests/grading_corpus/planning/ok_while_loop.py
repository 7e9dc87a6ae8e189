# expect: pass
def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    done = 0
    while done < params["k"]:
        state, action = candidates[np.random.randint(len(candidates))]
        value = q_learning(state, action, model[state, action, 0], model[state, action, 1], value, params)
        done += 1
    return value
