"""Dyna-Q course: Quentin's World, the agent loop and everything the notebooks use.

The package is laid out by layer (see ARCHITECTURE.md): ``world`` and ``agent``
at the bottom, then ``engine`` (the fast engine), ``checks`` (what runs in a
student's kernel to load and check exercises), ``lesson`` (Sections 1-5's
experiments, figures and sliders), ``going_further`` (Section 6), and
``grading`` (the instructor's side: nbgrader, the sandbox, the grade command).

The exercise functions are not here: students write them in the notebooks.
"""

from dynaq_course import _moved
from dynaq_course.agent import epsilon_greedy, learn_environment, new_model, q_learning
from dynaq_course.world import ACTION_NAMES, QuentinsWorld

_moved.install()

__all__ = ["ACTION_NAMES", "QuentinsWorld", "epsilon_greedy", "learn_environment", "new_model", "q_learning"]
