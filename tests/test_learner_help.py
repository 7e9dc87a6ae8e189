"""What a learner reads when something fails: the message first and wrapped, their own line, no course internals.

* A failed check (self-check, hidden test) and load_exercise's errors print only
  their message (``_render_traceback_``), wrapped to 88 columns, the first line
  being the message's start and the last its ``[mistake: code]`` tag; a crash
  quotes the learner's line and the input that caused it.
* load_exercise says when the notebook it read was saved, and warns when the
  kernel holds a different function of that name.
* nbgrader feedback shows the same, and its math as MathML with no MathJax
  script from the network.

    pytest -q tests/test_learner_help.py -p no:cacheprovider -n 0
"""

from __future__ import annotations

import html
import linecache
import os
import re
import shutil
import time

import nbformat
import pytest
from course_copy import ASSIGNMENT, fill_exercise, keep_graded_cells_only, make_course_copy, nbgrader, nbgrader_env
from nbclient import NotebookClient

from dynaq_course.checks.loader import ExerciseNotReady, load_exercise, saved_when
from dynaq_course.checks.messages import WRAP_COLUMNS, mistake_code, wrap
from dynaq_course.checks.self_check import ExerciseCheckFailed, check_in_kernel
from dynaq_course.grading import editions
from dynaq_course.grading.nbgrader_plugins import markdown_math_to_mathml
from dynaq_course.grading.report import _mistake

ROOT = editions.course_root()
RELEASE, SOURCE = ROOT / "release" / ASSIGNMENT, ROOT / "source" / ASSIGNMENT
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Paths and words of a traceback through the course's own files.
INTERNALS = ("dynaq_course/", "site-packages", ".py:", "Traceback", "File ", "---->")
CRASH_LINE = "state, action = candidates[len(candidates)]"
CRASHING_BODY = f"""candidates = np.argwhere(~np.isnan(model[:, :, 0]))
for _ in range(params["k"]):
    {CRASH_LINE}
    value = q_learning(state, action, *model[state, action], value, params)
return value"""
FIXED_BODY = CRASHING_BODY.replace("[len(candidates)]", "[np.random.randint(len(candidates))]")


def _assert_reads_first(lines: list[str], evalue: str, tag: str | None) -> None:
    """The shown lines are the message alone: its start first, wrapped, no traceback, tag last."""
    lines = [ANSI.sub("", line) for line in lines]
    assert lines and evalue.startswith(lines[0]) and lines[0], lines
    assert all(len(line) <= WRAP_COLUMNS for line in lines), lines
    assert not [line for line in lines if any(word in line for word in INTERNALS)], lines
    if tag:
        assert lines[-1].endswith(f"[mistake: {tag}]") and mistake_code(evalue) == tag, lines


# ------------------------------------------------------------------ the message itself


def test_wrap_keeps_every_word_and_the_tag_whole():
    text = ("dyna_q_planning makes one update fewer than params['k']. " * 4) + "[mistake: planning-k-minus-1]"
    lines = wrap(text)
    assert len(lines) > 1 and all(len(line) <= WRAP_COLUMNS for line in lines)
    assert " ".join(lines) == text and lines[-1].endswith("[mistake: planning-k-minus-1]")


def test_a_failed_check_renders_as_its_wrapped_message_only():
    err = ExerciseCheckFailed("word " * 60 + "[mistake: crash]")
    _assert_reads_first(err._render_traceback_(), str(err), "crash")
    assert isinstance(err, AssertionError)  # tests and graders that catch AssertionError still do


def _cell_function(source: str, name: str, filename: str = "/tmp/ipykernel_0/cell.py"):
    """A function defined the way a notebook cell defines it (its source known to linecache)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec("import numpy as np\nfrom dynaq_course import q_learning\n", namespace)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_the_in_kernel_self_check_quotes_the_learners_line():
    source = "def dyna_q_planning(model, value, params):\n" + "\n".join("    " + ln for ln in CRASHING_BODY.split("\n"))
    fn = _cell_function(source, "dyna_q_planning")
    with pytest.raises(ExerciseCheckFailed) as err:
        check_in_kernel("dyna_q_planning", fn)
    message = str(err.value)
    assert (
        f"raised IndexError at line 4 of your exercise cell, `{CRASH_LINE}`, when called with "
        "1 remembered pair, k=1" in message
    ), message
    assert "self-check" not in message and mistake_code(message) == "crash"


def test_a_crash_of_the_model_update_names_the_state_and_action():
    source = "def dyna_q_model_update(model, state, action, reward, next_state):\n    model[state, action, 2] = 1\n"
    with pytest.raises(ExerciseCheckFailed) as err:
        check_in_kernel("dyna_q_model_update", _cell_function(source, "dyna_q_model_update", "/tmp/c2.py"))
    assert "at line 2 of your exercise cell, `model[state, action, 2] = 1`, when called with state=54, action=1" in str(
        err.value
    ), str(err.value)


# ------------------------------------------------------------------ in a notebook kernel


def _cells(name: str, **keep) -> list:
    nb = nbformat.read(SOURCE / name, as_version=4)
    setup = next(c for c in nb.cells if "setup" in c.metadata.get("tags", []))
    setup.source = "\n".join(
        ln
        for ln in setup.source.splitlines()
        if not any(w in ln for w in ("matplotlib", "plots", "experiments", "widgets"))
    )
    return [setup] + [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in keep.values()]


@pytest.fixture(scope="module")
def kernel_run(tmp_path_factory):
    """Notebook 03 with a crashing planner, run by a kernel next to the unfinished release notebook 02."""
    folder = tmp_path_factory.mktemp("kernel")
    shutil.copy(RELEASE / "02_model_update.ipynb", folder / "02_model_update.ipynb")
    nb = nbformat.v4.new_notebook(
        cells=_cells(
            "03_planning.ipynb",
            exercise="dyna_q_planning",
            visible="test_planning_visible",
            hidden="test_planning_hidden",
        )
    )
    nb.cells[1].source = nb.cells[1].source.split("### BEGIN SOLUTION")[0].rstrip(" ") + "\n".join(
        "    " + ln for ln in CRASHING_BODY.split("\n")
    )
    nb.cells += [
        nbformat.v4.new_code_cell(
            "from dynaq_course.checks.loader import load_exercise\n"
            "dyna_q_model_update = load_exercise('dyna_q_model_update')"
        ),
        # The learner fixes the planner and runs the cell, but does not save the notebook.
        nbformat.v4.new_code_cell(
            nb.cells[1].source.replace("[len(candidates)]", "[np.random.randint(len(candidates))]")
        ),
        nbformat.v4.new_code_cell("planner = load_exercise('dyna_q_planning')"),
    ]
    nbformat.write(nb, folder / "03_planning.ipynb")
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(folder)}}).execute()
    print(f"\nnotebook 03 (graded cells) in a kernel: {time.perf_counter() - start:.1f} s")
    return nb


def _error(cell):
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors, cell.source
    return errors[0]


@pytest.mark.parametrize("index", [2, 3], ids=["self-check", "hidden test"])
def test_a_failed_check_in_the_kernel_shows_the_message_first(kernel_run, index):
    err = _error(kernel_run.cells[index])
    assert err.ename == "ExerciseCheckFailed"
    _assert_reads_first(err.traceback, err.evalue, "crash")
    shown = " ".join(ANSI.sub("", line) for line in err.traceback)
    assert f"`{CRASH_LINE}`" in shown and "when called with 1 remembered pair, k=1" in shown
    assert "self-check" not in shown


def test_load_exercise_of_an_unfinished_exercise_shows_what_to_do_first(kernel_run):
    err = _error(kernel_run.cells[4])
    assert err.ename == "ExerciseNotReady"
    _assert_reads_first(err.traceback, err.evalue, None)
    assert "not implemented yet" in err.evalue and "saved" in err.evalue


def test_load_exercise_warns_that_the_kernels_function_is_not_the_saved_one(kernel_run):
    out = " ".join("".join(o.get("text", "") for o in kernel_run.cells[6].outputs).split())
    assert (
        "Warning: the dyna_q_planning defined in this kernel differs from the one saved in 03_planning.ipynb" in out
        and "This cell uses the saved one" in out
        and "(Ctrl+S)" in out
    ), out


# ------------------------------------------------------------------ load_exercise in this process


def _release_with_planner(tmp_path, body):
    for name in ("02_model_update.ipynb", "03_planning.ipynb"):
        shutil.copy(RELEASE / name, tmp_path / name)
    nb = nbformat.read(tmp_path / "03_planning.ipynb", as_version=4)
    fill_exercise(nb, "dyna_q_planning", body)
    nbformat.write(nb, tmp_path / "03_planning.ipynb")
    return tmp_path


def test_load_exercise_says_when_the_notebook_was_saved(tmp_path, capsys):
    folder = _release_with_planner(tmp_path, FIXED_BODY)
    saved = time.time() - 180
    os.utime(folder / "03_planning.ipynb", (saved, saved))
    load_exercise("dyna_q_planning", folder, namespace={})
    out = " ".join(capsys.readouterr().out.split())
    clock = time.strftime("%H:%M", time.localtime(saved))
    assert out == f"Using your dyna_q_planning, read from 03_planning.ipynb (saved 3 minutes ago, at {clock}).", out


def test_saved_when_in_words(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text("{}")
    mtime = path.stat().st_mtime
    clock = time.strftime("%H:%M", time.localtime(mtime))
    assert saved_when(path, now=mtime + 2) == f"saved just now, at {clock}"
    assert saved_when(path, now=mtime + 45) == f"saved 45 seconds ago, at {clock}"
    assert saved_when(path, now=mtime + 3 * 3600) == f"saved 3 hours ago, at {clock}"
    day = time.strftime("%Y-%m-%d", time.localtime(mtime))
    assert saved_when(path, now=mtime + 3 * 86400) == f"saved on {day} at {clock}"


def test_the_differs_warning_looks_at_the_callers_globals(tmp_path, capsys):
    folder = _release_with_planner(tmp_path, FIXED_BODY)
    saved_cell = next(
        c.source
        for c in nbformat.read(folder / "03_planning.ipynb", as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "dyna_q_planning"
    )
    kernel = {"load_exercise": load_exercise, "folder": folder}
    exec("import numpy as np\nfrom dynaq_course import q_learning\n", kernel)
    # The same code (here a few lines further down, with a comment): no warning.
    exec(compile("\n\n# my cell\n" + saved_cell, "/tmp/cell_a.py", "exec"), kernel)
    exec("planner = load_exercise('dyna_q_planning', folder)", kernel)
    assert "Warning" not in capsys.readouterr().out
    # Edited in the kernel, not saved: warned, and the saved one is what load_exercise returns.
    exec(compile(saved_cell.replace('params["k"]', 'params["k"] + 1'), "/tmp/cell_b.py", "exec"), kernel)
    exec("planner = load_exercise('dyna_q_planning', folder)", kernel)
    out = " ".join(capsys.readouterr().out.split())
    assert "differs from the one saved in 03_planning.ipynb" in out and "uses the saved one" in out, out
    assert kernel["planner"].__code__.co_filename != "/tmp/cell_b.py"
    # A function load_exercise made earlier is not the learner's edit: no warning.
    kernel["dyna_q_planning"] = kernel["planner"]
    _release_with_planner(tmp_path, FIXED_BODY.replace("value, params)", "value, dict(params))"))
    exec("planner = load_exercise('dyna_q_planning', folder)", kernel)
    assert "Warning" not in capsys.readouterr().out


def test_a_saved_cell_that_does_not_run_names_its_line(tmp_path):
    folder = _release_with_planner(tmp_path, "return value")
    nb = nbformat.read(folder / "03_planning.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dyna_q_planning")
    cell.source += "\nprint(undefined_name)"
    nbformat.write(nb, folder / "03_planning.ipynb")
    with pytest.raises(ExerciseNotReady) as err:
        load_exercise("dyna_q_planning", folder, namespace={})
    lines = cell.source.split("\n")
    assert f"raised NameError at line {len(lines)} of that cell, `print(undefined_name)`" in str(err.value)
    _assert_reads_first(err.value._render_traceback_(), str(err.value), None)


# ------------------------------------------------------------------ math without a network


def test_markdown_math_becomes_mathml_and_code_stays():
    text = "Loop $k$ times; $$\\sum_a Q(s, a)$$ costs $5 and $6; `x = $y$` and\n```\n$z$\n```\n\\$ stays."
    out = markdown_math_to_mathml(text)
    assert out.count("<math") == 2 and 'display="block"' in out and "<mi>k</mi>" in out
    assert "costs $5 and $6" in out and "`x = $y$`" in out and "\n$z$\n" in out and "\\$ stays" in out
    assert "$k$" not in out and "*" not in out.split("<math", 1)[1].split("</math>")[0]


# ------------------------------------------------------------------ nbgrader feedback


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """A course copy (notebooks 02 and 03: graded cells and the markdown cells) through
    generate_assignment, autograde and generate_feedback, for a student whose planner crashes."""
    base = tmp_path_factory.mktemp("feedback")
    course = make_course_copy(base / "course")
    keep = ("02_model_update.ipynb", "03_planning.ipynb")
    for path in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        if path.name not in keep:
            path.unlink()
    original = {n: nbformat.read(course / "source" / ASSIGNMENT / n, as_version=4).cells for n in keep}
    keep_graded_cells_only(course, ASSIGNMENT)
    for name in keep:  # the markdown cells (with their math) back in their places
        nb = nbformat.read(course / "source" / ASSIGNMENT / name, as_version=4)
        cut = {c.id: c for c in nb.cells}
        nb.cells = [
            c if c.cell_type == "markdown" else cut[c.id]
            for c in original[name]
            if c.cell_type == "markdown" or c.id in cut
        ]
        nbformat.write(nb, course / "source" / ASSIGNMENT / name)
    env = nbgrader_env(base / "exchange", base / "jupyter_config")
    start = time.perf_counter()
    nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")
    submitted = course / "submitted" / "crashy" / ASSIGNMENT
    submitted.mkdir(parents=True)
    for path in (course / "release" / ASSIGNMENT).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        if path.name == "03_planning.ipynb":
            fill_exercise(nb, "dyna_q_planning", CRASHING_BODY)
        nbformat.write(nb, submitted / path.name)
    nbgrader(course, env, "autograde", ASSIGNMENT)
    nbgrader(course, env, "generate_feedback", ASSIGNMENT)
    print(f"\ngenerate_assignment + autograde + generate_feedback (2 notebooks): {time.perf_counter() - start:.1f} s")
    return course


def _html(course, name):
    return (course / "feedback" / "crashy" / ASSIGNMENT / f"{name}.html").read_text(encoding="utf-8")


def _error_blocks(page: str) -> list[list[str]]:
    """The lines of each error output of a feedback page, as a reader sees them."""
    blocks = re.findall(r'<div class="output_subarea output_text output_error">\s*<pre>(.*?)</pre>', page, re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", block)).strip("\n").split("\n") for block in blocks]


@pytest.mark.parametrize("name", ["02_model_update", "03_planning"])
def test_feedback_math_needs_no_network(feedback, name):
    page = _html(feedback, name)
    assert "<math" in page
    scripts = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:[^\"' >]*)", page, re.IGNORECASE)
    assert not scripts, scripts
    assert "mathjax.js" not in page.lower() and "cdnjs" not in page
    text = html.unescape(
        re.sub(r"<math.*?</math>|<[^>]+>", "", re.sub(r"<style.*?</style>", "", page, flags=re.DOTALL), flags=re.DOTALL)
    )
    assert "$Q(s, a)$" not in text and "$k$" not in text


def test_feedback_shows_the_failed_checks_message_first(feedback):
    page = _html(feedback, "03_planning")
    blocks = _error_blocks(page)
    assert len(blocks) == 3, blocks  # the self-check, the hidden test, load_exercise of the unfinished 02
    for lines in blocks[:2]:
        message = " ".join(line for line in lines if not line.startswith("(This is a hidden test"))
        _assert_reads_first(lines, message, None)
        assert lines[0].startswith("dyna_q_planning raised IndexError at line") and f"`{CRASH_LINE}`" in message
        assert message.endswith("[mistake: crash]")
    assert blocks[1][-1] == "(This is a hidden test: its code is not shown.)"
    _assert_reads_first(blocks[2], " ".join(blocks[2]), None)
    assert blocks[2][0].startswith("dyna_q_model_update in 02_model_update.ipynb (saved")
    assert re.search(r"test_planning_hidden.{0,400}?Score:\s*0(\.0)?\s*/\s*3(\.0)?", page, re.DOTALL)


def test_autograded_hidden_test_fails_with_its_tag_for_the_class_report(feedback):
    nb = nbformat.read(feedback / "autograded" / "crashy" / ASSIGNMENT / "03_planning.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_planning_hidden")
    err = _error(cell)
    assert err.ename == "ExerciseCheckFailed" and mistake_code(err.evalue) == "crash"
    assert _mistake(err) == "crash"  # what grading.report counts
    _assert_reads_first(err.traceback, err.evalue, "crash")
