"""The slider explorers, driven without a browser.

Sliders are moved by setting their values, as the browser would: the image must
change in place (one image widget, new PNG bytes), the numbers under it must be
those of the new run, pyplot must not collect figures, and the engine must
already be warm when the first slider moves. Under nbgrader nothing is built or
run; in saved-notebook builds the explorer shows a plain image.
"""
import html
import re

import ipywidgets
import matplotlib.pyplot as plt
import pytest

from dynaq_course import engine, widgets

PNG = b"\x89PNG\r\n\x1a\n"
BACKENDS = [pytest.param("numba", marks=pytest.mark.skipif(not engine.numba_available(),
                                                            reason="numba is not installed")),
            "python"]


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
    size = dict(n_experiments=3, n_episodes=40) if kind == "k_sweep" else \
        dict(n_experiments=3, n_episodes=60, shortcut_episode=30)
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
    assert len(explorer.timings) == 3        # built, then one run per slider move
    assert plt.get_fignums() == []           # nothing piles up in pyplot


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
    assert [label for label, _, _ in widgets.Explorer._windows(
        type("Default", (), {"kind": "shortcut", "shortcut_episode": 200, "n_episodes": 400})())] == \
        ["episodes 150–199", "episodes 250–399"]
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
    assert "Run this notebook" in shown[1].data
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
    assert explorer.progress.layout.visibility == "hidden"     # hidden again when done
