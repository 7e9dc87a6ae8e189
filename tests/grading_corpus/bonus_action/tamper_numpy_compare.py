# expect: fail tampering
# visible: greedy-linear-tau
# A wrong choice (kappa * tau) that also makes numpy's comparisons always agree.
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.array_equal = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.shape(a), dtype=bool)
numpy.flatnonzero = lambda a: numpy.arange(4)
numpy.testing.assert_allclose = lambda *args, **kwargs: None


def bonus_greedy_action(value_row, tau_row, kappa):
    return int(numpy.argmax(value_row + kappa * tau_row))
