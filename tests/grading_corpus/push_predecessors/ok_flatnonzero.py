# expect: pass
def push_predecessors(model, value, queue, state, params):
    flat = np.flatnonzero(model[:, :, 1] == state)
    s_bars, a_bars = np.divmod(flat, model.shape[1])
    deltas = model[s_bars, a_bars, 0] + params["gamma"] * value[state].max() - value[s_bars, a_bars]
    for i in np.flatnonzero(np.abs(deltas) > params["theta"]):
        queue.push((s_bars[i], a_bars[i]), abs(deltas[i]))
    return queue
