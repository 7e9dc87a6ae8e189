"""Dyna-Q course: Quentin's World, the agent loop and the plots the notebooks use.

The two exercise functions (``dyna_q_model_update`` and ``dyna_q_planning``)
are not here: students write them in the notebooks.
"""
from .agent import epsilon_greedy, learn_environment, new_model, q_learning
from .world import ACTION_NAMES, QuentinsWorld

__all__ = [
    "ACTION_NAMES",
    "QuentinsWorld",
    "epsilon_greedy",
    "learn_environment",
    "new_model",
    "q_learning",
]
