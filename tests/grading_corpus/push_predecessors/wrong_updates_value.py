# expect: fail push-modifies-inputs
def push_predecessors(model, value, queue, state, params):
    for s_bar, a_bar in np.argwhere(model[:, :, 1] == state):
        target = model[s_bar, a_bar, 0] + params["gamma"] * value[state].max()
        p = abs(target - value[s_bar, a_bar])
        if p > params["theta"]:
            queue.push((s_bar, a_bar), p)
            value[s_bar, a_bar] = target   # planning's job, not this step's
    return queue
