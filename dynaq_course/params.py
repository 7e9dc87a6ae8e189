"""Facts every layer of the course shares: the tutorial's hyperparameters, and whether nbgrader is running.

Standard library only, so the kernel-side checks can import it too.
"""

from __future__ import annotations

import os

# The hyperparameters of the Neuromatch tutorial this course is built from: exploration
# rate epsilon, step size alpha, discount gamma. Agents that need more (k, kappa, ...)
# add them with ``tutorial_params(k=10)``.
TUTORIAL_PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
MAX_STEPS = 1000  # the tutorial's cap on the steps of one episode

GRADING_ENV = "NBGRADER_EXECUTION"  # nbgrader sets it while it executes a notebook (autograde, validate)


def tutorial_params(**more) -> dict:
    """A fresh dict of the tutorial's hyperparameters, with ``more`` added or replacing them."""
    return {**TUTORIAL_PARAMS, **more}


def grading_now() -> bool:
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get(GRADING_ENV))


STATIC_BUILD_ENV = "DYNAQ_NO_PROGRESS"  # set while saved notebooks are built (editions, the verifier's processes)


def static_build() -> bool:
    """True while a saved notebook is being built: no progress bars, and sliders show a plain picture."""
    return bool(os.environ.get(STATIC_BUILD_ENV))


def show_progress(progress: bool) -> bool:
    """Whether a long computation asked to show ``progress`` should draw a progress bar now."""
    return bool(progress) and not grading_now() and not static_build()
