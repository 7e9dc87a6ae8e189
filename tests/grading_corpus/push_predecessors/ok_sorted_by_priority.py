# expect: pass
def push_predecessors(model, value, queue, state, params):
    found = []
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        p = abs(model[s_bar, a_bar, 0] + params["gamma"] * value[state].max() - value[s_bar, a_bar])
        found.append((p, int(s_bar), int(a_bar)))
    for p, s_bar, a_bar in sorted(found, reverse=True):
        if p <= params["theta"]:
            break
        queue.push((s_bar, a_bar), p)
    return queue
