"""One look for every figure and slider of the course: colours, line styles, markers.

Each agent has one colour and one line style wherever it is drawn, from the
Okabe-Ito palette (safe for the common kinds of colour blindness: no red/green
pair carries meaning on its own; line styles and markers tell the agents apart
in grey scale too). Plot and widget modules read their styles from here only.
"""
from __future__ import annotations

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

# One entry per agent of the course: matplotlib keyword arguments for its lines.
AGENT_STYLES = {
    "q-learning": dict(color=BLACK, linestyle="--"),          # k = 0: no planning
    "dyna-q-1": dict(color=ORANGE, linestyle=":"),
    "dyna-q": dict(color=BLUE, linestyle="-"),                # the course's Dyna-Q, k = 10 (and the slider's k)
    "dyna-q-50": dict(color=SKY_BLUE, linestyle="-"),
    "dyna-q-100": dict(color=REDDISH_PURPLE, linestyle="-."),
}


def agent_key(k: int) -> str:
    """The AGENT_STYLES key of Dyna-Q with ``k`` planning steps (``k = 0``: Q-learning)."""
    if k == 0:
        return "q-learning"
    return {1: "dyna-q-1", 50: "dyna-q-50", 100: "dyna-q-100"}.get(k, "dyna-q")


def agent_style(k: int) -> dict:
    """Line colour and style of Dyna-Q with ``k`` planning steps."""
    return dict(AGENT_STYLES[agent_key(k)])
