"""The engine benchmark's baseline and bookkeeping (no timings are asserted here).

The benchmark's ratio is only meaningful if its baseline, ``benchmarks/tutorial_loop.py``,
is the tutorial's loop: same world, and the same work as the course's loop (which
``test_agent.py`` checks against the tutorial's own helpers). With the same seed
both must give bit-identical steps, so they make the same Q-updates.
"""

import sys

import numpy as np
import pytest

from dynaq_course import world
from dynaq_course.grading.editions import course_root
from dynaq_course.lesson.experiments import run_k_sweep, run_shortcut_experiment

sys.path.insert(0, str(course_root() / "benchmarks"))

import bench_engine
import tutorial_loop


@pytest.mark.parametrize("shortcut_open", [False, True])
def test_tutorial_world_matches_the_course_world(shortcut_open):
    env = tutorial_loop.TutorialWorld()
    if shortcut_open:
        env.toggle_shortcut()
    course_env = world.QuentinsWorld(shortcut_open=shortcut_open)
    for state in range(world.N_STATES):
        for action in range(world.N_ACTIONS):
            assert env.get_outcome(state, action) == course_env.get_outcome(state, action), (state, action)


def test_tutorial_k_sweep_is_the_course_loop_step_for_step(reference_functions):
    ks = (0, 1, 10)
    ours = tutorial_loop.k_sweep(planning_steps=ks, n_experiments=2, n_episodes=6)
    np.random.seed(1)
    course = run_k_sweep(*reference_functions, planning_steps=ks, n_experiments=2, n_episodes=6, progress=False)
    assert ours.shape == course.shape == (3, 2, 6)
    assert np.array_equal(ours, course)


def test_tutorial_shortcut_is_the_course_loop_step_for_step(reference_functions):
    ours = tutorial_loop.shortcut_experiment(n_episodes=8, shortcut_episode=4)
    np.random.seed(1)
    course = run_shortcut_experiment(*reference_functions, n_episodes=8, shortcut_episode=4, progress=False)
    assert np.array_equal(ours, course[:, 0, :])


def test_count_updates_counts_real_steps_planning_and_demonstrations():
    steps = np.array([[[3, 2]], [[4, 1]]])  # k = 0 and k = 10, one run of two episodes
    assert bench_engine.count_updates(steps, (0, 10)) == 5 + 5 * 11
    assert bench_engine.count_updates(steps, (0, 10), shortcut=True) == 5 + 5 * 11 + 2
    with pytest.raises(ValueError, match="one per k"):
        bench_engine.count_updates(steps, (0, 1, 10))


def test_spread_summarises_and_refuses_nothing():
    spread = bench_engine.Spread.of([3.0, 1.0, 2.0, 10.0])
    assert (spread.median, spread.low, spread.high, spread.n) == (2.5, 1.0, 10.0, 4)
    with pytest.raises(ValueError, match="no values"):
        bench_engine.Spread.of([])


@pytest.mark.parametrize("arguments", [["--repeats", "0"], ["--engine-runs", "-1"], ["--repeats", "x"]])
def test_bad_arguments_stop_before_any_timing(arguments, capsys):
    with pytest.raises(SystemExit) as stop:
        bench_engine.main(arguments)
    assert stop.value.code == 2
    assert "machine:" not in capsys.readouterr().out


def test_a_small_run_reports_every_ratio_with_its_spread(monkeypatch, capsys):
    """The whole report on tiny loops: each repeat, the spreads, both ratios, the machine and the load."""
    from functools import partial

    small = dict(n_experiments=1, n_episodes=3)
    monkeypatch.setattr(bench_engine, "SWEEP", dict(bench_engine.SWEEP, **small))
    monkeypatch.setattr(bench_engine.tutorial_loop, "k_sweep", partial(tutorial_loop.k_sweep, **small))
    monkeypatch.setattr(
        bench_engine.tutorial_loop,
        "shortcut_experiment",
        partial(tutorial_loop.shortcut_experiment, n_episodes=4, shortcut_episode=2),
    )
    monkeypatch.setattr(bench_engine, "SHORTCUT", dict(bench_engine.SHORTCUT, n_episodes=4, shortcut_episode=2))
    monkeypatch.setattr(bench_engine, "course_k_sweep", lambda u, p: run_k_sweep(u, p, progress=False, **small))
    monkeypatch.setattr(
        bench_engine,
        "course_shortcut",
        lambda u, p: run_shortcut_experiment(u, p, n_episodes=4, shortcut_episode=2, progress=False),
    )
    monkeypatch.setenv("DYNAQ_NO_PROGRESS", "1")  # main() sets both: restored after the test
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert (
        bench_engine.main(
            [
                "--repeats",
                "2",
                "--engine-runs",
                "1",
                "--python-runs",
                "1",
                "--slider-moves",
                "2",
                "--notebook-runs",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for text in (
        "machine: ",
        "load average (1, 5, 15 min): ",
        "repeat 1 (",
        "repeat 2 (",
        "(median of 2 repeats; ",
        "k sweep, tutorial's loop / numba",
        "k sweep, course's loop / numba",
        "shortcut, tutorial's loop / numba",
        "CPU time: ",
        "slider compute + redraw, numba",
        "load average at the end",
    ):
        assert text in out, text
    assert "Section 4" not in out  # --notebook-runs 0 skips the notebook
    assert out.count("per repeat: ") == 8  # both repeats' ratios on every ratio line
