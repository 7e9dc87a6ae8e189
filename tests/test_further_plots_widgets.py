"""Section 6's figures (further_plots), sliders (further_widgets) and experiment summaries."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dynaq_course.going_further import engine as fe
from dynaq_course.going_further import experiments as fx
from dynaq_course.going_further import plots as fp
from dynaq_course.going_further import widgets as fw
from dynaq_course.lesson.widgets import GradingNote


@pytest.fixture(scope="module")
def results():
    dyna = fx.shortcut_discovery(
        (0.0, 0.01), n_experiments=4, n_episodes=40, door_episode=20, seed=1, backend="python", progress=False
    )
    sweep = fx.updates_to_near_optimal((2, 5), n_experiments=3, n_episodes=15, seed=1, backend="python", progress=False)
    slip = fx.slippery_comparison(
        (0.0, 0.2), k=3, n_experiments=3, n_episodes=15, seed=1, backend="python", progress=False
    )
    return dyna, sweep, slip


def test_plots_draw_one_curve_per_setting(results):
    dyna, sweep, slip = results
    for plot in (fp.plot_shortcut_use, fp.plot_discovery_times, fp.plot_dyna_plus_steps):
        ax = plot(dyna)
        labels = ax.get_legend_handles_labels()[1]
        assert "Dyna-Q (κ = 0)" in labels and "Dyna-Q+ (κ = 0.01)" in labels
        plt.close(ax.figure)
    ax = fp.plot_updates_to_near_optimal(sweep)
    assert len(ax.containers) == 2  # two error-bar series
    plt.close(ax.figure)
    for score in fp.SCORES:
        ax = fp.plot_slippery_scores(slip, score)
        assert len(ax.lines) == 3 and ax.get_ylabel() == fp.SCORES[score]  # one line per agent
        assert ax.get_legend_handles_labels()[1] == [fp.MODEL_LABELS[m] for m in fe.MODELS]
        plt.close(ax.figure)
    ax = fp.plot_value_scatter(slip, slip=0.2)
    assert len(ax.collections) == 3
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
    assert slip.value_error.shape == (2, 3, 3)
    table = slip.table()
    assert all(name in table for name in fe.MODEL_NAMES.values()) and "upd/step" in table and "evals/step" in table
    assert np.all(slip.policy_loss > -1e-9)  # no policy beats the optimal one


def test_experiments_shrink_and_say_so_under_grading(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    result = fx.shortcut_discovery((0.0,), seed=1)
    assert result.backend == "python" and result.steps.shape == (
        1,
        fx.GRADING["n_experiments"],
        fx.GRADING["n_episodes_shortcut"],
    )
    assert "nbgrader is running this notebook" in capsys.readouterr().out
    for make in (fw.kappa_explorer, fw.planning_explorer, fw.slip_explorer):
        assert isinstance(make(), GradingNote)


def test_sliders_rerun_and_redraw():
    explorers = [
        fw.kappa_explorer(kappa=0.01, n_experiments=2, n_episodes=20, door_episode=10, backend="python"),
        fw.planning_explorer(k=2, n_experiments=2, n_episodes=8, backend="python"),
        fw.slip_explorer(slip=0.2, k=2, n_experiments=2, n_episodes=8, backend="python"),
    ]
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
    explorer._ipython_display_()  # outside IPython, display() prints the objects' reprs
    out = capsys.readouterr().out
    assert "Image" in out and "Markdown" in out


def test_first_use_and_adoption_on_a_hand_made_result():
    used = np.zeros((1, 3, 30), bool)
    used[0, 0, 12:] = True  # door at 5: first use 7 episodes later, adopted at once
    used[0, 1, 8] = True  # a lucky try at +3, then a habit from +10 (8 in a row)
    used[0, 1, 15:23] = True
    result = fe.DynaPlusResult(np.zeros((1, 3, 30)), np.zeros((1, 3, 30)), used, None, (0.0,), 10, 5, "x", 0.0)
    assert result.first_use().tolist() == [[7, 3, -1]]
    assert result.adoption().tolist() == [[7, 10, -1]]
    assert result.found_fraction().tolist() == [2 / 3]


def test_agents_take_their_style_py_looks(results):
    from matplotlib.colors import to_rgba

    from dynaq_course.lesson import style

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
        to_rgba(fp.CACHED_COLOR)[:3],
        to_rgba(fp.COUNTING_SAMPLE_COLOR)[:3],
        to_rgba(fp.COUNTING_COLOR)[:3],
    ]
    plt.close(ax.figure)
    assert [fp.model_key(m) for m in fe.MODELS] == ["cached-model", "counting-sample", "counting-model"]
    with pytest.raises(ValueError, match="model"):
        fp.model_key("neural")


def test_legends_sit_under_the_axes_and_descriptions_state_the_numbers(results):
    from dynaq_course.lesson import style

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

    from dynaq_course.lesson import style

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


# ------------------------------------------------------------------ the slippery world's planning budget


@pytest.fixture(scope="module")
def budget():
    return fx.planning_budget_comparison(
        0.2, budgets=(1, 3), n_experiments=3, n_episodes=10, seed=1, backend="python", progress=False
    )


def test_planning_budget_comparison_counts_what_was_spent(budget):
    assert budget.units == ("updates", "evaluations") and budget.models == fe.MODELS
    assert budget.value_error.shape == (2, 2, 3, 3) and budget.policy_loss.shape == (2, 2, 3, 3)
    by_updates, by_evaluations = 0, 1
    for b, k in enumerate(budget.budgets):
        np.testing.assert_allclose(budget.updates_per_step[by_updates, b], k)  # exactly k updates
        # k evaluations on average (the debt at the end is under 4 evaluations over hundreds of steps)
        np.testing.assert_allclose(budget.evaluations_per_step[by_evaluations, b], k, atol=0.02)
        assert (budget.updates_per_step[by_evaluations, b, 2] < k).all()  # expected updates cost more
    table = budget.table()
    assert "planning updates per real step" in table and "max-Q evaluations per real step (compute)" in table
    assert table.count(fe.MODEL_NAMES["counting-sample"]) == 2 * len(budget.budgets)
    with pytest.raises(ValueError, match="unit"):
        budget.score("value_error", "seconds")


def test_planning_budget_plot_says_its_unit_on_the_x_axis(budget):
    from matplotlib.colors import to_rgba

    from dynaq_course.lesson import style

    for unit, words in (
        ("updates", "planning updates per real step"),
        ("evaluations", "max-Q evaluations per real step (compute)"),
    ):
        ax = fp.plot_planning_budget(budget, unit=unit, score="policy_loss")
        assert ax.get_xlabel() == words and ax.get_ylabel() == fp.SCORES["policy_loss"]
        assert [to_rgba(line.get_color()) for line in ax.lines] == [
            to_rgba(style.AGENT_STYLES[fp.model_key(m)]["color"]) for m in fe.MODELS
        ]
        assert [line.get_linestyle() for line in ax.lines] == ["-", "--", ":"]
        text = style.caption(ax)
        u = budget.units.index(unit)
        assert words in text and f"1: {budget.policy_loss[u, 0, 2].mean():.3f}" in text
        plt.close(ax.figure)
    ax = fp.plot_planning_budget(budget)  # the budget in updates, the value error
    assert ax.get_xlabel() == "planning updates per real step" and ax.get_ylabel() == fp.SCORES["value_error"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="unit"):
        fp.plot_planning_budget(budget, unit="seconds")
    with pytest.raises(ValueError, match="score"):
        fp.plot_planning_budget(budget, score="speed")


def test_planning_budget_shrinks_and_says_so_under_grading(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    result = fx.planning_budget_comparison(budgets=(1, 2), seed=1, progress=False)
    assert result.backend == "python"
    assert result.value_error.shape[-1] == fx.GRADING["n_experiments"] and result.n_episodes == fx.GRADING["n_episodes"]
    assert "nbgrader is running this notebook" in capsys.readouterr().out


def test_slip_explorer_reports_the_three_agents():
    explorer = fw.slip_explorer(slip=0.2, k=2, n_experiments=2, n_episodes=6, backend="python")
    assert all(name in explorer.status.value for name in fp.MODEL_LABELS.values())
    assert "max-Q evaluations per real step" in explorer.status.value
    assert all(name in explorer.caption.value for name in fp.MODEL_LABELS.values())


# ------------------------------------------------------------------ the prioritized-sweeping figure: censoring


def test_censored_quantile_counts_never_as_slowest():
    inf = np.inf
    assert fx.censored_quantile([3, 1, 2], 0.5) == 2.0
    assert fx.censored_quantile([1, 2, 3, 4], 0.5) == 2.5  # as np.median
    assert fx.censored_quantile([1, 2, inf, inf, inf], 0.5) == inf  # fewer than half got there
    assert fx.censored_quantile([1, 2, 3, inf, inf], 0.5) == 3.0  # never runs rank last, not dropped
    assert fx.censored_quantile([1, 2, 3, inf], 0.25) == pytest.approx(1.75)
    assert fx.censored_quantile([1, 2, 3, inf], 0.75) == inf  # between 3 and a never run
    assert np.isnan(fx.censored_quantile([], 0.5))
    with pytest.raises(ValueError, match="inf for the runs that never got there"):
        fx.censored_quantile([1.0, np.nan], 0.5)


def _censored_sweep(results):
    """The fixture's comparison with a hand-made outcome: for k = n = 2, 2 of 3 uniform runs never got
    there, 1 of 3 prioritized runs never did."""
    import dataclasses

    _, sweep, _ = results
    u = dataclasses.replace(
        sweep.uniform,
        first_good_updates=np.array([[500, -1, -1], [900, 800, 700]]),
        first_good_episode=np.array([[3, -1, -1], [4, 5, 6]]),
    )
    p = dataclasses.replace(
        sweep.prioritized,
        first_good_updates=np.array([[300, -1, 100], [400, 200, 300]]),
        first_good_episode=np.array([[2, -1, 1], [2, 1, 2]]),
    )
    return fx.SweepComparison(u, p)


def test_sweep_statistics_over_all_runs_and_over_those_that_got_there(results):
    c = _censored_sweep(results)
    assert c.reached()["uniform"].tolist() == pytest.approx([1 / 3, 1.0])
    assert c.medians()["uniform"].tolist() == [500.0, 800.0]  # over the runs that got there
    assert c.medians("all")["uniform"].tolist() == [np.inf, 800.0]  # never counted as slowest
    assert c.medians("all")["prioritized"].tolist() == [300.0, 300.0]  # not 200: the never run ranks last
    assert c.medians()["prioritized"].tolist() == [200.0, 300.0]
    assert c.episodes()["prioritized"].tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="'reached' or 'all'"):
        c.medians("some")
    table = c.table()
    assert "all runs" in table and "reached only" in table and "(<50%)" in table
    row = next(line for line in table.splitlines() if line.strip().startswith("2 "))
    assert row.split()[1:5] == ["33%", "(<50%)", "500", "(<50%)"]
    assert row.split()[5:9] == ["67%", "300", "200", "2"]


def test_prioritized_figure_shows_the_share_that_got_there_and_the_all_runs_median(results):
    from dynaq_course.lesson import style

    c = _censored_sweep(results)
    ax = fp.plot_updates_to_near_optimal(c)
    texts = [t.get_text() for t in ax.texts]
    assert sorted(texts) == ["33% reached", "67% reached"]  # only where not every run did
    assert "planning updates per real step" in ax.get_xlabel()
    assert "median of all runs" in ax.get_ylabel()
    triangles = [line for line in ax.lines if line.get_marker() == "^"]  # a quartile beyond every run
    assert [len(line.get_xdata()) for line in triangles] == [1, 1]  # at 2, for each method
    medians = [c.lines[0].get_ydata() for c in ax.containers]
    assert np.isnan(medians[0][0]) and medians[1][0] == 300  # uniform's median at 2: a triangle only
    caption = style.caption(ax)
    assert "2: not reached by half the runs (33% got there)" in caption
    assert "2: 300 (67% got there; upper quartile beyond the runs that got there)" in caption
    assert "NN% reached: share of runs that got there" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(ax.figure)
