"""The fast engine: its rules, its checks on input, its backends, and the comparison helper.

With epsilon = 0 and k = 0 nothing in an agent is random (the greedy action,
ties to the first, in a deterministic world), so there the engine must give
*exactly* what the reference loop gives: steps, rewards and final values, with
and without the shortcut. Planning is random; its equivalence is tested
statistically in test_engine_statistics.py.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dynaq_course import engine
from dynaq_course.agent import learn_environment
from dynaq_course.grading.editions import course_root
from dynaq_course.lesson import experiments
from dynaq_course.world import QuentinsWorld

BACKENDS = [
    pytest.param("numba", marks=pytest.mark.skipif(not engine.numba_available(), reason="numba is not installed")),
    "python",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NBGRADER_EXECUTION", "DYNAQ_ENGINE", "DYNAQ_NO_PROGRESS"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- exact where nothing is random


def _no_planning(model, value, params):
    return value


def _remember(model, state, action, reward, next_state):
    model[state, action] = reward, next_state
    return model


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shortcut_episode, max_steps", [(None, 1000), (30, 1000), (None, 40), (3, 25)])
def test_greedy_q_learning_is_identical_to_the_reference_loop(backend, shortcut_episode, max_steps):
    params = {"epsilon": 0.0, "alpha": 0.5, "gamma": 0.8, "k": 0}
    n_episodes = 60
    value, rewards, steps = learn_environment(
        QuentinsWorld(), _remember, _no_planning, params, max_steps, n_episodes, shortcut_episode=shortcut_episode
    )
    result = engine.simulate(
        [0],
        2,
        n_episodes,
        epsilon=0.0,
        max_steps=max_steps,
        shortcut_episode=shortcut_episode,
        seed=5,
        backend=backend,
        progress=False,
    )
    for run in range(2):
        np.testing.assert_array_equal(result.steps[0, run], steps)
        np.testing.assert_array_equal(result.reward_sums[0, run], rewards)
        np.testing.assert_array_equal(result.values[0, run], value)


# ---------------------------------------------------------------- results


@pytest.mark.parametrize("backend", BACKENDS)
def test_shapes_counts_and_limits(backend):
    result = engine.simulate([0, 3], 4, 12, max_steps=50, shortcut_episode=6, seed=1, backend=backend, progress=False)
    assert result.steps.shape == result.reward_sums.shape == (2, 4, 12)
    assert result.values.shape == (2, 4, 100, 4)
    assert result.backend == backend and result.planning_steps == (0, 3)
    assert np.all((result.steps >= 1) & (result.steps <= 50))
    assert np.all(result.reward_sums <= 1)
    per_k = result.steps.sum(axis=(1, 2))
    assert result.q_updates == per_k[0] * 1 + per_k[1] * 4 + 2 * 4  # + one demonstration per run
    assert result.ns_per_update > 0
    # the goal is at least 11 moves away: with max_steps = 5 every episode is cut at 5 steps
    short = engine.simulate([2], 2, 4, max_steps=5, seed=1, backend=backend, progress=False)
    assert np.all(short.steps == 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_seeds_make_runs_repeatable_and_independent(backend):
    def run(seed):
        return engine.simulate([2, 2], 3, 15, seed=seed, backend=backend, progress=False).steps

    a, b, c = run(11), run(11), run(12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(a[0], a[1])  # same experiment, same stream for every k
    assert len({tuple(row) for row in a[0]}) == 3  # experiments differ from one another


@pytest.mark.parametrize("backend", BACKENDS)
def test_planning_makes_a_difference(backend):
    result = engine.simulate([0, 10], 30, 40, seed=3, backend=backend, progress=False)
    no_planning, planning = result.steps[:, :, 20:].mean(axis=(1, 2))
    assert planning < 30 < 60 < no_planning  # about 25 and 76 (episodes 20-39)


def test_backends_agree_with_each_other():
    if not engine.numba_available():
        pytest.skip("numba is not installed")
    means = [
        engine.simulate([10], 200, 60, seed=s, backend=b, progress=False).steps[0, :, 20:].mean(axis=1)
        for s, b in ((1, "numba"), (2, "python"))
    ]
    se = np.sqrt(sum(m.var(ddof=1) / len(m) for m in means))
    assert abs(means[0].mean() - means[1].mean()) < 4 * se


# ---------------------------------------------------------------- input checks


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"planning_steps": [-1]}, "k must be between 0"),
        ({"planning_steps": [1.5]}, "whole number"),
        ({"planning_steps": [True]}, "whole number"),
        ({"planning_steps": []}, "empty"),
        ({"planning_steps": "10"}, "whole number"),
        ({"planning_steps": None}, "list of k values"),
        ({"n_experiments": 0}, "n_experiments must be at least 1"),
        ({"n_episodes": 0}, "n_episodes must be at least 1"),
        ({"n_episodes": 2.5}, "whole number"),
        ({"max_steps": 0}, "max_steps must be at least 1"),
        ({"epsilon": -0.1}, "epsilon must lie in [0, 1]"),
        ({"epsilon": 1.5}, "epsilon must lie in [0, 1]"),
        ({"epsilon": float("nan")}, "epsilon must lie in [0, 1]"),
        ({"epsilon": "0.1"}, "epsilon must be a number"),
        ({"alpha": 0}, "alpha must lie in (0, 1]"),
        ({"gamma": 1.2}, "gamma must lie in [0, 1]"),
        ({"shortcut_episode": 10, "n_episodes": 10}, "shortcut_episode must be between 0 and 9"),
        ({"shortcut_episode": -1}, "shortcut_episode must be between"),
        ({"seed": -3}, "seed must be at least 0"),
        ({"seed": "abc"}, "seed must be a whole number"),
        ({"backend": "cuda"}, "backend must be one of"),
    ],
)
def test_bad_settings_raise_a_clear_value_error(kwargs, message):
    settings = dict(planning_steps=[1], n_experiments=1, n_episodes=5, progress=False, backend="python")
    settings.update(kwargs)
    with pytest.raises(ValueError) as error:
        engine.simulate(**settings)
    assert message in str(error.value)


def test_bad_engine_variable_is_named(monkeypatch):
    monkeypatch.setenv("DYNAQ_ENGINE", "fortran")
    with pytest.raises(ValueError, match="DYNAQ_ENGINE must be one of"):
        engine.choose_backend()


# ---------------------------------------------------------------- backends


def test_environment_variable_forces_the_python_engine(monkeypatch):
    monkeypatch.setenv("DYNAQ_ENGINE", "python")
    assert engine.choose_backend() == "python"
    assert engine.simulate([1], 1, 3, seed=0, progress=False).backend == "python"


def test_grading_kernels_never_load_the_compiler(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert engine.choose_backend() == "python"


def _python(code: str, **env) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DYNAQ_ENGINE", "NBGRADER_EXECUTION")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=course_root(), env=full_env, timeout=120
    )


BLOCK_NUMBA = "import sys; sys.modules['numba'] = None  # as if numba could not be installed\n"


def test_without_numba_the_python_engine_is_chosen_and_says_so():
    result = _python(
        BLOCK_NUMBA
        + textwrap.dedent("""
        from dynaq_course import engine
        r = engine.simulate([0, 5], 2, 10, seed=1, progress=False)
        print("backend:", r.backend, r.steps.shape)
        engine.simulate([1], 1, 3, seed=1, progress=False)   # the message is shown once
    """)
    )
    assert result.returncode == 0, result.stderr
    assert "backend: python (2, 2, 10)" in result.stdout
    assert result.stdout.count("numba is not available here") == 1


def test_asking_for_numba_without_numba_says_what_to_do():
    result = _python(
        BLOCK_NUMBA
        + textwrap.dedent("""
        from dynaq_course import engine
        engine.choose_backend("numba")
    """)
    )
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "pip install numba" in result.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_warm_up_happens_once(backend):
    engine.warm_up(backend)
    assert engine.warm_up(backend) == 0.0


def test_progress_bar_appears_for_long_runs_only(monkeypatch, capsys):
    monkeypatch.setattr(engine, "PROGRESS_DELAY", 0.0)
    engine.simulate([1], 3, 5, seed=0, backend="python")
    assert "fast engine" in capsys.readouterr().err
    monkeypatch.setenv("DYNAQ_NO_PROGRESS", "1")
    engine.simulate([1], 3, 5, seed=0, backend="python")
    assert "fast engine" not in capsys.readouterr().err


def test_callback_reports_progress():
    seen = []
    engine.simulate(
        [0, 1], 3, 5, seed=0, backend="python", progress=False, callback=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (6, 6) and all(total == 6 for _, total in seen)


# ---------------------------------------------------------------- experiments' fast path


def test_fast_experiments_have_the_shape_of_the_student_ones():
    sweep = experiments.fast_k_sweep([0, 1, 10], n_experiments=3, n_episodes=25, seed=1, progress=False)
    assert sweep.shape == (3, 3, 25)
    shortcut = experiments.fast_shortcut_experiment(
        [0, 10], n_experiments=2, n_episodes=60, shortcut_episode=30, seed=1, progress=False
    )
    assert shortcut.shape == (2, 2, 60)
    with pytest.raises(ValueError, match="shortcut_episode"):
        experiments.fast_shortcut_experiment([0], n_episodes=10, shortcut_episode=10)


def test_fast_experiments_are_shortened_under_grading(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    sweep = experiments.fast_k_sweep(seed=1)
    shortcut = experiments.fast_shortcut_experiment([0, 10], n_experiments=5, seed=1)
    assert sweep.shape == (4, 1, 10) and shortcut.shape == (2, 1, 10)
    assert "the experiment is shortened" in capsys.readouterr().out


# ---------------------------------------------------------------- compare_with_engine


def test_compare_accepts_the_same_agent_and_rejects_one_that_ignores_k(capsys):
    same = engine.simulate([0, 10], 2, 20, seed=99, progress=False).steps
    agreement = experiments.compare_with_engine(same, [0, 10], n_engine=300)
    assert agreement.agree and len(agreement.rows) == 2
    assert "agree" in capsys.readouterr().out

    ignores_k = engine.simulate([0, 0], 2, 20, seed=99, progress=False).steps
    agreement = experiments.compare_with_engine(ignores_k, [0, 10], n_engine=300)
    assert not agreement.agree
    assert [row.agree for row in agreement.rows] == [True, False]
    assert "DISAGREE" in capsys.readouterr().out


def test_compare_checks_its_input_and_skips_under_grading(monkeypatch, capsys):
    with pytest.raises(ValueError, match="shape"):
        experiments.compare_with_engine(np.ones((3, 2, 20)), [0, 10])
    with pytest.raises(ValueError, match="window"):
        experiments.compare_with_engine(np.ones((1, 2, 20)), [0], windows=[(10, 30)])
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert experiments.compare_with_engine(np.ones((1, 2, 20)), [0]) is None
    assert "skipped" in capsys.readouterr().out
