"""Sections 4 and 5 run quickly, under nbgrader and for a learner.

The notebooks are the worked-solutions version of source/ (exercises filled
in), run with nbclient from one folder, as nbgrader and JupyterLab run them:

* under grading (``NBGRADER_EXECUTION=autograde`` in the kernel's environment)
  each must finish in a few seconds, build no widget, run the experiments
  shortened, and never load the compiler;
* for a learner ("Run All") each must run without error, say that the
  learner's functions and the fast engine agree, and show its figures and
  sliders.

``pytest -s`` prints the times.
"""

import time

import nbformat
import pytest

from dynaq_course.grading.editions import build_solutions, course_root, environment

INLINE = "module://matplotlib_inline.backend_inline"
NOTEBOOKS = ["04_how_much_to_plan.ipynb", "05_when_the_world_changes.ipynb"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
GRADING_SECONDS = 20  # generous: they take about 3 s each here, kernel start included


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    target = tmp_path_factory.mktemp("solutions")
    build_solutions(course_root(), target, execute=False)
    return target


def run(folder, name, env, probe=None):
    """Execute a notebook in ``folder`` with ``env`` set for the kernel; (notebook, seconds)."""
    from nbclient import NotebookClient

    nb = nbformat.read(folder / name, as_version=4)
    if probe:
        nb.cells.append(nbformat.v4.new_code_cell(probe))
    with environment(**{"NBGRADER_EXECUTION": None, "DYNAQ_NO_PROGRESS": None, **env}):
        start = time.perf_counter()
        NotebookClient(
            nb, timeout=60, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}}
        ).execute()
        seconds = time.perf_counter() - start
    return nb, seconds


def outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def text_of(nb):
    parts = []
    for o in outputs(nb):
        parts.append(o.get("text", ""))
        parts.append(o.get("data", {}).get("text/plain", ""))
        parts.append(o.get("data", {}).get("text/markdown", ""))
    return "\n".join(parts)


def errors(nb):
    return [f"{o.ename}: {o.evalue}" for o in outputs(nb) if o.output_type == "error"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_under_grading_the_notebook_is_quick_and_builds_no_widget(folder, name):
    nb, seconds = run(
        folder,
        name,
        {"NBGRADER_EXECUTION": "autograde", "MPLBACKEND": INLINE},
        probe="import sys; print('numba loaded:', 'numba' in sys.modules)",
    )
    print(f"\n{name} under grading: {seconds:.1f} s (kernel start included)")
    assert not errors(nb), errors(nb)
    text = text_of(nb)
    assert "the experiment is shortened" in text
    assert "the comparison with the fast engine is skipped" in text
    assert "the sliders are not built" in text
    assert "numba loaded: False" in text
    assert not [o for o in outputs(nb) if WIDGET_VIEW in o.get("data", {})]
    assert seconds < GRADING_SECONDS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_agrees_with_the_engine_and_shows_figures_and_sliders(folder, name):
    nb, seconds = run(folder, name, {"MPLBACKEND": INLINE})
    print(f"\n{name}, Run All: {seconds:.1f} s (kernel start included)")
    assert not errors(nb), errors(nb)
    text = text_of(nb)
    assert "Your functions and the fast engine agree" in text and "DISAGREE" not in text
    assert [o for o in outputs(nb) if "image/png" in o.get("data", {})]
    explorer = next(c for c in nb.cells if c.get("id") in ("k-explorer", "shortcut-explorer"))
    assert [o for o in explorer.outputs if WIDGET_VIEW in o.get("data", {})], "no sliders shown"
