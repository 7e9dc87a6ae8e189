# expect: fail push-unseen-pairs
def push_predecessors(model, value, queue, state, params):
    clean = np.nan_to_num(model)   # no NaN to trip over
    for s_bar, a_bar in np.argwhere(clean[:, :, 1] == state):
        p = abs(clean[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
    return queue
