# expect: pass
def push_predecessors(model, value, queue, state, params):
    target_value = params["gamma"] * value[state].max()
    predecessors = np.argwhere(model[:, :, 1] == state)
    for s_bar, a_bar in predecessors:
        target = model[s_bar, a_bar, 0] + target_value
        priority = abs(value[s_bar, a_bar] - target)
        if priority > params["theta"]:
            queue.push((s_bar, a_bar), priority)
    return queue
