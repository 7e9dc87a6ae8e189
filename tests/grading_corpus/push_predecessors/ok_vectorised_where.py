# expect: pass
def push_predecessors(model, value, queue, state, params):
    s_bars, a_bars = np.where(model[:, :, 1] == state)
    priorities = np.abs(model[s_bars, a_bars, 0] + params["gamma"] * np.max(value[state]) - value[s_bars, a_bars])
    for s_bar, a_bar, priority in zip(s_bars, a_bars, priorities):
        if priority > params["theta"]:
            queue.push((int(s_bar), int(a_bar)), float(priority))
    return queue
