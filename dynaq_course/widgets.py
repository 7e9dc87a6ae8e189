"""Sliders for k and epsilon that re-run the fast engine and redraw one picture in place.

``k_sweep_explorer()`` and ``shortcut_explorer()`` return an ``Explorer``: two
sliders (planning steps k, exploration rate epsilon), one image and one line of
numbers. Moving a slider re-runs the experiments on the fast engine
(``engine.simulate``: Q-learning and Dyna-Q with the chosen k, both with the
chosen epsilon) and replaces the image's PNG bytes, so the figure changes in
place: no flicker, no new figures. The sliders act when released
(``continuous_update=False``), so a drag costs one run, not fifty.

Drawing is quick because only what changes is redrawn: the axes, ticks and
labels are rendered once (matplotlib's Agg canvas, on a ``Figure`` that pyplot
does not know about, so nothing is shown twice or piles up), and each update
restores that background and draws the curves, bands, legend and title on it.
The engine is warmed up (loaded or compiled) when the explorer is built, never
on the first slider move.

* While nbgrader runs a notebook (``NBGRADER_EXECUTION`` set), the explorers
  build nothing and run nothing: they show one line saying so.
* When saved notebooks are built (``DYNAQ_NO_PROGRESS`` set, as by
  ``python -m dynaq_course.editions``) an explorer shows its first picture as a
  plain image, which any notebook viewer can display, with a note to run the
  notebook to use the sliders.
"""
from __future__ import annotations

import html
import io
import math
import os
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image as PILImage
from scipy import special

from . import engine

K_OPTIONS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200)
EPSILON_MAX = 0.5
EPSILON_STEP = 0.01
SHOW_PROGRESS_AFTER = 0.5    # seconds of computing before the explorer shows its progress bar
Q_COLOR, DYNA_COLOR = "#7f7f7f", "#1f77b4"


def _grading_now() -> bool:
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _static_build() -> bool:
    return bool(os.environ.get("DYNAQ_NO_PROGRESS"))


class GradingNote:
    """What an explorer is while nbgrader runs the notebook: one line of text."""

    text = ("nbgrader is running this notebook, so the sliders are not built here "
            "(nothing in them is graded).")

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return f"*{self.text}*"


def mean_and_halfwidth(runs: np.ndarray):
    """Mean over runs (axis 0) and the half-width of its 95% Student-t interval."""
    runs = np.asarray(runs, dtype=float)
    mean = runs.mean(axis=0)
    if len(runs) < 2:
        return mean, np.zeros_like(mean)
    sem = runs.std(axis=0, ddof=1) / math.sqrt(len(runs))
    return mean, sem * special.stdtrit(len(runs) - 1, 0.975)


class Explorer:
    """Sliders for k and epsilon over a live figure of steps per episode.

    ``kind`` is ``"k_sweep"`` (100 episodes; Q-learning against Dyna-Q with k)
    or ``"shortcut"`` (400 episodes, the door opens at episode 200). Each
    update runs ``n_experiments`` agents of each kind on the fast engine with
    a fixed seed, so moving a slider changes the agents, not the luck.
    """

    def __init__(self, kind: str = "k_sweep", k: int = 10, epsilon: float = 0.05,
                 n_experiments: int = 10, n_episodes: int | None = None,
                 shortcut_episode: int | None = None, seed: int = 2024, backend: str | None = None,
                 k_options=K_OPTIONS, width: float = 7.6, height: float = 4.4, dpi: int = 90):
        import ipywidgets as w

        if kind not in ("k_sweep", "shortcut"):
            raise ValueError(f"kind must be 'k_sweep' or 'shortcut', got {kind!r}.")
        self.kind = kind
        if kind == "shortcut":
            n_episodes = 400 if n_episodes is None else n_episodes
            shortcut_episode = n_episodes // 2 if shortcut_episode is None else shortcut_episode
        else:
            n_episodes = 100 if n_episodes is None else n_episodes
        k_options = tuple(sorted({int(v) for v in k_options} | {int(k)}))
        engine.check_settings(k_options, n_experiments, n_episodes, epsilon=epsilon,
                              shortcut_episode=shortcut_episode)
        if not 0 <= epsilon <= EPSILON_MAX:
            raise ValueError(f"epsilon must lie in [0, {EPSILON_MAX}] (the slider's range), got {epsilon!r}.")
        self.n_experiments, self.n_episodes = int(n_experiments), int(n_episodes)
        self.shortcut_episode, self.seed = shortcut_episode, seed
        self.backend = engine.choose_backend(backend)
        self.warm_up_seconds = engine.warm_up(self.backend, verbose=True)

        style = {"description_width": "initial"}
        self.k_slider = w.SelectionSlider(options=k_options, value=int(k), continuous_update=False,
                                          description="planning steps k", style=style,
                                          layout=w.Layout(width="48%"))
        self.epsilon_slider = w.FloatSlider(value=float(epsilon), min=0.0, max=EPSILON_MAX,
                                            step=EPSILON_STEP, continuous_update=False,
                                            readout_format=".2f", description="exploration ε",
                                            style=style, layout=w.Layout(width="48%"))
        self.image = w.Image(format="png", layout=w.Layout(width=f"{int(width * dpi)}px"))
        self.status = w.HTML()
        self.progress = w.FloatProgress(min=0.0, max=1.0, description="running",
                                        layout=w.Layout(visibility="hidden", width="48%"))
        self.box = w.VBox([w.HBox([self.k_slider, self.epsilon_slider]), self.image,
                           w.HBox([self.progress]), self.status])

        self._build_figure(width, height, dpi)
        self.last = {}
        self.timings = []          # (compute seconds, draw seconds) of every update
        self.update()
        self.k_slider.observe(self.update, names="value")
        self.epsilon_slider.observe(self.update, names="value")

    # -------------------------------------------------------------- figure
    def _build_figure(self, width, height, dpi):
        self.figure = Figure(figsize=(width, height), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        ax = self.ax = self.figure.add_axes([0.085, 0.12, 0.895, 0.78])
        episodes = np.arange(self.n_episodes)
        ax.set_xlabel("Episode")
        ax.set_ylabel("Steps per episode")
        start = 20 if self.n_episodes > 21 else 0
        self._door = None
        if self.kind == "shortcut":
            self._door = ax.axvline(self.shortcut_episode, linestyle="--", color="gray")
        ax.set_xlim(start, max(self.n_episodes - 1, start + 1))
        ax.grid(alpha=0.25)
        self._ylim = None
        self._background = None
        lines = {}
        for name, color, width_ in (("q", Q_COLOR, 1.3), ("dyna", DYNA_COLOR, 1.8)):
            lines[name], = ax.plot(episodes, np.zeros(self.n_episodes), color=color,
                                   linewidth=width_, animated=True)
        self._lines = lines
        self._bands = {}
        self._legend = None
        self._title = self.figure.text(0.5, 0.955, "", ha="center", va="center", fontsize=11,
                                       animated=True)

    def _set_band(self, name, episodes, mean, half, color):
        old = self._bands.pop(name, None)
        if old is not None:
            old.remove()
        self._bands[name] = self.ax.fill_between(episodes, mean - half, mean + half, color=color,
                                                 alpha=0.22, linewidth=0, animated=True)

    def _render(self, curves, title):
        """curves: [(name, label, mean, half, color)]; returns PNG bytes."""
        ax = self.ax
        episodes = np.arange(self.n_episodes)
        start = int(math.ceil(ax.get_xlim()[0]))
        top = max(float(np.max(mean[start:] + half[start:])) for _, _, mean, half, _ in curves)
        ylim = (0, 160 if top <= 150 else 40 * math.ceil(top * 1.08 / 40))
        handles = []
        for name in ("q", "dyna"):
            self._lines[name].set_visible(False)
        for name, label, mean, half, color in curves:
            line = self._lines[name]
            line.set_visible(True)
            line.set_ydata(mean)
            self._set_band(name, episodes, mean, half, color)
            handles.append(line)
            line.set_label(label)
        for name in set(self._bands) - {c[0] for c in curves}:
            self._bands.pop(name).remove()
        labels = [h.get_label() for h in handles]
        if self.n_experiments > 1:
            handles.append(Patch(facecolor="0.6", alpha=0.5))
            labels.append(f"95% CI ({self.n_experiments} runs)")
        if self._door is not None:
            handles.append(self._door)
            labels.append("shortcut appears")
        if self._legend is not None:
            self._legend.remove()
        self._legend = ax.legend(handles, labels, loc="upper right", fontsize=9)
        self._legend.set_animated(True)
        self._title.set_text(title)

        if self._background is None or ylim != self._ylim:
            ax.set_ylim(*ylim)
            self._ylim = ylim
            self.canvas.draw()                      # everything not animated: axes, ticks, labels
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in list(self._bands.values()) + [self._lines[c[0]] for c in curves]:
            artist.draw(renderer)
        self._legend.draw(renderer)
        self._title.draw(renderer)
        rgba = np.asarray(self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        PILImage.fromarray(rgba[:, :, :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    # -------------------------------------------------------------- running
    def _on_progress(self, done, total, started):
        if time.perf_counter() - started > SHOW_PROGRESS_AFTER:
            self.progress.layout.visibility = "visible"
            self.progress.value = done / total

    def compute(self, k: int, epsilon: float):
        """Q-learning and Dyna-Q (k) at this epsilon: an ``engine.EngineResult``."""
        started = time.perf_counter()
        try:
            return engine.simulate((0, k) if k else (0,), self.n_experiments, self.n_episodes,
                                   epsilon=epsilon, shortcut_episode=self.shortcut_episode,
                                   seed=self.seed, backend=self.backend, progress=False,
                                   callback=lambda done, total: self._on_progress(done, total, started))
        finally:
            self.progress.layout.visibility = "hidden"

    def _windows(self):
        if self.kind == "shortcut":
            s, n = self.shortcut_episode, self.n_episodes
            before, after = max(0, s - 50), s + min(50, (n - s) // 2)
            windows = [(f"episodes {after}–{n - 1}", after, n)]
            if s > 0:
                windows.insert(0, (f"episodes {before}–{s - 1}", before, s))
            return windows
        if self.n_episodes <= 21:
            return [(f"episodes 0–{self.n_episodes - 1}", 0, self.n_episodes)]
        return [("episodes 0–19", 0, 20), (f"episodes 20–{self.n_episodes - 1}", 20, self.n_episodes)]

    def update(self, *_):
        """Re-run the experiments for the sliders' values and redraw the image."""
        k, epsilon = int(self.k_slider.value), float(self.epsilon_slider.value)
        t0 = time.perf_counter()
        result = self.compute(k, epsilon)
        t1 = time.perf_counter()
        q_steps = result.steps[0]
        dyna_steps = result.steps[-1]
        curves = []
        q_label = "Q-learning (k = 0)"
        if k:
            curves.append(("q", q_label, *mean_and_halfwidth(q_steps), Q_COLOR))
            curves.append(("dyna", f"Dyna-Q (k = {k})", *mean_and_halfwidth(dyna_steps), DYNA_COLOR))
        else:
            curves.append(("dyna", q_label + " = Dyna-Q with k = 0", *mean_and_halfwidth(q_steps),
                           DYNA_COLOR))
        title = f"k = {k}, ε = {epsilon:.2f}: steps per episode (mean of {self.n_experiments} runs)"
        png = self._render(curves, title)
        self.image.value = png
        t2 = time.perf_counter()

        summary = []
        for label, a, b in self._windows():
            dyna = dyna_steps[:, a:b].mean()
            q = q_steps[:, a:b].mean()
            text = f"{label}: Dyna-Q {dyna:.1f} steps per episode" if k else f"{label}: {q:.1f} steps per episode"
            if k:
                text += f", Q-learning {q:.1f}"
            summary.append(text)
        self.last = {"k": k, "epsilon": epsilon, "title": title, "summary": summary,
                     "result": result, "png": png}
        self.timings.append((t1 - t0, t2 - t1))
        # Lines break between the windows' numbers, never inside one ("Q-|learning").
        windows = " · ".join(f'<span style="white-space: nowrap">{html.escape(text)}</span>' for text in summary)
        self.status.value = (
            f'<div style="line-height: 1.5"><b>k = {k}, ε = {epsilon:.2f}</b> · {windows}'
            f"<br><small>{len(result.planning_steps) * self.n_experiments} agents × "
            f"{self.n_episodes} episodes on the fast engine ({result.backend}): "
            f"computed in {1000 * (t1 - t0):.0f} ms, drawn in {1000 * (t2 - t1):.0f} ms</small></div>")
        return png

    # -------------------------------------------------------------- display
    def _ipython_display_(self):
        from IPython.display import Image, Markdown, display
        if _static_build():
            display(Image(data=self.last["png"], format="png"))
            display(Markdown("*Run this notebook to move the sliders; this is the picture for "
                             f"k = {self.last['k']}, ε = {self.last['epsilon']:.2f}.*"))
        else:
            display(self.box)


def k_sweep_explorer(k: int = 10, epsilon: float = 0.05, n_experiments: int = 10, n_episodes: int = 100,
                     **options):
    """Sliders over the k sweep: Q-learning against Dyna-Q with k planning steps."""
    if _grading_now():
        return GradingNote()
    return Explorer("k_sweep", k=k, epsilon=epsilon, n_experiments=n_experiments,
                    n_episodes=n_episodes, **options)


def shortcut_explorer(k: int = 10, epsilon: float = 0.05, n_experiments: int = 10, n_episodes: int = 400,
                      shortcut_episode: int = 200, **options):
    """Sliders over the shortcut experiment: the door opens at ``shortcut_episode``."""
    if _grading_now():
        return GradingNote()
    return Explorer("shortcut", k=k, epsilon=epsilon, n_experiments=n_experiments,
                    n_episodes=n_episodes, shortcut_episode=shortcut_episode, **options)
