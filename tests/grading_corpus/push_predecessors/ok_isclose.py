# expect: pass
def push_predecessors(model, value, queue, state, params):
    leads_here = np.isclose(model[:, :, 1], state)   # NaN is close to nothing
    for s_bar, a_bar in np.argwhere(leads_here):
        p = abs(model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
    return queue
