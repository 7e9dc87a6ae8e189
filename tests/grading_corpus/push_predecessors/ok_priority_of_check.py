# expect: pass
def push_predecessors(model, value, queue, state, params):
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        pair = (int(s_bar), int(a_bar))
        p = abs(model[pair][0] + params["gamma"] * value[state].max() - value[pair])
        waiting = queue.priority_of(pair)
        if p > params["theta"] and (waiting is None or p > waiting):
            queue.push(pair, p)
    return queue
