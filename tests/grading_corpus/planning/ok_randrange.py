# expect: pass
import random

def dyna_q_planning(model, value, params):
    pairs = np.argwhere(~np.isnan(model[:, :, 0]))
    for _ in range(params["k"]):
        s, a = pairs[random.randrange(len(pairs))]
        value = q_learning(s, a, model[s, a, 0], model[s, a, 1], value, params)
    return value
