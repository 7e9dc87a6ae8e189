# expect: pass
def push_predecessors(model, value, queue, state, params):
    n_states, n_actions = value.shape
    for s_bar in range(n_states):
        for a_bar in range(n_actions):
            if model[s_bar, a_bar, 1] == state:
                r_bar = model[s_bar, a_bar, 0]
                priority = abs(r_bar + params["gamma"] * max(value[state]) - value[s_bar, a_bar])
                if priority > params["theta"]:
                    queue.push((s_bar, a_bar), priority)
    return queue
