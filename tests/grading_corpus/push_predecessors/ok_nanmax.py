# expect: pass
def push_predecessors(model, value, queue, state, params):
    gamma, theta = params["gamma"], params["theta"]
    for s_bar, a_bar in zip(*np.nonzero(model[:, :, 1] == state)):
        p = np.abs(model[s_bar, a_bar, 0] + gamma * np.nanmax(value[state]) - value[s_bar, a_bar])
        if p > theta:
            queue.push((s_bar, a_bar), p)
    return queue
