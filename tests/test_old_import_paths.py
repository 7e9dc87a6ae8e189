"""Import paths in students' hands keep working after the package was laid out by layer.

``OLD_IMPORTS`` are the import lines of every notebook of the editions released before
the layout (commit 3bffa78: source/, release/, notebooks/, solutions/), hidden tests
included (``dynaq_course.grading.verify``): notebooks students already have, and hidden
tests stored in running classes' gradebooks, run these lines. Each runs in a fresh
interpreter, as a kernel would, and must give the object the new path gives.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

OLD_IMPORTS = [
    "from dynaq_course import QuentinsWorld, ACTION_NAMES, new_model, q_learning, epsilon_greedy, learn_environment",
    "from dynaq_course.checks import self_check_model_update, self_check_planning",
    "from dynaq_course.checks import (self_check_bonus_greedy_action, self_check_dyna_q_plus_reward, "
    "self_check_push_predecessors)",
    "from dynaq_course.dyna_plus import learn_dyna_q_action_bonus, learn_dyna_q_plus",
    "from dynaq_course.exercises import load_exercise, solution_if_skipped",
    "from dynaq_course.experiments import compare_with_engine, fast_k_sweep, run_k_sweep, fast_shortcut_experiment, "
    "run_shortcut_experiment, episodes_to_run",
    "from dynaq_course.further_experiments import (blocking_experiment, bonus_placement, discovery_table, "
    "planning_budget_comparison, shortcut_discovery, slippery_comparison, updates_to_near_optimal)",
    "from dynaq_course.further_plots import (plot_blocking, plot_blocking_steps, plot_bonus_placement, "
    "plot_discovery_times, plot_planning_budget, plot_shortcut_use, plot_slippery_scores, "
    "plot_updates_to_near_optimal)",
    "from dynaq_course.further_widgets import kappa_explorer, planning_explorer, slip_explorer",
    "from dynaq_course.grading.verify import assert_exercise_passes",
    "from dynaq_course.gym_env import EndAtGoal",
    "import dynaq_course.gym_env",
    "from dynaq_course.planning_view import planning_snapshots, plot_planning_spread, spread_summary, "
    "planning_step_explorer",
    "from dynaq_course.plots import plot_model_coverage, plot_performance, plot_steps_per_episode, plot_world, "
    "plot_transition",
    "from dynaq_course.prioritized import PriorityQueue, episode_report, prioritized_sweeping",
    "from dynaq_course.style import show_figure, use_course_style",
    "from dynaq_course.widgets import k_sweep_explorer, shortcut_explorer",
]

# what the old line's names must be, by the new path
SAME_AS = {
    "dynaq_course.grading.verify": "dynaq_course.checks.verify",
    "dynaq_course.prioritized": "dynaq_course.going_further.prioritized",
    "dynaq_course.plots": "dynaq_course.lesson.plots",
    "dynaq_course.exercises": "dynaq_course.checks.loader",
}


@pytest.mark.parametrize("line", OLD_IMPORTS, ids=lambda line: line.split(" import")[0])
def test_old_import_line_runs_in_a_fresh_interpreter(line):
    old = line.split()[1]
    check = ""
    if old in SAME_AS:
        check = (
            f"import importlib\nnew = importlib.import_module({SAME_AS[old]!r})\n"
            f"old = importlib.import_module({old!r})\nassert old is new, (old, new)\n"
        )
    result = subprocess.run([sys.executable, "-c", f"{line}\n{check}"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


def test_an_unknown_old_looking_path_still_fails():
    """Negative control: the import hook answers only for the paths in ``_moved.MOVED``."""
    result = subprocess.run(
        [sys.executable, "-c", "import dynaq_course.grading.nonexistent"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr


def test_python_dash_m_on_an_old_path_runs_the_new_module():
    result = subprocess.run(
        [sys.executable, "-m", "dynaq_course.grading.verify", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "--exercise" in result.stdout, result.stderr[-2000:]
