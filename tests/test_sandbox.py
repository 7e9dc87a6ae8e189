"""The grading sandbox (dynaq_course.grading.sandbox): modes, what a sandboxed process
can see and do, and honest submissions graded identically with and without it.

    pytest -q tests/test_sandbox.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from dynaq_course.grading import sandbox, sandbox_execute
from dynaq_course.grading.editions import course_root
from dynaq_course.grading.sandbox import Limits, SandboxUnavailable, prepare_kernel, sandbox_status
from dynaq_course.grading.sandbox_launch import _scrub_notebook

OK, REASON = sandbox_status()
needs_sandbox = pytest.mark.skipif(not OK, reason=f"no sandbox on this machine: {REASON}")


def test_off_is_plain(tmp_path):
    kernel = prepare_kernel(tmp_path, [tmp_path / "scratch"], "off")
    assert (kernel.active, kernel.warning, kernel.env, kernel.nbgrader_args, kernel.child_prefix) == (
        False,
        None,
        {},
        [],
        [],
    )


def test_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="auto"):
        prepare_kernel(tmp_path, [], "maybe")


def test_without_bwrap_require_raises_and_auto_warns_loudly(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "sandbox_status", lambda: (False, "bubblewrap (bwrap) is not installed: install it"))
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        prepare_kernel(tmp_path, [], "require")
    kernel = prepare_kernel(tmp_path, [], "auto")
    assert not kernel.active and kernel.child_prefix == [] and kernel.nbgrader_args == []
    assert "WITHOUT a sandbox" in kernel.warning and "bubblewrap" in kernel.warning
    # The output cap still applies to the unsandboxed kernel.
    config = Path(kernel.env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]) / "nbgrader_config.py"
    assert "CappedExecute" in config.read_text()


def test_failure_names_the_real_cause_and_the_install_hint_only_for_bwrap_refusals():
    refused = "bwrap: No permissions to create new namespace, likely because the kernel does not allow it"
    assert sandbox.INSTALL_HINT in sandbox.explain_failure(1, refused)
    assert sandbox.INSTALL_HINT in sandbox.explain_failure(1, "bwrap: setting up uid map: Permission denied")
    missing = sandbox.explain_failure(1, "bwrap: Can't find source path /srv/x: No such file or directory")
    assert "/srv/x" in missing and sandbox.INSTALL_HINT not in missing
    python = sandbox.explain_failure(
        1,
        "/venv/bin/python: Error while finding module specification for 'dynaq_course.grading.sandbox_launch' "
        "(ModuleNotFoundError: No module named 'dynaq_course')",
    )
    assert "No module named 'dynaq_course'" in python and "bwrap works" in python
    assert sandbox.INSTALL_HINT not in python and "pip install -e" in python


def test_a_launcher_refusal_and_a_wrong_scratch_copy_make_the_status_name_them():
    refusal = "dynaq sandbox: the notebook folder /w holds more than the sandbox's scratch limit of 10 bytes"
    assert sandbox.explain_failure(2, refusal) == (
        "a sandboxed kernel could not start: the notebook folder /w holds more than the sandbox's scratch limit "
        "of 10 bytes"
    )
    assert "could not set up" in sandbox.explain_failure(1, "bwrap: Can't write data to file: No space left on device")
    expected = {"data": None, "data/input.txt": "probe data", "probe.ipynb": sandbox.PROBE_VISIBLE}
    right = dict(expected, **{"probe.ipynb": f'{{"source": "{sandbox.PROBE_VISIBLE}"}}'})
    assert sandbox._probe_scratch_problems(expected, {"scratch": right, "problems": []}) == []
    leaked = dict(right, **{"probe.ipynb": right["probe.ipynb"] + sandbox.PROBE_HIDDEN})
    assert "hidden-test region" in sandbox._probe_scratch_problems(expected, {"scratch": leaked})[0]
    missing = {k: v for k, v in right.items() if k != "data/input.txt"}
    assert any("holds" in p for p in sandbox._probe_scratch_problems(expected, {"scratch": missing}))
    socket = "cannot create the kernel's IPC socket in /rt: [Errno 13] Permission denied"
    assert sandbox._probe_scratch_problems(expected, {"scratch": right, "problems": [socket]}) == [socket]


@needs_sandbox
def test_status_says_what_the_sandbox_is():
    assert "no network" in REASON


PROBE = textwrap.dedent("""
    import json, os, resource, socket
    seen = {"uid": os.getuid(), "cwd": os.getcwd()}
    seen["course_visible"] = os.path.exists(COURSE + "/source") or os.path.exists(COURSE + "/gradebook.db")
    seen["package_visible"] = os.path.exists(COURSE + "/dynaq_course/agent.py")
    seen["limits"] = {name: resource.getrlimit(getattr(resource, name))[0]
                      for name in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU")}
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2); seen["network"] = True
    except OSError:
        seen["network"] = False
    open("written_inside.txt", "w").write("ok")
    try:
        open(COURSE + "/dynaq_course/evil.py", "w"); seen["package_writable"] = True
    except OSError:
        seen["package_writable"] = False
    seen["sibling_visible"] = os.path.exists("../sibling.txt")
    print(json.dumps(seen))
""")


@needs_sandbox
def test_child_prefix_runs_a_command_in_the_sandbox(tmp_path):
    limits = Limits()
    kernel = prepare_kernel(tmp_path / "ws", [tmp_path / "ws" / "scratch"], "require", limits)
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "sibling.txt").write_text("not for the sandbox")
    code = f"COURSE = {str(course_root())!r}\n" + PROBE
    proc = subprocess.run(
        [*kernel.child_prefix, sys.executable, "-c", code], cwd=work, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    if os.getuid() == 0:
        assert sandbox.UID_RANGE[0] <= seen["uid"] < sandbox.UID_RANGE[1]
    assert seen["cwd"] == str(work.resolve())
    assert not seen["course_visible"] and seen["package_visible"] and not seen["package_writable"]
    assert not seen["network"]
    assert seen["limits"] == {
        "RLIMIT_AS": limits.memory_bytes,
        "RLIMIT_NPROC": limits.processes,
        "RLIMIT_FSIZE": limits.file_bytes,
        "RLIMIT_NOFILE": limits.open_files,
        "RLIMIT_CPU": limits.cpu_seconds,
    }
    assert (work / "written_inside.txt").read_text() == "ok"
    assert not (course_root() / "dynaq_course" / "evil.py").exists()
    assert not seen["sibling_visible"]  # only the working folder itself is there, nothing next to it


@needs_sandbox
def test_child_prefix_refuses_to_run_in_the_course(tmp_path):
    kernel = prepare_kernel(tmp_path / "ws", [], "require")
    proc = subprocess.run(
        [*kernel.child_prefix, sys.executable, "-c", "print('ran')"],
        cwd=course_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "ran" not in proc.stdout
    assert "refusing" in proc.stderr


@needs_sandbox
def test_honest_submissions_grade_identically_with_and_without_the_sandbox(tmp_path_factory):
    from grade_course import copy_course, describe, grade_cli, gradebook_rows, mini_course_template, submit

    template, env = mini_course_template(tmp_path_factory)
    rows = {}
    for mode in ("off", "require"):
        course = copy_course(template, tmp_path_factory.mktemp(f"sandbox_{mode}") / "course")
        for student in ("all_right", "wrong_model_update"):
            submit(course, student, student)
        proc = grade_cli(course, env, "--sandbox", mode)
        assert proc.returncode == 0, describe(proc)
        rows[mode] = gradebook_rows(course)
    assert rows["require"]["grades"] == rows["off"]["grades"]
    assert rows["require"]["comments"] == rows["off"]["comments"]
    assert rows["require"]["submissions"] == rows["off"]["submissions"]
    assert rows["require"]["submissions"]["all_right"]["code_score"] == 7
    assert rows["require"]["submissions"]["wrong_model_update"]["code_score"] == 4


# ------------------------------------------------------------------ hidden-test text (no sandbox needed)

SECRET = "assert f(2) == 3, 'the hidden check'"


def _graded_notebook(*extra_cells):
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "def f(x):\n    return x + 1", metadata={"nbgrader": {"grade_id": "f", "solution": True}}
            ),
            nbformat.v4.new_code_cell(
                f"assert f(1) == 2\n### BEGIN HIDDEN TESTS\n{SECRET}\n### END HIDDEN TESTS",
                metadata={"nbgrader": {"grade_id": "f-tests", "grade": True, "points": 1}},
            ),
            *extra_cells,
        ]
    )


def test_redaction_knows_the_hidden_lines_and_the_hidden_test_cells():
    student = nbformat.v4.new_code_cell("# ### BEGIN HIDDEN TESTS\nraise ValueError(captured)")
    nb = _graded_notebook(student)
    assert sandbox_execute.hidden_lines(nb) >= {SECRET}
    assert "assert f(1) == 2" not in sandbox_execute.hidden_lines(nb)  # visible test: not a secret
    # Only the grade cell is exempt from redacting its errors, not a student's cell that carries the markers.
    assert sandbox_execute.hidden_test_cells(nb) == {1}
    assert sandbox_execute.redact(f"x\nleaked: {SECRET}\ny", {SECRET}) == f"x\n{sandbox_execute.REDACTED}\ny"


def test_redaction_reads_a_region_left_open_to_the_end_of_the_cell():
    nb = _graded_notebook()
    nb.cells[1].source = f"### BEGIN HIDDEN TESTS\n{SECRET}"
    assert SECRET in sandbox_execute.hidden_lines(nb)


def test_scratch_copy_of_a_notebook_has_no_hidden_tests():
    nb = json.loads(nbformat.writes(_graded_notebook(nbformat.v4.new_code_cell(f"### BEGIN HIDDEN TESTS\n{SECRET}"))))
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": SECRET}]
    assert isinstance(nb["cells"][1]["source"], list)  # as saved on disk: a list of lines
    scrubbed = json.loads(_scrub_notebook(json.dumps(nb)))
    assert SECRET not in json.dumps(scrubbed)
    assert scrubbed["cells"][1]["source"] == "assert f(1) == 2" and scrubbed["cells"][1]["outputs"] == []
    assert scrubbed["cells"][0] == nb["cells"][0]  # cells without markers unchanged
    assert scrubbed["cells"][2]["source"] == ""  # a region left open is cut to the end
    assert _scrub_notebook("not json") == "not json"
