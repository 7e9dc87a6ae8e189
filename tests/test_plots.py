"""The figures show what they claim: the right cells coloured, arrows pointing the
greedy way, the heat map laid out with state 0 bottom left, one line per curve."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation
from scipy import stats

from dynaq_course.lesson import plots, style
from dynaq_course.world import ACTION_MOVES, QuentinsWorld


@pytest.fixture(autouse=True)
def close_figures(monkeypatch):
    """Fail on plt.show() and close every figure a test made."""

    def no_show(*args, **kwargs):
        raise AssertionError("plots must not call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


@pytest.fixture
def env():
    return QuentinsWorld()


@pytest.fixture
def value():
    rng = np.random.default_rng(0)
    return rng.normal(size=(100, 4))


def centre(state):
    return state % 10 + 0.5, state // 10 + 0.5


def cells(ax):
    """{state: facecolor} from the cell rectangles, the state read off the position."""
    found = {}
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and str(patch.get_gid()).startswith("cell-"):
            x, y = patch.get_xy()
            state = int(y) * 10 + int(x)
            assert patch.get_gid() == f"cell-{state}"
            assert patch.get_width() == patch.get_height() == 1
            found[state] = patch.get_facecolor()
    return found


def texts(ax):
    return [t.get_text() for t in ax.texts]


def by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


# --- the map ------------------------------------------------------------------


def test_world_colours_exactly_the_red_states_red(env):
    colours = cells(plots.plot_world(env))
    assert sorted(colours) == list(range(100))
    red = {s for s, c in colours.items() if c == to_rgba(plots.WALL_COLOR)}
    assert red == set(env.red_states)
    assert colours[54] == to_rgba(plots.START_COLOR)
    assert colours[99] == to_rgba(plots.GOAL_COLOR)
    assert {s for s, c in colours.items() if c == to_rgba("white")} == (
        set(range(100)) - set(env.red_states) - {54, 99}
    )
    # the box around the start keeps its gap at the bottom
    assert colours[14] == to_rgba("white")


def test_world_labels_start_and_goal_in_their_cells(env):
    ax = plots.plot_world(env)
    for name, state in (("start", 54), ("goal", 99)):
        (label,) = [t for t in ax.texts if t.get_text() == name]
        x, y = label.get_position()
        assert int(y) * 10 + int(x) == state
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("wall" in t for t in legend) and any("shortcut" in t for t in legend)


def test_world_has_state_0_bottom_left_and_square_cells(env):
    ax = plots.plot_world(env)
    assert ax.get_xlim() == (0, 10) and ax.get_ylim() == (0, 10)
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(10 * y) for y in range(10)]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(x) for x in range(10)]
    assert ax.get_aspect() == 1.0
    (zero,) = [t for t in ax.texts if t.get_text() == "0"]
    (top,) = [t for t in ax.texts if t.get_text() == "99"]
    assert zero.get_position()[0] < 1 and zero.get_position()[1] < 1
    assert top.get_position()[0] > 9 and top.get_position()[1] > 9


def test_state_numbers_only_when_asked(env):
    numbers = {str(s) for s in range(100)}
    assert numbers <= set(texts(plots.plot_world(env)))
    assert not numbers & set(texts(plots.plot_world(env, annotate_states=False)))


def test_shortcut_is_drawn_on_the_edge_64_74_and_changes_when_open(env):
    (closed,) = by_gid(plots.plot_world(env).lines, "shortcut")
    (opened,) = by_gid(plots.plot_world(QuentinsWorld(shortcut_open=True)).lines, "shortcut")
    for door in (closed, opened):  # the horizontal edge between 64 (x 4, y 6) and 74 (y 7)
        assert list(door.get_xdata()) == [4, 5] and list(door.get_ydata()) == [7, 7]
    assert closed.get_linestyle() == "-" and opened.get_linestyle() != "-"
    assert closed.get_color() != opened.get_color()
    assert "open" in opened.get_label() and "closed" in closed.get_label()
    assert not by_gid(plots.plot_world(env, show_shortcut=False).lines, "shortcut")


def test_plot_world_draws_on_a_given_axes(env):
    fig, ax = plt.subplots()
    assert plots.plot_world(env, ax=ax) is ax
    assert plt.get_fignums() == [fig.number]


# --- transitions ----------------------------------------------------------------


@pytest.mark.parametrize(
    "state, action, next_state, reward", [(54, 3, 44, "0"), (14, 0, 15, "-1"), (98, 0, 99, "+1"), (64, 1, 74, "-1")]
)
def test_transition_arrow_goes_from_state_to_next_state(env, state, action, next_state, reward):
    ax = plots.plot_transition(env, state, action)
    (arrow,) = [t for t in ax.texts if isinstance(t, Annotation) and t.get_gid() == "transition"]
    assert arrow.xyann == pytest.approx(centre(state))
    assert arrow.xy == pytest.approx(centre(next_state))
    assert f"r = {reward}" in texts(ax)


def test_transition_through_the_open_shortcut_is_free():
    ax = plots.plot_transition(QuentinsWorld(shortcut_open=True), 64, 1)
    assert "r = 0" in texts(ax)


def test_transition_into_the_border_loops_back(env):
    ax = plots.plot_transition(env, 9, 0)
    (loop,) = by_gid(ax.patches, "transition-stay")
    path = loop.get_path()
    xs, ys = path.vertices[path.codes != Path.CLOSEPOLY].T
    assert 9 < xs.min() and xs.max() > 9.5  # it stays in cell 9, reaching for the right border,
    assert ys.min() < 0.5 < ys.max()  # leaving above the centre and coming back below it
    assert not by_gid(ax.texts, "transition")
    assert "r = 0" in texts(ax) and "stays" in ax.get_title()


def test_transition_from_the_goal_ends_the_episode(env):
    ax = plots.plot_transition(env, 99, 2)
    (ring,) = by_gid(ax.lines, "transition-end")
    assert (ring.get_xdata()[0], ring.get_ydata()[0]) == pytest.approx(centre(99))
    assert "ends" in ax.get_title()


# --- the tutorial's plots -------------------------------------------------------------


def test_state_action_values_has_one_labelled_line_per_action(env, value):
    ax = plots.plot_state_action_values(env, value)
    assert [line.get_label() for line in ax.lines] == ["R", "U", "L", "D"]
    for action, line in enumerate(ax.lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(100))
        np.testing.assert_array_equal(line.get_ydata(), value[:, action])
    assert ax.get_legend() is not None and ax.get_xlabel() and ax.get_ylabel()


def test_quiver_arrows_point_the_greedy_way(env):
    value = np.zeros((100, 4))
    greedy = np.arange(100) % 4
    value[np.arange(100), greedy] = 1.0
    ax = plots.plot_quiver_max_action(env, value)
    (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
    moves = np.array(ACTION_MOVES)[greedy]
    np.testing.assert_array_equal(quiver.U, moves[:, 0])
    np.testing.assert_array_equal(quiver.V, moves[:, 1])
    np.testing.assert_array_equal(quiver.get_offsets(), [centre(s) for s in range(100)])
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(10 * y) for y in range(10)]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(x) for x in range(10)]


def test_heatmap_is_max_value_with_state_0_bottom_left(env, value):
    im = plots.plot_heatmap_max_val(env, value)
    np.testing.assert_array_equal(im.get_array(), value.max(axis=1).reshape(10, 10))
    assert im.origin == "lower" and tuple(im.get_extent()) == (0, 10, 0, 10)
    # a value only in state 0 lights up the bottom-left pixel: row 0 is drawn at the bottom
    only_zero = np.zeros((100, 4))
    only_zero[0, 2] = 5
    image = plots.plot_heatmap_max_val(env, only_zero)
    assert image.get_array()[0, 0] == 5 and image.get_array().sum() == 5
    one_d = plots.plot_heatmap_max_val(env, value.max(axis=1))
    np.testing.assert_array_equal(one_d.get_array(), im.get_array())


def test_rewards_are_a_trailing_moving_average_over_real_episodes_only(value):
    rewards = np.arange(50, dtype=float) ** 2
    ax = plots.plot_rewards(rewards, average_range=10)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), np.arange(9, 50))
    # the point at episode e averages episodes e-9 .. e: no zero padding before episode 0
    assert line.get_ydata()[0] == pytest.approx(rewards[0:10].mean())
    assert line.get_ydata()[-1] == pytest.approx(rewards[40:50].mean())
    assert ax.get_xlabel() == "Episode" and ax.get_ylabel() == "Total reward"
    with pytest.raises(ValueError, match="1-D"):
        plots.plot_rewards(np.ones((3, 3)))


def test_performance_has_four_panels_and_a_colorbar(env, value):
    fig = plots.plot_performance(env, value, np.ones(30))
    data_axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(data_axes) == 4 and len(fig.axes) == 5
    assert tuple(fig.get_size_inches()) == pytest.approx((12, 9))
    assert all(ax.get_title() for ax in data_axes)


# --- steps per episode ---------------------------------------------------------------


def curve_lines(ax, labels):
    return [line for line in ax.lines if line.get_label() in labels]


def legend_texts(ax):
    """Texts of the legend of the figure ``ax`` is in (it sits by the last panel)."""
    (legend,) = [a.get_legend() for a in ax.figure.axes if a.get_legend() is not None]
    return [t.get_text() for t in legend.get_texts()]


def test_steps_one_line_per_curve_with_its_label():
    steps = np.array([np.full(100, 50.0), np.full(100, 20.0), np.full(100, 10.0)])
    ax = plots.plot_steps_per_episode(steps, [0, 10, 100], legend_title="Planning steps")
    lines = curve_lines(ax, ["0", "10", "100"])
    assert [line.get_label() for line in lines] == ["0", "10", "100"]
    for line, row in zip(lines, steps):
        np.testing.assert_array_equal(line.get_ydata(), row)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Planning steps"
    assert [t.get_text() for t in legend.get_texts()] == ["0", "10", "100"]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert not [line for line in ax.lines if line.get_label() == "shortcut appears"]
    assert ax.get_xlim() == (20, 99)
    bottom, top = ax.get_ylim()  # chosen from the data: from 0 to a round number just above 50
    assert bottom == 0 and 50 < top <= 60
    assert ax.get_xlabel() == "Episode" and ax.get_ylabel() == "Steps per episode"
    assert plots.plot_steps_per_episode(steps, [0, 10, 100], ylim=(0, 160)).get_ylim() == (0, 160)


def test_steps_shortcut_line_when_asked():
    ax = plots.plot_steps_per_episode(
        np.ones((2, 400)), ["Q-learning", "Dyna-Q"], shortcut_episode=200, title="When the world changes"
    )
    (shortcut,) = [line for line in ax.lines if line.get_label() == "shortcut appears"]
    assert list(shortcut.get_xdata()) == [200, 200] and shortcut.get_linestyle() == "--"
    assert "shortcut appears" in legend_texts(ax)
    assert ax.get_title() == "When the world changes"


def test_steps_shortcut_gets_a_zoom_panel_fitted_to_the_drop():
    steps = np.concatenate([np.full((2, 3, 200), 150.0), np.full((2, 3, 200), 10.0)], axis=2)
    steps[1, :, 150:200] = 20.0  # Dyna-Q: 20 steps before the door, 10 after
    ax = plots.plot_steps_per_episode(steps, ["Q-learning (k = 0)", "Dyna-Q (k = 10)"], shortcut_episode=200)
    main, zoom = ax.figure.axes
    assert main is ax and main.get_xlim() == (20, 399) and main.get_ylim()[1] >= 150
    assert zoom.get_xlim() == (150, 299)
    assert zoom.get_ylim()[1] >= 150  # Q-learning's 150 in the window still shows
    only_dyna = plots.plot_steps_per_episode(steps[1:], ["Dyna-Q (k = 10)"], shortcut_episode=200)
    assert only_dyna.figure.axes[1].get_ylim() == (0, 25)  # 20 -> 10 fills most of the zoom's height
    guides = sorted(
        line.get_ydata()[0] for line in only_dyna.figure.axes[1].lines if line.get_label().startswith("fewest steps")
    )
    assert guides == [plots.fewest_steps(True), plots.fewest_steps(False)]
    assert len(plots.plot_steps_per_episode(steps, ["a", "b"], shortcut_episode=200, zoom=False).figure.axes) == 1
    with pytest.raises(ValueError, match="zoom"):
        plots.plot_steps_per_episode(steps, ["a", "b"], shortcut_episode=200, ax=plt.subplots()[1], zoom=True)


def test_fewest_steps_are_what_the_engine_reaches():
    from dynaq_course import engine

    closed, opened = plots.fewest_steps(False), plots.fewest_steps(True)
    assert opened < closed
    result = engine.simulate((10,), 3, 300, shortcut_episode=150, seed=5, backend="python", progress=False)
    # episodes may be shorter through walls (entering costs -1) but the learned route is the wall-free one
    before, after = result.steps[0][:, 50:150], result.steps[0][:, 200:]
    assert np.bincount(before.astype(int).ravel()).argmax() == closed
    assert np.bincount(after.astype(int).ravel()).argmax() == opened


@pytest.mark.parametrize(
    "labels, planning_steps, keys",
    [
        (["k = 0", "k = 1", "k = 10", "k = 100"], None, ["q-learning", "dyna-q-1", "dyna-q", "dyna-q-100"]),
        (["Q-learning (k = 0)", "Dyna-Q (k = 10)"], None, ["q-learning", "dyna-q"]),
        (["no planning", "planning"], [0, 50], ["q-learning", "dyna-q-50"]),
    ],
)
def test_steps_curves_take_their_agents_style(labels, planning_steps, keys):
    ax = plots.plot_steps_per_episode(np.ones((len(labels), 30)), labels, planning_steps=planning_steps)
    for line, key in zip(curve_lines(ax, labels), keys):
        expected = style.style(key)
        assert to_rgba(line.get_color()) == to_rgba(expected["color"])
        assert line.get_linestyle() == Line2D([], [], linestyle=expected["linestyle"]).get_linestyle()


def test_own_runs_are_a_marked_series_with_their_range():
    engine_steps = np.full((2, 10, 100), 30.0)
    own = np.array([[[40.0] * 12, [20.0] * 12, [30.0] * 12]])  # 3 runs of 12 episodes
    ax = plots.plot_steps_per_episode(engine_steps, ["k = 0", "k = 10"], own_steps=own, own_k=[10], episodes=(0, 21))
    (bars,) = ax.containers
    label = "your agent (k = 10, 3 runs)"
    assert bars.get_label() == label and label in legend_texts(ax)
    marks, _, (segments,) = bars.lines
    assert marks.get_markerfacecolor() == "white" and marks.get_marker() == style.OWN_MARKER
    assert to_rgba(marks.get_markeredgecolor()) == to_rgba(style.agent_style(10)["color"])
    np.testing.assert_array_equal(marks.get_xdata(), np.arange(12))
    np.testing.assert_array_equal(marks.get_ydata(), np.full(12, 30.0))
    ends = np.array([seg[:, 1] for seg in segments.get_segments()])
    np.testing.assert_array_equal(ends.min(axis=1), 20.0)  # bars run from the lowest run ...
    np.testing.assert_array_equal(ends.max(axis=1), 40.0)  # ... to the highest
    assert ax.get_xlim() == (0, 20)
    assert 40 < ax.get_ylim()[1] <= 50  # fits the window's data
    assert "Your agent (k = 10, 3 runs" in style.describe(ax)
    # a single curve of runs, k from planning_steps
    one = plots.plot_steps_per_episode(
        engine_steps[1:], ["Dyna-Q"], planning_steps=[10], own_steps=own[0], xlim_start=0
    )
    assert one.containers[0].get_label() == label


def test_own_runs_refuse_bad_input():
    steps = np.ones((2, 5, 30))
    with pytest.raises(ValueError, match="own_k"):
        plots.plot_steps_per_episode(steps, ["a", "b"], own_steps=np.ones((3, 10)))
    with pytest.raises(ValueError, match="own_steps"):
        plots.plot_steps_per_episode(steps, ["k = 0", "k = 1"], own_steps=np.ones(10), own_k=1)
    with pytest.raises(ValueError, match="own_k"):
        plots.plot_steps_per_episode(steps, ["k = 0", "k = 1"], own_steps=np.ones((2, 3, 10)), own_k=[1])
    with pytest.raises(ValueError, match="episodes"):
        plots.plot_steps_per_episode(steps, ["k = 0", "k = 1"], episodes=(10, 5))


def test_steps_legend_sits_outside_the_data():
    ax = plots.plot_steps_per_episode(np.ones((2, 3, 40)), ["k = 0", "k = 10"])
    ax.figure.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1  # to the right of the axes


def test_steps_description_states_the_numbers_drawn():
    steps = np.array([np.linspace(100, 30, 60), np.linspace(40, 20, 60)])
    ax = plots.plot_steps_per_episode(steps, ["k = 0", "k = 10"], xlim_start=0)
    text = style.caption(ax)
    assert text.startswith("Steps per episode, episodes 0–59")
    assert f"k = 0, black dashed line: 100.0 steps at episode 0, {steps[0, 50:].mean():.1f}" in text
    assert f"k = 10, blue solid line: 40.0 steps at episode 0, {steps[1, 50:].mean():.1f}" in text


def test_steps_over_experiments_give_mean_and_95_percent_band():
    rng = np.random.default_rng(1)
    steps = rng.normal(30, 5, size=(2, 8, 60))
    ax = plots.plot_steps_per_episode(steps, ["a", "b"], xlim_start=0)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    half = stats.t.ppf(0.975, 7) * steps.std(axis=1, ddof=1) / np.sqrt(8)
    for line, band, curve, width in zip(curve_lines(ax, ["a", "b"]), bands, steps, half):
        mean = curve.mean(axis=0)
        np.testing.assert_allclose(line.get_ydata(), mean)
        ys = band.get_paths()[0].vertices[:, 1]
        assert ys.max() == pytest.approx((mean + width).max())
        assert ys.min() == pytest.approx((mean - width).min())
    assert any("95%" in t for t in legend_texts(ax))


def test_steps_short_runs_still_show_every_episode():
    # what grading runs: one experiment, ten episodes, shortcut at 5
    ax = plots.plot_steps_per_episode(np.ones((2, 1, 10)), ["Q", "Dyna"], shortcut_episode=5)
    assert ax.get_xlim() == (0, 9)
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_steps_reject_bad_shapes_and_label_counts():
    with pytest.raises(ValueError, match="labels"):
        plots.plot_steps_per_episode(np.ones((2, 10)), ["only one"])
    with pytest.raises(ValueError, match="shape"):
        plots.plot_steps_per_episode(np.ones(10), ["a"])


def test_model_coverage_marks_exactly_the_known_states():
    from dynaq_course.lesson.plots import plot_model_coverage

    model = np.full((100, 4, 2), np.nan)
    model[54, 1] = 0, 64
    model[54, 3] = 0, 44
    model[99, 0] = 0, np.nan
    ax = plot_model_coverage(QuentinsWorld(), model)
    dots = [c for c in ax.collections if c.get_gid() == "model-coverage"][0]
    centers = sorted(map(tuple, dots.get_offsets().tolist()))
    assert centers == [(4.5, 5.5), (9.5, 9.5)]
    sizes = dict(zip(map(tuple, dots.get_offsets().tolist()), dots.get_sizes()))
    assert sizes[(4.5, 5.5)] == 2 * sizes[(9.5, 9.5)]
    assert "3 of 400" in ax.get_title()


def test_episode_window_is_cut_to_a_run_shortened_by_nbgrader(monkeypatch):
    """Under nbgrader the lesson's experiments run 10 episodes: a window of 0-20 shows what there is."""
    steps = np.full((2, 1, 10), 20.0)
    with pytest.raises(ValueError, match="episodes must be"):
        plots.plot_steps_per_episode(steps, ["k = 0", "k = 10"], episodes=(0, 21))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    ax = plots.plot_steps_per_episode(steps, ["k = 0", "k = 10"], episodes=(0, 21))
    assert ax.get_xlim()[1] <= 10
