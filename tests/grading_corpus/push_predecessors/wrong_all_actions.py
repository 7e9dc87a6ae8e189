# expect: fail push-all-actions
def push_predecessors(model, value, queue, state, params):
    for s_bar in np.unique(np.argwhere(model[:, :, 1] == state)[:, 0]):
        for a_bar in range(model.shape[1]):
            p = abs(np.nan_to_num(model[s_bar, a_bar, 0]) + params["gamma"] * value[state].max() - value[s_bar, a_bar])
            if p > params["theta"]:
                queue.push((s_bar, a_bar), p)
    return queue
