"""Planning made visible (Section 3): Figure 8.3 for Quentin's World and the slider over planning updates.

What must hold: the behaviour agent is the course's own agent loop (the
instructor's functions give the same values); every agent learns from the same
real steps, so the agents differ only by planning; without planning, one
episode changes only the pairs walked; with planning, value reaches more states
after two episodes for nearly every seed (and not for the controls); the
slider's tables replay the run exactly; a slider move redraws one image in
place; nothing is built under nbgrader; saved-notebook builds show a picture.
"""

import html
import re

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dynaq_course import QuentinsWorld, learn_environment, q_learning
from dynaq_course.lesson import planning_view as pv
from dynaq_course.lesson.widgets import GradingNote

PNG = b"\x89PNG\r\n\x1a\n"
PARAMS = {"epsilon": 0.05, "alpha": 0.5, "gamma": 0.8}
SEEDS = range(40)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NBGRADER_EXECUTION", "DYNAQ_NO_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def trace():
    return pv.planning_trace(k=50, episode=2, seed=pv.SEED)


def recorded_run(model_update, planner, k, n_episodes, seed):
    """learn_environment with the given functions, recording the real transitions per episode."""
    steps = []

    def recording_update(model, state, action, reward, next_state):
        steps.append(
            pv.Transition(int(state), int(action), float(reward), None if next_state is None else int(next_state))
        )
        return model_update(model, state, action, reward, next_state)

    np.random.seed(seed)
    value, _, episode_steps = learn_environment(
        QuentinsWorld(), recording_update, planner, dict(PARAMS, k=k), 1000, n_episodes
    )
    bounds = np.cumsum(episode_steps).astype(int)
    return value, [steps[a:b] for a, b in zip(np.r_[0, bounds[:-1]], bounds)]


def plain_q_learning(episodes):
    """Q-learning over the given real steps, written out here independently of planning_view."""
    value = np.ones((100, 4))
    for steps in episodes:
        for s in steps:
            value = q_learning(s.state, s.action, s.reward, s.next_state, value, PARAMS)
    return value


# ------------------------------------------------------------------ the recorded run


@pytest.mark.parametrize("seed", [pv.SEED, 3, 17])
def test_the_acting_agent_is_the_course_agent_with_the_instructors_functions(reference_functions, seed):
    model_update, planner = reference_functions
    value, episodes = recorded_run(model_update, planner, 50, 2, seed)
    snapshots = pv.planning_snapshots(k_values=(0, 50), n_episodes=2, seed=seed)
    assert snapshots.behaviour_k == 50
    assert snapshots.episodes == episodes
    np.testing.assert_array_equal(snapshots.values[50][-1], value)
    trace = pv.planning_trace(k=50, episode=2, seed=seed)
    np.testing.assert_array_equal(trace.tables[-1], value)  # the slider ends where the straight run ends
    np.testing.assert_array_equal(trace.tables[0], snapshots.values[50][0])
    assert trace.steps == episodes[1]


def test_numpys_global_random_state_is_left_as_it_was():
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    pv.planning_snapshots(seed=7)
    pv.planning_trace(seed=7)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_the_real_steps_are_a_walk_in_the_world():
    env = QuentinsWorld()
    for seed in (pv.SEED, 5):
        snapshots = pv.planning_snapshots(seed=seed, n_episodes=3)
        for steps in snapshots.episodes:
            assert steps[0].state == env.init_state
            for before, after in zip(steps, steps[1:]):
                assert before.next_state == after.state
            for s in steps:
                assert env.get_outcome(s.state, s.action) == (s.next_state, s.reward)
            assert steps[-1].state == env.goal_state and steps[-1].next_state is None


def test_every_agent_learns_from_the_same_real_steps():
    snapshots = pv.planning_snapshots(k_values=(0, 10, 50), seed=pv.SEED)
    # Without planning, the values are exactly those of Q-learning over the recorded steps.
    for episode in (1, 2):
        np.testing.assert_array_equal(snapshots.values[0][episode - 1], plain_q_learning(snapshots.episodes[:episode]))
    # Planning only replays remembered pairs: every agent changed exactly the pairs that were walked.
    walked = {(s.state, s.action) for steps in snapshots.episodes for s in steps}
    for k in snapshots.k_values:
        changed = {tuple(p) for p in np.argwhere(snapshots.values[k][-1] != 1.0)}
        assert changed == walked, k
    # ... and the agents do differ: planning moved the values further.
    assert not np.array_equal(snapshots.values[0][-1], snapshots.values[50][-1])


@pytest.mark.parametrize("seed", [pv.SEED, 0, 8, 23])
def test_without_planning_one_episode_changes_only_the_walked_pairs(seed):
    snapshots = pv.planning_snapshots(k_values=(0, 50), seed=seed)
    first = snapshots.walked(1)
    changed = {tuple(p) for p in np.argwhere(snapshots.values[0][0] != 1.0)}
    assert changed == {(s.state, s.action) for s in first}
    # The value of a state (max over actions) rises above 1 only where the goal was entered.
    entered_goal = {s.state for s in first if s.next_state == QuentinsWorld.goal_state}
    assert set(snapshots.changed_states(0, 1)) == entered_goal


def test_planning_spreads_value_to_more_states_for_most_seeds():
    """Share of seeds where k = 50 ends episode 2 with more changed states than k = 0, with two controls:
    two agents without planning (identical by construction), and planning before the goal was ever
    reached (episodes cut at 5 steps: no value above 1 exists to spread)."""
    more, control_same_k, control_no_goal = [], [], []
    for seed in SEEDS:
        snapshots = pv.planning_snapshots(k_values=(0, 50), seed=seed)
        n0, n50 = len(snapshots.changed_states(0, 2)), len(snapshots.changed_states(50, 2))
        more.append(n50 > n0)
        twin = pv.learn_from_steps(snapshots.episodes, 0, PARAMS, seed=seed + 1)
        control_same_k.append(len(pv.changed_states(twin[1])) > n0)
        cut = pv.planning_snapshots(k_values=(0, 50), seed=seed, max_steps=5)
        assert all(s.next_state is not None for steps in cut.episodes for s in steps)  # the goal is not reached
        control_no_goal.append(len(cut.changed_states(50, 2)) > len(cut.changed_states(0, 2)))
    print(
        f"\nk = 50 has more states with a changed value than k = 0 after episode 2: "
        f"{np.mean(more):.0%} of {len(SEEDS)} seeds; controls: k = 0 vs k = 0 {np.mean(control_same_k):.0%}, "
        f"goal never reached {np.mean(control_no_goal):.0%}"
    )
    assert np.mean(more) >= 0.9
    assert np.mean(control_same_k) == 0
    assert np.mean(control_no_goal) == 0


def test_the_summary_quotes_the_snapshots():
    snapshots = pv.planning_snapshots(seed=pv.SEED)
    text = pv.spread_summary(snapshots)
    for k in (0, 50):
        for episode in (1, 2):
            n = len(snapshots.changed_states(k, episode))
            line = next(
                line
                for line in text.splitlines()
                if line.startswith(pv.agent_name(k)) and f"after episode {episode}:" in line
            )
            assert re.search(rf": {n} states? with a value other than 1", line), line
            for state in snapshots.changed_states(k, episode):
                assert f"{state} ({snapshots.state_values(k, episode)[state]:.2f})" in line


# ------------------------------------------------------------------ the trace


def test_the_trace_replays_every_planning_update(trace):
    assert trace.n_updates == 50 * len(trace.steps)
    assert len(trace.tables) == trace.n_updates + 1
    firsts = {1 + 50 * j for j in range(len(trace.steps))}
    for i, update in enumerate(trace.updates, start=1):
        pair = update.replayed
        assert trace.tables[i][pair.state, pair.action] == update.after
        changed = {tuple(p) for p in np.argwhere(trace.tables[i] != trace.tables[i - 1])}
        allowed = {(pair.state, pair.action)}
        if i in firsts:  # the real step's own Q-learning update came just before
            step = trace.steps[update.real_step - 1]
            allowed.add((step.state, step.action))
        else:
            assert trace.tables[i - 1][pair.state, pair.action] == update.before
        assert changed <= allowed
        assert update.real_step == (i - 1) // 50 + 1


# ------------------------------------------------------------------ the figure


def test_the_figure_has_one_panel_per_agent_and_episode():
    snapshots = pv.planning_snapshots(seed=pv.SEED)
    fig = pv.plot_planning_spread(snapshots)
    panels = [ax for ax in fig.axes if ax.collections and ax.get_label() != "<colorbar>"]
    assert len(panels) == 4
    for ax, (k, episode) in zip(panels, [(0, 1), (0, 2), (50, 1), (50, 2)]):
        n = len(snapshots.changed_states(k, episode))
        assert pv.agent_name(k) in ax.get_title() and f"after episode {episode}" in ax.get_title()
        assert f"{n} state" in ax.get_title()
        quiver = next(c for c in ax.collections if c.__class__.__name__ == "Quiver")
        hidden = np.broadcast_to(quiver.Umask, quiver.U.shape)  # quiver keeps the mask apart from U
        assert int((~hidden).sum()) == n  # arrows only where the value changed
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)


# ------------------------------------------------------------------ the explorer


def descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def caption_text(explorer):
    return html.unescape(re.sub(r"<[^>]+>", "", explorer.caption.value))


def test_moving_the_slider_redraws_one_image_in_place(trace, monkeypatch):
    explorer = pv.PlanningStepExplorer(trace, position=0)
    images = [w for w in descendants(explorer.box) if isinstance(w, ipywidgets.Image)]
    assert images == [explorer.image]
    first, first_caption = bytes(explorer.image.value), caption_text(explorer)
    assert first.startswith(PNG) and "before the first real step of episode 2" in first_caption

    # Only the changing artists are drawn: a full redraw of the figure is not allowed any more.
    monkeypatch.setattr(explorer.canvas, "draw", lambda *a, **k: pytest.fail("a slider move redrew everything"))
    seen = {first}
    for position in (1, 2, 51, trace.n_updates):
        explorer.slider.value = position
        png = bytes(explorer.image.value)
        assert png.startswith(PNG) and png not in seen
        seen.add(png)
        update = trace.updates[position - 1]
        text = caption_text(explorer)
        assert text.startswith(f"update {position} of {trace.n_updates}, after real step {update.real_step} of")
        assert f"replayed {update.replayed.describe()}" in text
        assert f"{update.before:.3f} → {update.after:.3f}" in text
        np.testing.assert_array_equal(
            np.asarray(explorer._mesh.get_array()).ravel(), trace.tables[position].max(axis=1)
        )
    assert [w for w in descendants(explorer.box) if isinstance(w, ipywidgets.Image)] == [explorer.image]
    assert plt.get_fignums() == []


def test_slider_move_timing(trace):
    """Benchmark style: the time per slider move is printed, not asserted (the budget is 150 ms)."""
    explorer = pv.PlanningStepExplorer(trace, position=0)
    explorer.timings.clear()
    for position in range(1, 101):
        explorer.slider.value = position
    ms = 1000 * np.array(explorer.timings)
    print(
        f"\nplanning slider: {len(ms)} moves, median {np.median(ms):.1f} ms, 95th percentile "
        f"{np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms (budget 150 ms per move)"
    )
    assert len(ms) == 100


def test_the_slider_covers_every_update_and_moves_while_dragged(trace):
    explorer = pv.PlanningStepExplorer(trace)
    assert (explorer.slider.min, explorer.slider.max, explorer.slider.step) == (0, trace.n_updates, 1)
    assert explorer.slider.value == 0  # built at the start of the episode
    assert explorer.slider.continuous_update  # each move is a redraw only: cheap


def test_under_grading_nothing_is_built_or_run(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(pv, "planning_trace", lambda *a, **k: pytest.fail("nothing may run under grading"))
    monkeypatch.setattr(pv, "PlanningStepExplorer", lambda *a, **k: pytest.fail("nothing may be built"))
    note = pv.planning_step_explorer()
    assert isinstance(note, GradingNote) and "nbgrader is running this notebook" in repr(note)


def test_saved_notebook_builds_show_a_plain_image(trace, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    explorer = pv.PlanningStepExplorer(trace)
    monkeypatch.setenv("DYNAQ_NO_PROGRESS", "1")
    explorer._ipython_display_()
    assert isinstance(shown[0], IPython.display.Image) and shown[0].data == explorer.last["png"]
    assert explorer.last["position"] == trace.n_updates  # the end of the episode's planning
    assert "Run this notebook" in shown[1].data and f"after all {trace.n_updates} planning" in shown[1].data
    monkeypatch.delenv("DYNAQ_NO_PROGRESS")
    shown.clear()
    explorer._ipython_display_()
    assert shown == [explorer.box]


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: pv.planning_trace(k=0), "k = 0 makes no planning updates"),
        (lambda: pv.planning_trace(k=-1), "k must be a whole number"),
        (lambda: pv.planning_trace(k=2.5), "k must be a whole number"),
        (lambda: pv.planning_trace(episode=0), "episode must be a whole number"),
        (lambda: pv.planning_snapshots(k_values=(0, 0)), "different numbers of planning steps"),
        (lambda: pv.planning_snapshots(k_values=(0, "50")), "each k in k_values"),
        (lambda: pv.planning_snapshots(n_episodes=0), "n_episodes must be"),
        (lambda: pv.planning_snapshots(params={"alpha": 0.5, "gamma": 0.8}), "'epsilon' is missing"),
        (lambda: pv.planning_snapshots(max_steps=0), "max_steps must be"),
        (lambda: pv.planning_snapshots().state_values(0, 3), "episode must be in 1..2"),
        (lambda: pv.plot_planning_spread(pv.planning_snapshots(), seed=3), "either snapshots or options"),
        (lambda: pv.plot_planning_spread(episodes=(1, 5)), "episode must be in 1..2"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_a_slider_position_outside_the_episode_is_refused(trace):
    with pytest.raises(ValueError, match=re.escape(f"position must be a whole number in 0..{trace.n_updates}")):
        pv.PlanningStepExplorer(trace, position=trace.n_updates + 1)
