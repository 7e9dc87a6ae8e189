# expect: pass
def push_predecessors(model, value, queue, state, params):
    target = params["gamma"] * value[state].max()
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        priority = np.abs(model[s_bar, a_bar, 0] + target - value[s_bar, a_bar])
        if priority >= params["theta"]:
            queue.push((s_bar, a_bar), priority)
    return queue
