# expect: pass
def push_predecessors(model, value, queue, state, params):
    preds = [(s, a) for s in range(model.shape[0]) for a in range(model.shape[1]) if model[s, a, 1] == state]
    best = max(value[state])
    for s, a in preds:
        p = abs(model[s, a, 0] + params["gamma"] * best - value[s, a])
        if p > params["theta"]:
            queue.push((s, a), p)
    return queue
