"""Section 6's kernels compiled with numba (``cache=True``). Import only through ``further_engine``.

The source is ``_further_kernels`` (also run as plain Python by the fallback
backend); see there for the rules. Compiled once per machine, then loaded
from numba's on-disk cache.
"""
from numba import njit

from dynaq_course.engine import further_kernels as _source

run_dyna = njit(cache=True)(_source.run_dyna)
run_prioritized = njit(cache=True)(_source.run_prioritized)
run_slippery = njit(cache=True)(_source.run_slippery)
