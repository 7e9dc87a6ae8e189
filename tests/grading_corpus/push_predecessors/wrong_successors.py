# expect: fail push-successors
def push_predecessors(model, value, queue, state, params):
    for a in range(model.shape[1]):
        next_state = model[state, a, 1]
        if np.isnan(next_state):
            continue
        p = abs(model[state, a, 0] + params["gamma"] * value[int(next_state)].max() - value[state, a])
        if p > params["theta"]:
            queue.push((state, a), p)
    return queue
