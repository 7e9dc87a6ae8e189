"""One look for every figure and slider of the course: colours, line styles, markers.

Each agent has one colour and one line style wherever it is drawn, from the
Okabe-Ito palette (safe for the common kinds of colour blindness: no red/green
pair carries meaning on its own; line styles and markers tell the agents apart
in grey scale too). Plot and widget modules read their styles from here only.

Colours repeat only between agents that no figure draws together (Dyna-Q with
k = 100 in Section 4 and the counting model in Section 6; Dyna-Q with k = 1 and
the counting model with sample updates; Dyna-Q with k = 50 in Section 4 and Dyna-Q
with the bonus in action selection); their line styles and markers still differ. This module imports
neither matplotlib nor IPython at import time (``gym_env`` reads the map colours from here), and
``use_course_style()`` is the one call a notebook's set-up cell makes for sharp
(high-dpi) figures in these colours.
"""

from __future__ import annotations

import math

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#7f7f7f"
# Darker shades of vermillion: Dyna-Q+ is vermillion, darker for a larger bonus kappa.
VERMILLION_DARK = "#9A4100"
VERMILLION_DARKER = "#5C2700"

PALETTE = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION, BLACK, YELLOW)

# Line styles beyond matplotlib's four named ones.
DASH_DOT_DOT = (0, (6, 1.5, 1, 1.5, 1, 1.5))
LONG_DASH = (0, (4, 1.5))
DENSE_DOT = (0, (1, 1))
LONG_DASH_DOT = (0, (5, 1.5, 1, 1.5))
SHORT_DASH_DOT = (0, (3, 1, 1, 1))

# One entry per agent of the course: matplotlib keyword arguments for its lines.
AGENT_STYLES = {
    "q-learning": dict(color=BLACK, linestyle="--"),  # k = 0: no planning
    "dyna-q-1": dict(color=ORANGE, linestyle=":"),
    "dyna-q": dict(color=BLUE, linestyle="-"),  # the course's Dyna-Q, k = 10 (and the slider's k)
    "dyna-q-50": dict(color=SKY_BLUE, linestyle=DASH_DOT_DOT),
    "dyna-q-100": dict(color=REDDISH_PURPLE, linestyle="-."),
    # Section 6. Dyna-Q+ (the three kappas of its figures; any other kappa takes the nearest on a log scale)
    "dyna-q-plus-0.001": dict(color=VERMILLION, linestyle=LONG_DASH),
    "dyna-q-plus-0.01": dict(color=VERMILLION_DARK, linestyle=DENSE_DOT),
    "dyna-q-plus-0.1": dict(color=VERMILLION_DARKER, linestyle=LONG_DASH_DOT),
    # uniform planning is the course's Dyna-Q; the cached (last outcome) model is the one of Section 2
    "uniform-dyna-q": dict(color=BLUE, linestyle="-"),
    "prioritized-sweeping": dict(color=BLUISH_GREEN, linestyle="-."),
    "cached-model": dict(color=BLUE, linestyle="-"),
    "counting-model": dict(color=REDDISH_PURPLE, linestyle=":"),  # counting model, expected updates
    "counting-sample": dict(color=ORANGE, linestyle="--"),  # counting model, sample updates
    # Dyna-Q with the bonus kappa * sqrt(tau) in action selection instead of planning (S&B Exercise 8.4)
    "dyna-q-action-bonus": dict(color=SKY_BLUE, linestyle=SHORT_DASH_DOT),
}

# The marker of each agent, for scatter plots, error bars and sparse marks on lines.
AGENT_MARKERS = {
    "q-learning": "X",
    "dyna-q-1": "v",
    "dyna-q": "o",
    "dyna-q-50": "P",
    "dyna-q-100": "D",
    "dyna-q-plus-0.001": "^",
    "dyna-q-plus-0.01": "s",
    "dyna-q-plus-0.1": "h",
    "uniform-dyna-q": "o",
    "prioritized-sweeping": "s",
    "cached-model": "o",
    "counting-model": "D",
    "counting-sample": "P",
    "dyna-q-action-bonus": "*",
}

# The four actions (R, U, L, D): colour, line style, and a triangle pointing the action's way.
ACTION_STYLES = (
    dict(color=BLUE, linestyle="-", marker=">"),
    dict(color=ORANGE, linestyle="--", marker="^"),
    dict(color=BLUISH_GREEN, linestyle=":", marker="<"),
    dict(color=REDDISH_PURPLE, linestyle="-.", marker="v"),
)

# The map: walls clearly "bad" (vermillion, the palette's red), the goal clearly "good" (yellow,
# like gold), the start sky blue (no green next to the walls); the door black while closed and
# blue, dotted, once open. State numbers are black on every cell colour (contrast >= 5:1).
MAP_COLORS = {
    "free": "#FFFFFF",
    "wall": VERMILLION,
    "start": SKY_BLUE,
    "goal": YELLOW,
    "door_closed": BLACK,
    "door_open": BLUE,
    "arrow": "#1f3b73",  # transitions and the agent: dark navy, readable on every cell colour
    "grid": "#BFBFBF",
}

REFERENCE_COLOR = GREY  # "shortcut appears", "fewest steps" and other guide lines
OWN_MARKER = "o"  # the learner's own runs: open circles, whatever the agent
FONT_SIZE = 11  # base font size of inline figures (rcParams["font.size"])
EXPLORER_SCALE = 2  # explorers' PNGs are drawn at this many pixels per displayed pixel


COLOR_NAMES = {
    BLACK: "black",
    ORANGE: "orange",
    SKY_BLUE: "sky-blue",
    BLUISH_GREEN: "bluish-green",
    YELLOW: "yellow",
    BLUE: "blue",
    VERMILLION: "vermillion",
    REDDISH_PURPLE: "reddish-purple",
    GREY: "grey",
    VERMILLION_DARK: "dark vermillion",
    VERMILLION_DARKER: "darkest vermillion",
}
LINESTYLE_NAMES = {
    "-": "solid",
    "--": "dashed",
    ":": "dotted",
    "-.": "dash-dot",
    DASH_DOT_DOT: "dash-dot-dot",
    LONG_DASH: "long-dashed",
    DENSE_DOT: "densely dotted",
    LONG_DASH_DOT: "long dash-dot",
    SHORT_DASH_DOT: "short dash-dot",
}


def look(line_kwargs: dict) -> str:
    """Words for a line's look, e.g. "black dashed line", for figure descriptions."""
    color = COLOR_NAMES.get(line_kwargs.get("color"), str(line_kwargs.get("color")))
    return f"{color} {LINESTYLE_NAMES.get(line_kwargs.get('linestyle', '-'), 'patterned')} line"


def agent_key(k: int) -> str:
    """The AGENT_STYLES key of Dyna-Q with ``k`` planning steps (``k = 0``: Q-learning)."""
    if k == 0:
        return "q-learning"
    return {1: "dyna-q-1", 50: "dyna-q-50", 100: "dyna-q-100"}.get(k, "dyna-q")


def dyna_plus_key(kappa: float, k: int = 10) -> str:
    """The AGENT_STYLES key of Dyna-Q+ with bonus ``kappa`` (``kappa = 0``: Dyna-Q with ``k``).

    Kappas other than 0.001, 0.01 and 0.1 take the style of the nearest of
    them on a log scale (the sliders' 1e-4 and 3e-4 look like 0.001), so a
    slider shows the look of the figure above it.
    """
    kappa = float(kappa)
    if not kappa >= 0 or math.isinf(kappa):
        raise ValueError(f"kappa must be a finite number >= 0, got {kappa!r}.")
    if kappa == 0:
        return agent_key(k)
    exponent = min((-3, -2, -1), key=lambda e: abs(math.log10(kappa) - e))
    return f"dyna-q-plus-{10.0**exponent:g}"


def style(key: str, marker: bool = False) -> dict:
    """Line keyword arguments of the agent ``key`` (with its marker when ``marker``)."""
    if key not in AGENT_STYLES:
        raise KeyError(f"no style for {key!r}; known agents: {sorted(AGENT_STYLES)}.")
    out = dict(AGENT_STYLES[key])
    if marker:
        out["marker"] = AGENT_MARKERS[key]
    return out


def agent_style(k: int, marker: bool = False) -> dict:
    """Line colour and style of Dyna-Q with ``k`` planning steps."""
    return style(agent_key(k), marker=marker)


# ----------------------------------------------------------------------------- inline figures
def rc_params() -> dict:
    """The course's matplotlib settings: the palette as colour cycle, legible fonts."""
    from cycler import cycler

    return {
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE + 1,
        "axes.labelsize": FONT_SIZE,
        "legend.fontsize": FONT_SIZE - 1,
        "xtick.labelsize": FONT_SIZE - 1,
        "ytick.labelsize": FONT_SIZE - 1,
        "image.cmap": "cividis",
        "figure.dpi": 100,
        "savefig.dpi": 200,
    }


def use_course_style() -> None:
    """Sharp inline figures (retina PNGs: twice the pixels, same size) in the course's colours.

    Call once in a notebook's set-up cell. Outside IPython only the matplotlib
    settings change.
    """
    import matplotlib as mpl

    mpl.rcParams.update(rc_params())
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")


# ----------------------------------------------------------------------------- descriptions
def _figure(fig_or_ax):
    if hasattr(fig_or_ax, "savefig"):
        return fig_or_ax
    figure = getattr(fig_or_ax, "figure", None)
    if figure is None:
        raise TypeError(f"expected a matplotlib Figure or Axes, got {type(fig_or_ax).__name__}.")
    return figure


def describe(fig_or_ax, text: str | None = None) -> str:
    """The text description of a figure or of one panel, for screen readers; with ``text``, set it.

    Inline PNGs carry no alt text, so each plotting function of the course
    stores on its axes a sentence of what the panel shows; the notebook prints
    it as a caption (``caption``, ``show_figure``). A figure's description is
    its own text when one was set on the figure, else its panels' descriptions
    in order ("Left panel: ...", numbered when there are more than two).
    """
    if text is not None:
        target = fig_or_ax if hasattr(fig_or_ax, "savefig") or hasattr(fig_or_ax, "get_xlim") else _figure(fig_or_ax)
        target._course_description = " ".join(str(text).split())
    if hasattr(fig_or_ax, "get_xlim"):  # an Axes: its own text
        return getattr(fig_or_ax, "_course_description", "")
    figure = _figure(fig_or_ax)
    if getattr(figure, "_course_description", ""):
        return figure._course_description
    texts = [ax._course_description for ax in figure.axes if getattr(ax, "_course_description", "")]
    if len(texts) <= 1:
        return "".join(texts)
    names = ("Left panel", "Right panel") if len(texts) == 2 else [f"Panel {i + 1}" for i in range(len(texts))]
    return " ".join(f"{name}: {text}" for name, text in zip(names, texts))


class Caption(str):
    """A figure's description that shows in a notebook as an italic line starting "Figure:"."""

    def __repr__(self) -> str:
        return f"Figure: {self}"

    def _repr_markdown_(self) -> str:
        import html

        return f"*Figure: {html.escape(str(self))}*"


def caption(fig_or_ax) -> Caption:
    """The whole figure's description, displayed as a caption when it is a cell's last value."""
    return Caption(describe(_figure(fig_or_ax)))


def show_figure(fig_or_ax) -> None:
    """Show the figure now, then its description under it (pyplot figures are then closed).

    In a notebook the inline backend would show a figure after the cell's other
    output; showing it here puts the caption under the picture.
    """
    figure = _figure(fig_or_ax)
    from IPython.display import display

    display(figure)
    import matplotlib.pyplot as plt

    if plt.fignum_exists(figure.number if hasattr(figure, "number") else -1):
        plt.close(figure)
    display(caption(figure))
