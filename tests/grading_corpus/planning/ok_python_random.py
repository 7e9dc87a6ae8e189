# expect: pass
import random

def dyna_q_planning(model, value, params):
    seen = [tuple(pair) for pair in np.argwhere(~np.isnan(model[:, :, 0]))]
    for step in range(params["k"]):
        s, a = random.choice(seen)
        value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
    return value
