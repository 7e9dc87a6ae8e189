# expect: fail tampering
# visible: planning-one-update
# A wrong planner (one update) that also makes numpy's comparisons always agree.
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.array_equal = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.shape(a), dtype=bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None

def dyna_q_planning(model, value, params):
    candidates = np.argwhere(~np.isnan(model[:, :, 0]))
    state, action = candidates[np.random.randint(len(candidates))]
    return q_learning(state, action, *model[state, action], value, params)
