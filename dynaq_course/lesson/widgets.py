"""Sliders for k and epsilon that re-run the fast engine and redraw one picture in place.

``k_sweep_explorer()`` and ``shortcut_explorer()`` return an ``Explorer``: two
sliders (planning steps k, exploration rate epsilon), one image and one line of
numbers. Moving a slider re-runs the experiments on the fast engine
(``engine.simulate``: Q-learning and Dyna-Q with the chosen k, both with the
chosen epsilon) and replaces the image's PNG bytes, so the figure changes in
place: no flicker, no new figures. The sliders act when released
(``continuous_update=False``), so a drag costs one run, not fifty.

Every agent looks as in the course's static figures (``style.agent_style``:
Q-learning black dashed, Dyna-Q with k in its own colour). The PNG has twice
the pixels it is displayed with (``style.EXPLORER_SCALE``), so it is sharp on
high-dpi screens; a caption under it (``Explorer.caption``)
says in words what the picture shows and changes with it, for screen
readers. The shortcut explorer has a second panel zoomed on the episodes
around the door, with a y range fitted to them.

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
import math
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dynaq_course import engine
from dynaq_course.lesson import style
from dynaq_course.lesson.plots import _describe_steps, _nice_top, _range_text, fewest_steps, mean_and_halfwidth
from dynaq_course.lesson.sliders import GradingNote, encode_png
from dynaq_course.params import grading_now, static_build

K_OPTIONS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200)
EPSILON_MAX = 0.5
EPSILON_STEP = 0.01
SHOW_PROGRESS_AFTER = 0.5  # seconds of computing before the explorer shows its progress bar


class Explorer:
    """Sliders for k and epsilon over a live figure of steps per episode.

    ``kind`` is ``"k_sweep"`` (100 episodes; Q-learning against Dyna-Q with k)
    or ``"shortcut"`` (400 episodes, the door opens at episode 200). Each
    update runs ``n_experiments`` agents of each kind on the fast engine with
    a fixed seed, so moving a slider changes the agents, not the luck.
    """

    def __init__(
        self,
        kind: str = "k_sweep",
        k: int = 10,
        epsilon: float = 0.05,
        n_experiments: int = 10,
        n_episodes: int | None = None,
        shortcut_episode: int | None = None,
        seed: int = 2024,
        backend: str | None = None,
        k_options=K_OPTIONS,
        width: float = 7.6,
        height: float = 4.4,
        dpi: int = 90,
    ):
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
        engine.check_settings(k_options, n_experiments, n_episodes, epsilon=epsilon, shortcut_episode=shortcut_episode)
        if not 0 <= epsilon <= EPSILON_MAX:
            raise ValueError(f"epsilon must lie in [0, {EPSILON_MAX}] (the slider's range), got {epsilon!r}.")
        self.n_experiments, self.n_episodes = int(n_experiments), int(n_episodes)
        self.shortcut_episode, self.seed = shortcut_episode, seed
        self.backend = engine.choose_backend(backend)
        self.warm_up_seconds = engine.warm_up(self.backend, verbose=True)

        style = {"description_width": "initial"}
        self.k_slider = w.SelectionSlider(
            options=k_options,
            value=int(k),
            continuous_update=False,
            description="planning steps k",
            style=style,
            layout=w.Layout(width="48%"),
        )
        self.epsilon_slider = w.FloatSlider(
            value=float(epsilon),
            min=0.0,
            max=EPSILON_MAX,
            step=EPSILON_STEP,
            continuous_update=False,
            readout_format=".2f",
            description="exploration ε",
            style=style,
            layout=w.Layout(width="48%"),
        )
        self.display_width = int(width * dpi)  # pixels on screen; the PNG has EXPLORER_SCALE times more
        self.image = w.Image(format="png", layout=w.Layout(width=f"{self.display_width}px"))
        self.caption = w.HTML(layout=w.Layout(width=f"{self.display_width}px"))
        self.status = w.HTML()
        self.progress = w.FloatProgress(
            min=0.0, max=1.0, description="running", layout=w.Layout(visibility="hidden", width="48%")
        )
        self.box = w.VBox(
            [
                w.HBox([self.k_slider, self.epsilon_slider]),
                self.image,
                self.caption,
                w.HBox([self.progress]),
                self.status,
            ]
        )

        self._build_figure(width, height, dpi)
        self.last = {}
        self.timings = []  # (compute seconds, draw seconds) of every update
        self.update()
        self.k_slider.observe(self.update, names="value")
        self.epsilon_slider.observe(self.update, names="value")

    # -------------------------------------------------------------- figure
    def _build_figure(self, width, height, dpi):
        self.figure = Figure(figsize=(width, height), dpi=dpi * style.EXPLORER_SCALE)
        self.canvas = FigureCanvasAgg(self.figure)
        top, bottom = 0.80, 0.12  # the title and the legend sit above the axes, over no data
        if self.kind == "shortcut":
            s, n = self.shortcut_episode, self.n_episodes
            self._zoom_window = (max(0, s - 50), min(n, s + 100))
            axes = [
                self.figure.add_axes([0.075, bottom, 0.52, top - bottom]),
                self.figure.add_axes([0.665, bottom, 0.32, top - bottom]),
            ]
        else:
            self._zoom_window = None
            axes = [self.figure.add_axes([0.085, bottom, 0.895, top - bottom])]
        self.ax = axes[0]
        self.axes = axes
        episodes = np.arange(self.n_episodes)
        start = 20 if self.n_episodes > 21 else 0
        self._window = (start, self.n_episodes)
        self._guides = []
        for ax, window in zip(axes, (self._window, self._zoom_window)):
            ax.set_xlabel("Episode")
            ax.set_xlim(window[0], max(window[1] - 1, window[0] + 1))
            ax.grid(alpha=0.25)
        axes[0].set_ylabel("Steps per episode")
        self._door = None
        if self.kind == "shortcut":
            self._door = [
                ax.axvline(self.shortcut_episode, linestyle="--", color=style.REFERENCE_COLOR) for ax in axes
            ][0]
            zoom = axes[1]
            zoom.set_title(f"zoom: {_range_text(*self._zoom_window)}", fontsize=9)
            for open_, pattern in ((False, ":"), (True, (0, (1, 3)))):
                few = fewest_steps(open_)
                self._guides.append(
                    zoom.axhline(
                        few,
                        color=style.REFERENCE_COLOR,
                        linewidth=1,
                        linestyle=pattern,
                        label=f"fewest steps without a wall penalty, door {'open' if open_ else 'closed'} ({few})",
                    )
                )
        self._ylims = None
        self._background = None
        # each panel's lines hold only the episodes it shows (the zoom panel draws fewer points)
        self._spans = [self._window] + ([self._zoom_window] if self._zoom_window is not None else [])
        self._lines = {
            (name, i): ax.plot(
                episodes[slice(*self._spans[i])],
                np.zeros(self._spans[i][1] - self._spans[i][0]),
                linewidth=width_,
                animated=True,
            )[0]
            for i, ax in enumerate(axes)
            for name, width_ in (("q", 1.5), ("dyna", 1.8))
        }
        self._bands = {}
        self._legend = None
        self._title = self.figure.text(0.5, 0.965, "", ha="center", va="center", fontsize=11, animated=True)
        # The legend's fixed entries are drawn once with the axes; only the agents' entries are redrawn.
        handles, labels = [], []
        if self.n_experiments > 1:
            handles.append(Patch(facecolor="0.6", alpha=0.5))
            labels.append(f"95% CI ({self.n_experiments} runs)")
        if self._door is not None:
            handles.append(self._door)
            labels.append("shortcut appears")
        handles += self._guides
        labels += [guide.get_label() for guide in self._guides]
        self._fixed_legend = None
        if handles:
            self._fixed_legend = self.figure.legend(
                handles,
                labels,
                loc="center right",
                bbox_to_anchor=(0.985, 0.885),
                ncol=2 if len(handles) > 2 else 1,
                fontsize=8.5,
                frameon=False,
                columnspacing=1.2,
                handlelength=2.6,
            )

    def _set_band(self, name, i, episodes, mean, half, color):
        old = self._bands.pop((name, i), None)
        if old is not None:
            old.remove()
        span = slice(*self._spans[i])
        self._bands[(name, i)] = self.axes[i].fill_between(
            episodes[span],
            (mean - half)[span],
            (mean + half)[span],
            color=color,
            alpha=0.22,
            linewidth=0,
            animated=True,
        )

    def _ylims_for(self, curves):
        """Main panel: (0, 160) unless the curves need more; zoom panel: (0, 50) unless they need
        more. Most moves keep the axes (the background is redrawn only when a limit changes)."""

        def top_in(window):
            a, b = window
            return max(float(np.max(mean[a:b] + half[a:b])) for _, _, mean, half, _ in curves)

        main_top = top_in(self._window)
        ylims = [(0, 160 if main_top <= 150 else 40 * math.ceil(main_top * 1.08 / 40))]
        if self._zoom_window is not None:
            zoom_top = top_in(self._zoom_window)
            ylims.append((0, 50.0 if zoom_top <= 47 else _nice_top(zoom_top)))
        return ylims

    def _render(self, curves, title):
        """curves: [(name, label, mean, half, line kwargs)]; returns PNG bytes."""
        episodes = np.arange(self.n_episodes)
        ylims = self._ylims_for(curves)
        for line in self._lines.values():
            line.set_visible(False)
        handles = []
        for name, label, mean, half, kwargs in curves:
            for i in range(len(self.axes)):
                line = self._lines[(name, i)]
                line.set_visible(True)
                line.set_ydata(mean[slice(*self._spans[i])])
                line.set_color(kwargs["color"])
                line.set_linestyle(kwargs["linestyle"])
                line.set_label(label)
                self._set_band(name, i, episodes, mean, half, kwargs["color"])
            handles.append(self._lines[(name, 0)])
        shown = {c[0] for c in curves}
        for key in [key for key in self._bands if key[0] not in shown]:
            self._bands.pop(key).remove()
        labels = [h.get_label() for h in handles]
        legend_key = (tuple(labels), tuple((c[4]["color"], str(c[4]["linestyle"])) for c in curves))
        if self._legend is None or legend_key != self._legend_key:  # rebuilt only when it changes
            if self._legend is not None:
                self._legend.remove()
            self._legend = self.figure.legend(
                handles,
                labels,
                loc="center left",
                bbox_to_anchor=(0.06, 0.885),
                ncol=1,
                fontsize=8.5,
                frameon=False,
                handlelength=2.6,
            )
            self._legend.set_animated(True)
            self._legend_key = legend_key
        self._title.set_text(title)

        if self._background is None or ylims != self._ylims:
            for ax, ylim in zip(self.axes, ylims):
                ax.set_ylim(*ylim)
            self._ylims = ylims
            self.canvas.draw()  # everything not animated: axes, ticks, labels
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in list(self._bands.values()) + [line for line in self._lines.values() if line.get_visible()]:
            artist.draw(renderer)
        self._legend.draw(renderer)
        self._title.draw(renderer)
        return encode_png(self.canvas.buffer_rgba())

    def describe(self, curves) -> str:
        """The picture in words (for the caption under the image)."""
        text = _describe_steps(
            [(label, kwargs, mean, half) for _, label, mean, half, kwargs in curves],
            [],
            self._window,
            self.shortcut_episode,
            self.n_experiments,
        )
        if self._zoom_window is not None:
            text += (
                f" The right panel zooms on {_range_text(*self._zoom_window)} with the y axis from 0 to "
                f"{self._ylims[1][1]:g}; dotted grey lines mark the fewest steps of a route that enters no "
                f"wall: {fewest_steps(False)} with the door closed and {fewest_steps(True)} with it open."
            )
        return text

    # -------------------------------------------------------------- running
    def _on_progress(self, done, total, started):
        if time.perf_counter() - started > SHOW_PROGRESS_AFTER:
            self.progress.layout.visibility = "visible"
            self.progress.value = done / total

    def compute(self, k: int, epsilon: float):
        """Q-learning and Dyna-Q (k) at this epsilon: an ``engine.EngineResult``."""
        started = time.perf_counter()
        try:
            return engine.simulate(
                (0, k) if k else (0,),
                self.n_experiments,
                self.n_episodes,
                epsilon=epsilon,
                shortcut_episode=self.shortcut_episode,
                seed=self.seed,
                backend=self.backend,
                progress=False,
                callback=lambda done, total: self._on_progress(done, total, started),
            )
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
        curves = [
            (
                "q",
                "Q-learning (k = 0)" + ("" if k else " = Dyna-Q with k = 0"),
                *mean_and_halfwidth(q_steps),
                style.agent_style(0),
            )
        ]
        if k:
            curves.append(("dyna", f"Dyna-Q (k = {k})", *mean_and_halfwidth(dyna_steps), style.agent_style(k)))
        title = f"k = {k}, ε = {epsilon:.2f}: steps per episode (mean of {self.n_experiments} runs)"
        png = self._render(curves, title)
        self.image.value = png
        description = self.describe(curves)
        self.caption.value = f"<small><i>Figure:</i> {html.escape(description)}</small>"
        t2 = time.perf_counter()

        summary = []
        for label, a, b in self._windows():
            dyna = dyna_steps[:, a:b].mean()
            q = q_steps[:, a:b].mean()
            text = f"{label}: Dyna-Q {dyna:.1f} steps per episode" if k else f"{label}: {q:.1f} steps per episode"
            if k:
                text += f", Q-learning {q:.1f}"
            summary.append(text)
        self.last = {
            "k": k,
            "epsilon": epsilon,
            "title": title,
            "summary": summary,
            "result": result,
            "png": png,
            "description": description,
        }
        self.timings.append((t1 - t0, t2 - t1))
        # Lines break between the windows' numbers, never inside one ("Q-|learning").
        windows = " · ".join(f'<span style="white-space: nowrap">{html.escape(text)}</span>' for text in summary)
        self.status.value = (
            f'<div style="line-height: 1.5"><b>k = {k}, ε = {epsilon:.2f}</b> · {windows}'
            f"<br><small>{len(result.planning_steps) * self.n_experiments} agents × "
            f"{self.n_episodes} episodes on the fast engine ({result.backend}): "
            f"computed in {1000 * (t1 - t0):.0f} ms, drawn in {1000 * (t2 - t1):.0f} ms</small></div>"
        )
        return png

    # -------------------------------------------------------------- display
    def _ipython_display_(self):
        from IPython.display import Image, Markdown, display

        if static_build():
            display(Image(data=self.last["png"], format="png", width=self.display_width))
            display(Markdown(f"*Figure: {html.escape(self.last['description'])}*"))
            display(
                Markdown(
                    "*Run this notebook to move the sliders; this is the picture for "
                    f"k = {self.last['k']}, ε = {self.last['epsilon']:.2f}.*"
                )
            )
        else:
            display(self.box)


def k_sweep_explorer(k: int = 10, epsilon: float = 0.05, n_experiments: int = 10, n_episodes: int = 100, **options):
    """Sliders over the k sweep: Q-learning against Dyna-Q with k planning steps."""
    if grading_now():
        return GradingNote()
    return Explorer("k_sweep", k=k, epsilon=epsilon, n_experiments=n_experiments, n_episodes=n_episodes, **options)


def shortcut_explorer(
    k: int = 10,
    epsilon: float = 0.05,
    n_experiments: int = 10,
    n_episodes: int = 400,
    shortcut_episode: int = 200,
    **options,
):
    """Sliders over the shortcut experiment: the door opens at ``shortcut_episode``."""
    if grading_now():
        return GradingNote()
    return Explorer(
        "shortcut",
        k=k,
        epsilon=epsilon,
        n_experiments=n_experiments,
        n_episodes=n_episodes,
        shortcut_episode=shortcut_episode,
        **options,
    )
