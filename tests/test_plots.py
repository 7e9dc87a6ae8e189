"""The figures show what they claim: the right cells coloured, arrows pointing the
greedy way, the heat map laid out with state 0 bottom left, one line per curve."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation
from scipy import stats

from dynaq_course import plots
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
        set(range(100)) - set(env.red_states) - {54, 99})
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

@pytest.mark.parametrize("state, action, next_state, reward", [
    (54, 3, 44, "0"), (14, 0, 15, "-1"), (98, 0, 99, "+1"), (64, 1, 74, "-1"),
])
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


def test_rewards_are_a_moving_average_sampled_every_average_range(value):
    rewards = np.arange(50, dtype=float) ** 2
    ax = plots.plot_rewards(rewards, average_range=10)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 10, 20, 30, 40])
    # 'same' mode with a window of 10 averages episodes i-5 .. i+4
    assert line.get_ydata()[2] == pytest.approx(rewards[15:25].mean())
    assert line.get_ydata()[1] == pytest.approx(rewards[5:15].mean())
    assert ax.get_xlabel() == "Episodes" and ax.get_ylabel() == "Total reward"


def test_performance_has_four_panels_and_a_colorbar(env, value):
    fig = plots.plot_performance(env, value, np.ones(30))
    data_axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(data_axes) == 4 and len(fig.axes) == 5
    assert tuple(fig.get_size_inches()) == pytest.approx((12, 9))
    assert all(ax.get_title() for ax in data_axes)


# --- steps per episode ---------------------------------------------------------------

def curve_lines(ax, labels):
    return [line for line in ax.lines if line.get_label() in labels]


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
    assert ax.get_xlim() == (20, 99) and ax.get_ylim() == (0, 160)
    assert ax.get_xlabel() == "Episode" and ax.get_ylabel() == "Steps per episode"


def test_steps_shortcut_line_when_asked():
    ax = plots.plot_steps_per_episode(np.ones((2, 400)), ["Q-learning", "Dyna-Q"],
                                      shortcut_episode=200, title="When the world changes")
    (shortcut,) = [line for line in ax.lines if line.get_label() == "shortcut appears"]
    assert list(shortcut.get_xdata()) == [200, 200] and shortcut.get_linestyle() == "--"
    assert "shortcut appears" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title() == "When the world changes"


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
    assert any("95%" in t.get_text() for t in ax.get_legend().get_texts())


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
    from dynaq_course.plots import plot_model_coverage
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
