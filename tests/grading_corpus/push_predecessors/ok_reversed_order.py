# expect: pass
def push_predecessors(model, value, queue, state, params):
    pairs = np.argwhere(model[:, :, 1] == state)[::-1]
    for s_bar, a_bar in pairs:
        error = model[s_bar, a_bar, 0] + params["gamma"] * np.max(value[state]) - value[s_bar, a_bar]
        if abs(error) > params["theta"]:
            queue.push((int(s_bar), int(a_bar)), abs(error))
    return queue
