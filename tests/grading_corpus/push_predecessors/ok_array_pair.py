# expect: pass
def push_predecessors(model, value, queue, state, params):
    for pair in np.argwhere(model[:, :, 1] == state):
        s_bar, a_bar = pair
        p = abs(model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push(tuple(pair), p)
    return queue
