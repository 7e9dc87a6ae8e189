# expect: fail push-terminal-pairs
def push_predecessors(model, value, queue, state, params):
    seen = ~np.isnan(model[:, :, 0])
    next_states = np.nan_to_num(model[:, :, 1]).astype(int)
    for s_bar, a_bar in np.argwhere(seen & (next_states == state)):
        p = abs(model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
    return queue
