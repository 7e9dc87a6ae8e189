"""The course's look (dynaq_course.lesson.style): one style per agent, told apart with any colour vision,
and descriptions of the figures for screen readers."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from dynaq_course.lesson import plots, style
from dynaq_course.world import QuentinsWorld

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
SIMULATIONS = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}
MIN_DISTANCE = 12.0  # CIELAB distance (Delta E 1976) two categories keep under every simulation


def _linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def worst_distance(color_a, color_b) -> float:
    """Smallest CIELAB distance between two colours as seen with normal vision or any dichromacy."""
    a, b = _linear(to_rgb(color_a)), _linear(to_rgb(color_b))
    views = [np.eye(3)] + list(SIMULATIONS.values())
    return min(float(np.linalg.norm(_lab(np.clip(m @ a, 0, 1)) - _lab(np.clip(m @ b, 0, 1)))) for m in views)


def test_the_check_catches_the_old_red_green_pairs():
    # negative control: matplotlib's default red and green (the old walls and start) collapse for deuteranopes
    assert worst_distance("#d62728", "#2ca02c") < MIN_DISTANCE
    assert worst_distance("#2ca02c", "#d62728") == worst_distance("#d62728", "#2ca02c")


# Colours drawn together in one figure or slider: they must stay apart for every viewer.
TOGETHER = {
    "Section 4 k sweep": ["q-learning", "dyna-q-1", "dyna-q", "dyna-q-100"],
    "Section 4 slider at k = 50": ["q-learning", "dyna-q-50"],
    "Section 6 Dyna-Q+": ["dyna-q", "dyna-q-plus-0.001", "dyna-q-plus-0.01", "dyna-q-plus-0.1"],
    "Section 6 kappa slider, k = 1": ["dyna-q-1", "dyna-q-plus-0.001"],
    "Section 6 kappa slider, k = 100": ["dyna-q-100", "dyna-q-plus-0.1"],
    "Section 6 planning": ["uniform-dyna-q", "prioritized-sweeping"],
    "Section 6 models": ["cached-model", "counting-sample", "counting-model"],
    "Section 6 blocking": ["q-learning", "dyna-q", "dyna-q-plus-0.001", "dyna-q-action-bonus"],
    "Section 6 bonus placement": ["dyna-q", "dyna-q-plus-0.001", "dyna-q-plus-0.01", "dyna-q-action-bonus"],
}


@pytest.mark.parametrize("figure", TOGETHER)
def test_agents_drawn_together_differ_in_colour_for_every_viewer_and_in_line_and_marker(figure):
    keys = TOGETHER[figure]
    for a, b in itertools.combinations(keys, 2):
        sa, sb = style.style(a), style.style(b)
        assert worst_distance(sa["color"], sb["color"]) >= MIN_DISTANCE, (a, b)
        assert sa["linestyle"] != sb["linestyle"], (a, b)
        assert style.AGENT_MARKERS[a] != style.AGENT_MARKERS[b], (a, b)


def test_map_and_actions_differ_for_every_viewer():
    cells = [style.MAP_COLORS[name] for name in ("free", "wall", "start", "goal")]
    for a, b in itertools.combinations(cells, 2):
        assert worst_distance(a, b) >= MIN_DISTANCE, (a, b)
    for door in ("door_closed", "door_open"):  # the door shows against the cells it lies between
        for cell in ("free", "wall"):
            assert worst_distance(style.MAP_COLORS[door], style.MAP_COLORS[cell]) >= MIN_DISTANCE
    for a, b in itertools.combinations(style.ACTION_STYLES, 2):
        assert worst_distance(a["color"], b["color"]) >= MIN_DISTANCE
        assert a["linestyle"] != b["linestyle"] and a["marker"] != b["marker"]


def test_every_colour_comes_from_the_palette_or_its_shades():
    allowed = set(style.PALETTE) | {style.VERMILLION_DARK, style.VERMILLION_DARKER, style.GREY}
    assert {s["color"] for s in style.AGENT_STYLES.values()} <= allowed
    assert {s["color"] for s in style.ACTION_STYLES} <= allowed
    assert {style.MAP_COLORS[n] for n in ("wall", "start", "goal", "door_closed", "door_open")} <= allowed
    assert set(style.AGENT_STYLES) == set(style.AGENT_MARKERS)


def test_agent_keys():
    assert style.agent_key(0) == "q-learning" and style.agent_key(10) == "dyna-q"
    assert style.agent_key(7) == "dyna-q" and style.agent_key(100) == "dyna-q-100"
    assert style.agent_style(0) == {"color": style.BLACK, "linestyle": "--"}
    assert style.agent_style(10, marker=True)["marker"] == "o"
    assert [style.dyna_plus_key(x) for x in (1e-4, 1e-3, 1e-2, 3e-2, 0.1)] == [
        "dyna-q-plus-0.001",
        "dyna-q-plus-0.001",
        "dyna-q-plus-0.01",
        "dyna-q-plus-0.01",
        "dyna-q-plus-0.1",
    ]
    assert style.dyna_plus_key(0.0, k=0) == "q-learning"
    with pytest.raises(ValueError, match="kappa"):
        style.dyna_plus_key(-1)
    with pytest.raises(KeyError, match="no style"):
        style.style("sarsa")


def test_descriptions_of_figures_and_panels():
    fig, axes = plt.subplots(1, 2)
    assert style.describe(fig) == ""
    style.describe(axes[0], "A.")
    style.describe(axes[1], "B   two.")
    assert style.describe(axes[1]) == "B two."
    assert style.caption(axes[0]) == "Left panel: A. Right panel: B two."
    assert style.caption(fig)._repr_markdown_() == "*Figure: Left panel: A. Right panel: B two.*"
    assert repr(style.caption(fig)) == "Figure: Left panel: A. Right panel: B two."
    style.describe(fig, "Whole.")
    assert style.caption(axes[1]) == "Whole."
    with pytest.raises(TypeError):
        style.describe("not a figure", "x")
    plt.close("all")


def test_world_description_lists_what_the_map_shows():
    ax = plots.plot_world(QuentinsWorld())
    text = style.caption(ax)
    env = QuentinsWorld()
    assert f"Start: state {env.init_state}; goal: state {env.goal_state}." in text
    assert f"{len(env.red_states)} wall cells: " + ", ".join(map(str, sorted(env.red_states))) in text
    assert "between 64 and 74 is closed" in text
    assert "is open" in style.caption(plots.plot_world(QuentinsWorld(shortcut_open=True)))
    plt.close("all")


def test_use_course_style_sets_the_palette_and_fonts(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    with matplotlib.rc_context():
        style.use_course_style()
        assert [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]] == list(style.PALETTE)
        assert matplotlib.rcParams["font.size"] == style.FONT_SIZE


def test_use_course_style_asks_for_retina_pngs_in_ipython(monkeypatch):
    import IPython
    import matplotlib_inline.backend_inline as inline

    asked = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *formats: asked.extend(formats))
    with matplotlib.rc_context():
        style.use_course_style()
    assert asked == ["retina"]
