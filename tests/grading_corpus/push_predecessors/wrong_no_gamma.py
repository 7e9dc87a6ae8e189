# expect: fail push-no-gamma
def push_predecessors(model, value, queue, state, params):
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        p = abs(model[s_bar, a_bar, 0] + value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
    return queue
