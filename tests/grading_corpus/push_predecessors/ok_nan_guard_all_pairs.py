# expect: pass
def push_predecessors(model, value, queue, state, params):
    for s_bar, a_bar in np.argwhere(~np.isnan(model[:, :, 0])):
        next_state = model[s_bar, a_bar, 1]
        if np.isnan(next_state) or int(next_state) != state:
            continue
        p = abs(model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
    return queue
