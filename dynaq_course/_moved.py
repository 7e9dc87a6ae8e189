"""Old import paths of modules that moved, and the import hook that keeps them working.

Notebooks already in students' hands and hidden tests stored in running classes'
gradebooks import the course by the paths it had before the package was laid out by
layer (``dynaq_course.grading.verify``, ``dynaq_course.plots``, ...). ``MOVED`` maps
each such path to where the module lives now; importing an old path gives the new
module itself (the same object, so patching one patches the other), and
``python -m OLD.PATH`` runs the new module. New code imports the new paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {
    "dynaq_course._engine_numba": "dynaq_course.engine._numba",
    "dynaq_course._engine_python": "dynaq_course.engine._python",
    "dynaq_course._further_kernels": "dynaq_course.engine.further_kernels",
    "dynaq_course._further_numba": "dynaq_course.engine._further_numba",
    "dynaq_course.dyna_plus": "dynaq_course.going_further.dyna_plus",
    "dynaq_course.exercises": "dynaq_course.checks.loader",
    "dynaq_course.checks.further_diagnose": "dynaq_course.checks.diagnose",  # split per exercise (registry)
    "dynaq_course.checks.further_probes": "dynaq_course.checks.probes",  # split per exercise (registry)
    "dynaq_course.experiments": "dynaq_course.lesson.experiments",
    "dynaq_course.further_engine": "dynaq_course.going_further.engine",
    "dynaq_course.further_experiments": "dynaq_course.going_further.experiments",
    "dynaq_course.further_plots": "dynaq_course.going_further.plots",
    "dynaq_course.further_widgets": "dynaq_course.going_further.widgets",
    "dynaq_course.grading.child": "dynaq_course.checks.child",
    "dynaq_course.grading.diagnose": "dynaq_course.checks.diagnose",
    "dynaq_course.grading.further_diagnose": "dynaq_course.checks.diagnose",  # split per exercise (registry)
    "dynaq_course.grading.further_probes": "dynaq_course.checks.probes",  # split per exercise (registry)
    "dynaq_course.grading.messages": "dynaq_course.checks.messages",
    "dynaq_course.grading.probes": "dynaq_course.checks.probes",
    "dynaq_course.grading.verify": "dynaq_course.checks.verify",
    "dynaq_course.greedy_paths": "dynaq_course.going_further.greedy_paths",
    "dynaq_course.gym_env": "dynaq_course.going_further.gym_env",
    "dynaq_course.nbgrader_plugins": "dynaq_course.grading.nbgrader_plugins",
    "dynaq_course.planning_view": "dynaq_course.lesson.planning_view",
    "dynaq_course.plots": "dynaq_course.lesson.plots",
    "dynaq_course.prioritized": "dynaq_course.going_further.prioritized",
    "dynaq_course.stochastic": "dynaq_course.going_further.slippery",
    "dynaq_course.style": "dynaq_course.lesson.style",
    "dynaq_course.widgets": "dynaq_course.lesson.widgets",
}


class _OldPath(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path in ``MOVED`` and loads it as the module at the new path."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass  # the new module is already executed

    def get_code(self, fullname):  # for ``python -m OLD.PATH``
        new = importlib.util.find_spec(MOVED[fullname])
        return new.loader.get_code(MOVED[fullname])


def install() -> None:
    if not any(isinstance(finder, _OldPath) for finder in sys.meta_path):
        sys.meta_path.insert(0, _OldPath())
