# expect: pass
def push_predecessors(model, value, queue, state, params):
    best = value[state].max()
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        priority = abs(model[s_bar, a_bar, 0] + params["gamma"] * best - value[s_bar, a_bar])
        if priority > params["theta"]:
            queue.push((s_bar, a_bar), priority)
    return queue
