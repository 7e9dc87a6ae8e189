"""Section 6's figures (further_plots), sliders (further_widgets) and experiment summaries."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dynaq_course import further_engine as fe  # noqa: E402
from dynaq_course import further_experiments as fx  # noqa: E402
from dynaq_course import further_plots as fp  # noqa: E402
from dynaq_course import further_widgets as fw  # noqa: E402
from dynaq_course.widgets import GradingNote  # noqa: E402


@pytest.fixture(scope="module")
def results():
    dyna = fx.shortcut_discovery((0.0, 0.01), n_experiments=4, n_episodes=40, door_episode=20, seed=1,
                                 backend="python", progress=False)
    sweep = fx.updates_to_near_optimal((2, 5), n_experiments=3, n_episodes=15, seed=1, backend="python",
                                       progress=False)
    slip = fx.slippery_comparison((0.0, 0.2), k=3, n_experiments=3, n_episodes=15, seed=1, backend="python",
                                  progress=False)
    return dyna, sweep, slip


def test_plots_draw_one_curve_per_setting(results):
    dyna, sweep, slip = results
    for plot in (fp.plot_shortcut_use, fp.plot_discovery_times, fp.plot_dyna_plus_steps):
        ax = plot(dyna)
        labels = ax.get_legend_handles_labels()[1]
        assert "Dyna-Q (κ = 0)" in labels and "Dyna-Q+ (κ = 0.01)" in labels
        plt.close(ax.figure)
    ax = fp.plot_updates_to_near_optimal(sweep)
    assert len(ax.containers) == 2                     # two error-bar series
    plt.close(ax.figure)
    for score in fp.SCORES:
        ax = fp.plot_slippery_scores(slip, score)
        assert len(ax.lines) == 2 and ax.get_ylabel() == fp.SCORES[score]
        plt.close(ax.figure)
    ax = fp.plot_value_scatter(slip, slip=0.2)
    assert len(ax.collections) == 2
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="slip"):
        fp.plot_value_scatter(slip, slip=0.3)
    with pytest.raises(ValueError, match="score"):
        fp.plot_slippery_scores(slip, "speed")


def test_tables_and_result_shapes(results):
    dyna, sweep, slip = results
    assert dyna.steps.shape == (2, 4, 40) and dyna.first_use().shape == (2, 4)
    assert "kappa" in fx.discovery_table(dyna)
    assert sweep.uniform.first_good_updates.shape == (2, 3)
    assert "prioritized" in sweep.table()
    assert slip.value_error.shape == (2, 2, 3) and "counting" in slip.table()
    assert np.all(slip.policy_loss > -1e-9)             # no policy beats the optimal one


def test_experiments_shrink_and_say_so_under_grading(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    result = fx.shortcut_discovery((0.0,), seed=1)
    assert result.backend == "python" and result.steps.shape == (1, fx.GRADING["n_experiments"],
                                                                 fx.GRADING["n_episodes_shortcut"])
    assert "nbgrader is running this notebook" in capsys.readouterr().out
    for make in (fw.kappa_explorer, fw.planning_explorer, fw.slip_explorer):
        assert isinstance(make(), GradingNote)


def test_sliders_rerun_and_redraw():
    explorers = [fw.kappa_explorer(kappa=0.01, n_experiments=2, n_episodes=20, door_episode=10, backend="python"),
                 fw.planning_explorer(k=2, n_experiments=2, n_episodes=8, backend="python"),
                 fw.slip_explorer(slip=0.2, k=2, n_experiments=2, n_episodes=8, backend="python")]
    for explorer in explorers:
        first = explorer.image.value
        assert first[:4] == b"\x89PNG" and explorer.status.value
        name, slider = next(iter(explorer.sliders.items()))
        options = getattr(slider, "options", None)
        slider.value = options[0] if options else 0.0
        assert explorer.image.value != first and len(explorer.timings) == 2


def test_warm_up_is_paid_once():
    fe.warm_up("python")
    assert fe.warm_up("python") == 0.0


def test_saved_notebook_builds_show_the_first_picture(monkeypatch, capsys):
    explorer = fw.slip_explorer(slip=0.1, k=2, n_experiments=2, n_episodes=5, backend="python")
    monkeypatch.setenv("DYNAQ_NO_PROGRESS", "1")
    explorer._ipython_display_()               # outside IPython, display() prints the objects' reprs
    out = capsys.readouterr().out
    assert "Image" in out and "Markdown" in out


def test_first_use_and_adoption_on_a_hand_made_result():
    used = np.zeros((1, 3, 30), bool)
    used[0, 0, 12:] = True                        # door at 5: first use 7 episodes later, adopted at once
    used[0, 1, 8] = True                          # a lucky try at +3, then a habit from +10 (8 in a row)
    used[0, 1, 15:23] = True
    result = fe.DynaPlusResult(np.zeros((1, 3, 30)), np.zeros((1, 3, 30)), used, None, (0.0,), 10, 5, "x", 0.0)
    assert result.first_use().tolist() == [[7, 3, -1]]
    assert result.adoption().tolist() == [[7, 10, -1]]
    assert result.found_fraction().tolist() == [2 / 3]


def test_agents_take_their_style_py_looks(results):
    from matplotlib.colors import to_rgba
    from dynaq_course import style
    dyna, sweep, slip = results
    ax = fp.plot_shortcut_use(dyna)
    lines = {line.get_label(): line for line in ax.lines}
    for kappa, key in ((0.0, style.agent_key(dyna.k)), (0.01, "dyna-q-plus-0.01")):
        line = lines[fp._kappa_label(kappa)]
        assert to_rgba(line.get_color()) == to_rgba(style.AGENT_STYLES[key]["color"])
        assert line.get_marker() == style.AGENT_MARKERS[key]
    plt.close(ax.figure)
    ax = fp.plot_updates_to_near_optimal(sweep)
    colours = [to_rgba(c.lines[0].get_color()) for c in ax.containers]
    assert colours == [to_rgba(fp.UNIFORM_COLOR), to_rgba(fp.PRIORITIZED_COLOR)]
    plt.close(ax.figure)
    ax = fp.plot_value_scatter(slip, slip=0.2)
    assert [to_rgba(c.get_facecolor()[0])[:3] for c in ax.collections] == [
        to_rgba(fp.CACHED_COLOR)[:3], to_rgba(fp.COUNTING_COLOR)[:3]]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="model"):
        fp.model_key("neural")


def test_legends_sit_under_the_axes_and_descriptions_state_the_numbers(results):
    from dynaq_course import style
    dyna, sweep, slip = results
    ax = fp.plot_shortcut_use(dyna)
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().y1 <= ax.get_window_extent().y0
    text = style.caption(ax)
    tail = max(dyna.door_episode, dyna.steps.shape[2] - 50)
    assert f"Dyna-Q+ (κ = 0.01), dark vermillion densely dotted line: {dyna.door_used[1][:, tail:].mean():.0%}" in text
    plt.close(ax.figure)
    ax = fp.plot_slippery_scores(slip, "policy_loss")
    assert f"0.2: {slip.policy_loss[1, 0].mean():.3f}" in style.caption(ax)
    plt.close(ax.figure)


def test_slider_pictures_are_sharp_and_described():
    import struct
    from dynaq_course import style
    explorer = fw.planning_explorer(k=2, n_experiments=2, n_episodes=8, backend="python")
    width = struct.unpack(">I", explorer.image.value[16:20])[0]
    assert width == style.EXPLORER_SCALE * explorer.display_width
    assert explorer.caption.value.startswith("<small><i>Figure:</i> Histograms")
    # No tooltip on the image: ipywidgets 8.1's Image view reads a "description" it does not have
    # and fails in the browser (a JavaScript error instead of the picture); the caption carries it.
    assert not explorer.image.tooltip
    before = explorer.caption.value
    explorer.sliders["k"].value = 5
    assert "n = 5" in explorer.caption.value and explorer.caption.value != before
