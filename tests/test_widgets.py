"""The slider explorers, driven without a browser.

Sliders are moved by setting their values, as the browser would: the image must
change in place (one image widget, new PNG bytes), the numbers under it must be
those of the new run, pyplot must not collect figures, and the engine must
already be warm when the first slider moves. Under nbgrader nothing is built or
run; in saved-notebook builds the explorer shows a plain image.
"""

import html
import re
import statistics
import struct

import ipywidgets
import matplotlib.pyplot as plt
import pytest

from dynaq_course import engine
from dynaq_course.lesson import style, widgets
from dynaq_course.lesson.plots import fewest_steps

PNG = b"\x89PNG\r\n\x1a\n"
BACKENDS = [
    pytest.param("numba", marks=pytest.mark.skipif(not engine.numba_available(), reason="numba is not installed")),
    "python",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("NBGRADER_EXECUTION", "DYNAQ_ENGINE", "DYNAQ_NO_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    yield
    plt.close("all")


def descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def small(kind="k_sweep", backend="python", **kwargs):
    """An explorer with few runs, so that the python engine is quick too."""
    size = (
        dict(n_experiments=3, n_episodes=40)
        if kind == "k_sweep"
        else dict(n_experiments=3, n_episodes=60, shortcut_episode=30)
    )
    size.update(kwargs)
    return widgets.Explorer(kind, backend=backend, **size)


def status_text(explorer):
    return html.unescape(re.sub(r"<[^>]+>", " ", explorer.status.value))


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_a_slider_redraws_the_one_image_in_place(backend):
    explorer = small(backend=backend)
    images = [w for w in descendants(explorer.box) if isinstance(w, ipywidgets.Image)]
    assert images == [explorer.image]
    first = bytes(explorer.image.value)
    assert first.startswith(PNG)

    explorer.k_slider.value = 100
    after_k = bytes(explorer.image.value)
    assert after_k.startswith(PNG) and after_k != first
    explorer.epsilon_slider.value = 0.3
    after_epsilon = bytes(explorer.image.value)
    assert after_epsilon != after_k
    assert [w for w in descendants(explorer.box) if isinstance(w, ipywidgets.Image)] == [explorer.image]
    assert len(explorer.timings) == 3  # built, then one run per slider move
    assert plt.get_fignums() == []  # nothing piles up in pyplot


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_numbers_shown_are_those_of_the_controls_and_of_the_run(backend):
    explorer = small(backend=backend)
    explorer.k_slider.value = 30
    explorer.epsilon_slider.value = 0.2
    last = explorer.last
    assert (last["k"], last["epsilon"]) == (30, 0.2)
    assert last["result"].planning_steps == (0, 30) and last["result"].epsilon == 0.2
    assert "k = 30, ε = 0.20" in last["title"]
    text = status_text(explorer)
    assert "k = 30, ε = 0.20" in text
    steps = last["result"].steps
    for label, a, b in explorer._windows():
        assert f"{label}: Dyna-Q {steps[1][:, a:b].mean():.1f} steps per episode" in text
        assert f"Q-learning {steps[0][:, a:b].mean():.1f}" in text


def test_k_zero_shows_q_learning_alone():
    explorer = small()
    explorer.k_slider.value = 0
    assert explorer.last["result"].planning_steps == (0,)
    assert "Dyna-Q" not in explorer.status.value.split("<br>")[0]


def test_sliders_cover_the_ranges_and_act_on_release():
    explorer = small()
    ks = explorer.k_slider.options
    assert ks[0] == 0 and max(ks) >= 100 and list(ks) == sorted(ks)
    assert (explorer.epsilon_slider.min, explorer.epsilon_slider.max) == (0.0, 0.5)
    assert not explorer.k_slider.continuous_update and not explorer.epsilon_slider.continuous_update


def test_the_engine_is_warm_before_the_first_move(monkeypatch):
    explorer = small()
    assert explorer.backend in engine._warm

    def no_warm_up(*args, **kwargs):
        raise AssertionError("a slider move must not warm the engine up")

    monkeypatch.setattr(engine, "warm_up", no_warm_up)
    explorer.k_slider.value = 5
    assert explorer.last["k"] == 5


def test_shortcut_explorer_shows_before_and_after_the_door():
    explorer = small("shortcut")
    labels = [label for label, _, _ in explorer._windows()]
    assert labels == ["episodes 0–29", "episodes 45–59"]
    assert [
        label
        for label, _, _ in widgets.Explorer._windows(
            type("Default", (), {"kind": "shortcut", "shortcut_episode": 200, "n_episodes": 400})()
        )
    ] == ["episodes 150–199", "episodes 250–399"]
    assert explorer.last["result"].shortcut_episode == 30
    explorer.k_slider.value = 50
    assert explorer.last["result"].planning_steps == (0, 50)


def test_default_explorers_have_the_tutorial_sizes():
    sweep = widgets.k_sweep_explorer(backend="python", n_experiments=2, n_episodes=30)
    assert isinstance(sweep, widgets.Explorer) and sweep.k_slider.value == 10
    assert sweep.epsilon_slider.value == 0.05
    assert widgets.shortcut_explorer.__defaults__[:5] == (10, 0.05, 10, 400, 200)
    assert widgets.k_sweep_explorer.__defaults__[:4] == (10, 0.05, 10, 100)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="kind"):
        widgets.Explorer("bandit")
    with pytest.raises(ValueError, match="epsilon"):
        small(epsilon=0.8)
    with pytest.raises(ValueError, match="n_experiments"):
        small(n_experiments=0)


def test_under_grading_nothing_is_built_or_run(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def forbidden(*args, **kwargs):
        raise AssertionError("nothing may run under grading")

    monkeypatch.setattr(engine, "simulate", forbidden)
    monkeypatch.setattr(widgets, "Explorer", forbidden)
    for make in (widgets.k_sweep_explorer, widgets.shortcut_explorer):
        note = make()
        assert isinstance(note, widgets.GradingNote)
        assert "nbgrader is running this notebook" in repr(note)


def test_saved_notebook_builds_show_a_plain_image(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    explorer = small()
    monkeypatch.setenv("DYNAQ_NO_PROGRESS", "1")
    explorer._ipython_display_()
    assert isinstance(shown[0], IPython.display.Image) and shown[0].data == explorer.last["png"]
    assert shown[0].width == explorer.display_width  # the 2x PNG shown at its 1x size
    assert shown[1].data.startswith("*Figure: Steps per episode")
    assert "Run this notebook" in shown[2].data
    monkeypatch.delenv("DYNAQ_NO_PROGRESS")
    shown.clear()
    explorer._ipython_display_()
    assert shown == [explorer.box]


def test_a_slow_run_shows_the_progress_bar(monkeypatch):
    explorer = small()
    monkeypatch.setattr(widgets, "SHOW_PROGRESS_AFTER", -1.0)
    seen = []
    explorer.progress.observe(lambda change: seen.append(change["new"]), names="value")
    explorer.k_slider.value = 3
    assert seen and seen[-1] == 1.0
    assert explorer.progress.layout.visibility == "hidden"  # hidden again when done


def png_size(png):
    return struct.unpack(">II", png[16:24])


def test_the_png_has_twice_the_pixels_it_is_shown_with():
    explorer = small()
    width, height = png_size(explorer.image.value)
    assert explorer.image.layout.width == f"{explorer.display_width}px"
    assert width == style.EXPLORER_SCALE * explorer.display_width
    assert (width, height) == tuple(int(v) for v in explorer.canvas.get_width_height())


@pytest.mark.parametrize("kind", ["k_sweep", "shortcut"])
def test_lines_take_the_agents_styles_of_the_static_figures(kind):
    explorer = small(kind)
    for k in (100, 1, 7):
        explorer.k_slider.value = k
        for i in range(len(explorer.axes)):
            q, dyna = explorer._lines[("q", i)], explorer._lines[("dyna", i)]
            assert q.get_visible() and dyna.get_visible()
            assert q.get_color() == style.agent_style(0)["color"] and q.get_linestyle() == "--"
            assert dyna.get_color() == style.agent_style(k)["color"]
        labels = [t.get_text() for t in explorer._legend.get_texts()]
        assert labels == ["Q-learning (k = 0)", f"Dyna-Q (k = {k})"]
    explorer.k_slider.value = 0
    assert not explorer._lines[("dyna", 0)].get_visible()
    assert explorer._lines[("q", 0)].get_color() == style.BLACK


def test_the_caption_says_what_the_picture_shows_and_follows_the_sliders():
    explorer = small()
    assert explorer.caption in list(descendants(explorer.box))
    explorer.k_slider.value = 30
    steps = explorer.last["result"].steps
    last = slice(30, 40)  # the last ten of the 40 episodes
    text = html.unescape(explorer.caption.value)
    assert f"Dyna-Q (k = 30), {style.look(style.agent_style(30))}" in text
    assert f"{steps[1][:, 20].mean():.1f} steps at episode 20, {steps[1][:, last].mean():.1f} on average" in text
    assert f"{steps[0][:, last].mean():.1f} on average over episodes 30–39" in text
    # No tooltip on the image: ipywidgets 8.1's Image view reads a "description" it does not have
    # and fails in the browser (a JavaScript error instead of the picture); the caption carries it.
    assert not explorer.image.tooltip
    before = explorer.caption.value
    explorer.epsilon_slider.value = 0.3
    assert explorer.caption.value != before


def test_shortcut_explorer_zooms_on_the_door_with_a_fitting_y_range():
    explorer = small("shortcut", n_episodes=80, shortcut_episode=40)
    main, zoom = explorer.axes
    assert zoom.get_xlim() == (0, 79)  # episodes 40 - 50 .. 40 + 100, within the run
    guides = sorted(line.get_ydata()[0] for line in explorer._guides)
    assert guides == [fewest_steps(True), fewest_steps(False)]
    steps = explorer.last["result"].steps
    shown = max(float((m + h)[0:80].max()) for m, h in map(widgets.mean_and_halfwidth, steps))
    assert shown <= zoom.get_ylim()[1] < 2 * max(shown, fewest_steps(False))
    assert "The right panel zooms on episodes 0–79" in explorer.last["description"]


@pytest.mark.skipif(not engine.numba_available(), reason="numba is not installed")
@pytest.mark.parametrize("make", [widgets.k_sweep_explorer, widgets.shortcut_explorer])
def test_redraw_timings_at_the_notebook_sizes(make):
    """Benchmark (printed, not asserted: the budget is 150 ms per move on a quiet machine)."""
    explorer = make(backend="numba")
    for k in (0, 1, 5, 30, 100, 10, 3, 50):
        explorer.k_slider.value = k
    for epsilon in (0.1, 0.2, 0.05):
        explorer.epsilon_slider.value = epsilon
    compute = [1000 * c for c, _ in explorer.timings[1:]]
    draw = [1000 * d for _, d in explorer.timings[1:]]
    total = [c + d for c, d in zip(compute, draw)]
    print(
        f"\n{make.__name__}: {len(total)} moves, compute median {statistics.median(compute):.0f} ms, "
        f"draw median {statistics.median(draw):.0f} ms, compute+draw median {statistics.median(total):.0f} ms, "
        f"max {max(total):.0f} ms; PNG {len(explorer.last['png']) // 1024} KiB at "
        f"{'x'.join(map(str, png_size(explorer.last['png'])))} pixels"
    )
    assert len(total) == 11


def test_the_png_decodes_to_the_canvas_pixels():
    import io

    import numpy as np
    from PIL import Image

    explorer = small("shortcut")
    pixels = np.asarray(explorer.canvas.buffer_rgba())[:, :, :3]
    decoded = np.asarray(Image.open(io.BytesIO(explorer.image.value)).convert("RGB"))
    np.testing.assert_array_equal(decoded, pixels)
    with pytest.raises(ValueError, match="uint8"):
        widgets.encode_png(np.zeros((4, 4, 3), float))
