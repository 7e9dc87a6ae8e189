"""Section 6's kernels compiled with numba (``cache=True``). Import only through ``going_further.engine``.

The source is ``further_kernels`` (also run as plain Python by the fallback
backend); see there for the rules. Its ``@jitable`` helpers are registered
with ``numba.extending.register_jitable`` here, before the kernels that call
them are compiled: once per machine, then loaded from numba's on-disk cache.
"""

from numba import njit
from numba.extending import register_jitable

from dynaq_course.engine import further_kernels as _source

for _helper in _source.JITABLE:
    register_jitable(_helper)

run_dyna = njit(cache=True)(_source.run_dyna)
run_prioritized = njit(cache=True)(_source.run_prioritized)
run_slippery = njit(cache=True)(_source.run_slippery)
