# expect: fail push-not-queue
def push_predecessors(model, value, queue, state, params):
    pushed = {}
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        p = abs(model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
            pushed[(s_bar, a_bar)] = p
    return list(pushed)
