# expect: fail push-no-abs
def push_predecessors(model, value, queue, state, params):
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        error = model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar]
        if abs(error) > params["theta"]:
            queue.push((s_bar, a_bar), error)
    return queue
