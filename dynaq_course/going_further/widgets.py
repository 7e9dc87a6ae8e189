"""Section 6's sliders: kappa (Dyna-Q+), planning updates (prioritized sweeping), slip probability.

Each constructor returns a ``SliderFigure``: ipywidgets sliders over one
image. Moving a slider (acting on release) re-runs the experiment on the fast
engine (``further_engine``, warmed up when the explorer is built) with a fixed
seed and redraws the picture (matplotlib ``Figure`` on an Agg canvas, PNG
bytes into an ``ipywidgets.Image``: no pyplot figure piles up). Same rules as
``widgets``: while nbgrader runs a notebook the constructors return a one-line
``lesson.sliders.GradingNote``; while saved notebooks are built (``DYNAQ_NO_PROGRESS``)
an explorer displays its first picture as a plain image. As there, the PNG has
twice the pixels it is shown with (sharp on high-dpi screens), the agents look
as ``style.py`` says, and a caption under the picture
describes it in words for screen readers, updated on every draw.

* ``kappa_explorer()``: share of runs taking the shortcut (no demonstration),
  Dyna-Q against Dyna-Q+ with the chosen kappa and k.
* ``planning_explorer()``: value updates until near-optimal, uniform Dyna-Q
  (k) against prioritized sweeping (n = k).
* ``slip_explorer()``: learned against true values in the slippery world,
  for the three agents (last outcome + sample updates, counts + sample
  updates, counts + expected updates), for the chosen slip and k.
"""

from __future__ import annotations

import html
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dynaq_course.going_further import engine as fe
from dynaq_course.going_further import experiments as fx
from dynaq_course.going_further import plots as fp
from dynaq_course.lesson import style
from dynaq_course.lesson.sliders import GradingNote, canvas_png
from dynaq_course.params import grading_now, static_build

KAPPA_OPTIONS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
K_OPTIONS = (1, 2, 5, 10, 20, 50, 100)
SLIP_MAX, SLIP_STEP = 0.5, 0.05


class SliderFigure:
    """Sliders over one picture; ``draw(figure, **values) -> status text`` draws it for the sliders' values."""

    def __init__(self, sliders: dict, draw, width=7.6, height=4.6, dpi=90):
        import ipywidgets as w

        self.sliders = sliders
        self._draw = draw
        self.figure = Figure(figsize=(width, height), dpi=dpi * style.EXPLORER_SCALE, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.display_width = int(width * dpi)  # pixels on screen; the PNG has EXPLORER_SCALE times more
        self.image = w.Image(format="png", layout=w.Layout(width=f"{self.display_width}px"))
        self.caption = w.HTML(layout=w.Layout(width=f"{self.display_width}px"))
        self.status = w.HTML()
        self.box = w.VBox([w.HBox(list(sliders.values())), self.image, self.caption, self.status])
        self.last = {}
        self.timings = []
        self.update()
        for slider in sliders.values():
            slider.observe(self.update, names="value")

    def values(self) -> dict:
        return {name: slider.value for name, slider in self.sliders.items()}

    def update(self, *_):
        start = time.perf_counter()
        values = self.values()
        self.figure.clear()
        status = self._draw(self.figure, **values)
        self.canvas.draw()  # one draw; the PNG is made from its pixels
        self.image.value = canvas_png(self.canvas)
        description = style.caption(self.figure)
        self.caption.value = f"<small><i>Figure:</i> {html.escape(description)}</small>"
        self.status.value = status
        self.last = dict(values, png=self.image.value, status=status, description=description)
        self.timings.append(time.perf_counter() - start)

    def _ipython_display_(self):
        from IPython.display import Image, Markdown, display

        if static_build():
            display(Image(data=self.last["png"], format="png", width=self.display_width))
            display(Markdown(f"*Figure: {html.escape(self.last['description'])}*"))
            shown = ", ".join(f"{k} = {v:g}" for k, v in self.values().items())
            display(Markdown(f"*Run this notebook to move the sliders; this is the picture for {shown}.*"))
        else:
            display(self.box)


def _slider(kind: str, description: str, **kwargs):
    """An ipywidgets slider of class ``kind`` that acts on release, its description shown in full."""
    import ipywidgets as w

    return getattr(w, kind)(
        description=description, continuous_update=False, style={"description_width": "initial"}, **kwargs
    )


def _choice_slider(options, value, description: str, **kwargs):
    """A ``SelectionSlider`` over ``options`` and ``value`` (sorted), starting at ``value``."""
    return _slider("SelectionSlider", description, options=tuple(sorted(set(options) | {value})), value=value, **kwargs)


def kappa_explorer(kappa=1e-3, k=10, n_experiments=20, n_episodes=400, door_episode=200, seed=2024, backend=None):
    """Sliders for kappa and k over the shortcut experiment without demonstration."""
    if grading_now():
        return GradingNote()
    fe.warm_up(backend)
    sliders = {
        "kappa": _choice_slider(KAPPA_OPTIONS, float(kappa), "bonus κ"),
        "k": _choice_slider(K_OPTIONS, int(k), "planning steps k"),
    }

    def draw(figure, kappa, k):
        result = fe.simulate_dyna_plus(
            (0.0, kappa) if kappa else (0.0,),
            n_experiments,
            n_episodes,
            door_episode=door_episode,
            k=k,
            seed=seed,
            backend=backend,
            progress=False,
        )
        fp.plot_shortcut_use(result, ax=figure.add_subplot())
        found = result.found_fraction()
        text = f"Dyna-Q found the shortcut in {found[0]:.0%} of {n_experiments} runs"
        if kappa:
            text += f"; Dyna-Q+ (κ = {kappa:g}) in {found[1]:.0%}"
            text += (
                f". Steps per episode before the door opened: {result.steps[0, :, :door_episode].mean():.1f}"
                f" (Dyna-Q) and {result.steps[1, :, :door_episode].mean():.1f} (Dyna-Q+)"
            )
        return text + "."

    return SliderFigure(sliders, draw)


def planning_explorer(k=5, n_experiments=30, n_episodes=50, seed=2024, backend=None):
    """A slider for the planning budget: uniform Dyna-Q (k) against prioritized sweeping (n = k)."""
    if grading_now():
        return GradingNote()
    import ipywidgets as w

    fe.warm_up(backend)
    sliders = {
        "k": _choice_slider(K_OPTIONS, int(k), "planning updates per step (k = n)", layout=w.Layout(width="60%"))
    }

    def draw(figure, k):
        uniform = fe.simulate_uniform([k], n_experiments, n_episodes, seed=seed, backend=backend, progress=False)
        prio = fe.simulate_prioritized([k], n_experiments, n_episodes, seed=seed, backend=backend, progress=False)
        ax = figure.add_subplot()
        texts = []
        # uniform: filled bars; prioritized: hatched outlines, so the two show apart without colour too
        data = [
            (uniform, "uniform-dyna-q", f"uniform Dyna-Q (k = {k})", dict(alpha=0.55)),
            (
                prio,
                "prioritized-sweeping",
                f"prioritized sweeping (n = {k})",
                dict(histtype="step", hatch="///", linewidth=1.6),
            ),
        ]
        finite = np.concatenate([r.updates_to_good()[0] for r, _, _, _ in data])
        finite = finite[np.isfinite(finite)]
        bins = np.linspace(0, finite.max() * 1.05, 30) if finite.size else 10
        for result, key, label, look in data:
            x = result.updates_to_good()[0]
            x = x[np.isfinite(x)]
            ax.hist(x, bins=bins, color=style.AGENT_STYLES[key]["color"], label=label, **look)
            texts.append(f"{label}: median {np.median(x):.0f} updates" if x.size else f"{label}: never")
            texts[-1] += f" ({result.reached_fraction()[0]:.0%} of runs got there)"
        ax.set(
            xlabel="value updates until the greedy path is near-optimal",
            ylabel="runs",
            title=f"{n_experiments} runs of {n_episodes} episodes each",
        )
        fp._outside_legend(ax)
        style.describe(
            ax,
            f"Histograms of the value updates each of {n_experiments} runs needed until its greedy "
            f"path was near-optimal: uniform Dyna-Q in filled blue bars, prioritized sweeping in "
            f"hatched bluish-green outlines. " + "; ".join(texts) + ".",
        )
        return "; ".join(texts) + "."

    return SliderFigure(sliders, draw)


def slip_explorer(slip=0.2, k=10, n_experiments=10, n_episodes=100, seed=2024, backend=None):
    """Sliders for the slip probability and k (planning updates per real step): the three agents of
    ``further_engine.MODELS``, learned against true Q."""
    if grading_now():
        return GradingNote()
    fe.warm_up(backend)
    sliders = {
        "slip": _slider(
            "FloatSlider",
            "slip probability",
            value=float(slip),
            min=0.0,
            max=SLIP_MAX,
            step=SLIP_STEP,
            readout_format=".2f",
        ),
        "k": _choice_slider(K_OPTIONS, int(k), "planning updates per step k"),
    }

    def draw(figure, slip, k):
        slip = round(float(slip), 4)
        scored = fx.slippery_comparison(
            [slip], k=k, n_experiments=n_experiments, n_episodes=n_episodes, seed=seed, backend=backend, progress=False
        )
        result = scored.result
        fp.plot_value_scatter(scored, slip=slip, ax=figure.add_subplot())
        errors = scored.value_error[0]  # NaN for a run with no pair tried min_tries times
        loss = scored.policy_loss[0].mean(axis=1)
        evals = result.evaluations_per_step()[0].mean(axis=1)

        def error(i):
            runs = errors[i][np.isfinite(errors[i])]
            return f"{runs.mean():.3f}" if runs.size else f"– (no pair tried {scored.min_tries} times yet)"

        return f"Means over {n_experiments} runs, {k} planning updates per real step:<br>" + "<br>".join(
            f"{fp.MODEL_LABELS[m]}: |Q − Q*| {error(i)}, policy loss at the start "
            f"{loss[i]:.3f}, {evals[i]:.1f} max-Q evaluations per real step"
            for i, m in enumerate(result.models)
        )

    return SliderFigure(sliders, draw, width=6.4, height=5.6)
