"""Shared fixtures. `reference_functions` gives the instructor's reference
solutions of the two exercises, read from the solution cells in source/."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

from dynaq_course.grading.editions import ASSIGNMENT, course_root
from dynaq_course.checks.loader import load_exercise

SOURCE = course_root() / "source" / ASSIGNMENT


@pytest.fixture(scope="session")
def reference_functions():
    """(dyna_q_model_update, dyna_q_planning) as the instructor wrote them in source/."""
    return (load_exercise("dyna_q_model_update", SOURCE, verbose=False),
            load_exercise("dyna_q_planning", SOURCE, verbose=False))
