"""The grading sandbox wherever the package is installed (issue 16, item 6).

On a JupyterHub the package sits in a venv installed editable from a checkout somewhere
(``pip install -e /srv/checkout``) while the course is in the instructor's home. Here: a
copy of the package in a checkout of its own (with a bait source/ and solutions/ beside
it), a fresh venv that sees the grader's dependencies through a ``.pth`` file, the copy
installed into it by pip (``-e``, as setuptools' finder and as the older ``.pth`` of the
checkout), and a course folder in a third place. The sandbox must give its kernels the
copy, and only the copy: not the checkout around it, not this repository's source/.
When it cannot, the error names the real cause instead of "install bubblewrap".

    pytest -q -p no:cacheprovider tests/test_sandbox_install.py
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from dynaq_course.grading import sandbox
from dynaq_course.grading.editions import course_root
from dynaq_course.grading.sandbox import INSTALL_HINT, SandboxUnavailable, prepare_kernel, sandbox_status

OK, REASON = sandbox_status()
pytestmark = pytest.mark.skipif(not OK, reason=f"no sandbox on this machine: {REASON}")
SECRET = "reference solution: not for students"
STYLES = ("finder", "pth")  # pip's default editable install; setuptools' compat mode (a .pth with the checkout)


def make_checkout(folder: Path) -> Path:
    """A checkout elsewhere: the package, pyproject.toml, README.md, and a source/ and solutions/ to hide."""
    folder.mkdir(parents=True)
    shutil.copytree(
        course_root() / "dynaq_course", folder / "dynaq_course", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(course_root() / name, folder / name)
    for hidden in ("source/dyna_q/hidden.txt", "solutions/dyna_q.txt"):
        (folder / hidden).parent.mkdir(parents=True)
        (folder / hidden).write_text(SECRET)
    return folder


def make_venv(folder: Path, python: str = sys.executable, run_as: tuple = ()) -> Path:
    """A venv without pip that imports the grader's dependencies through a .pth file (not its package)."""
    subprocess.run([*run_as, python, "-m", "venv", "--without-pip", str(folder)], check=True, capture_output=True)
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    pth = site_packages(folder) / "grader_dependencies.pth"
    pth.write_text("\n".join(deps) + "\n")
    os.chown(pth, *(folder.stat().st_uid, folder.stat().st_gid))
    return folder / "bin" / "python"


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def pip_install_editable(python: Path, checkout: Path, style: str, env: dict | None = None, run_as=()) -> None:
    """``pip install --no-deps -e CHECKOUT`` into ``python``'s venv: offline when the build tools are
    installed, else with pip's isolated build (setuptools and wheel from the package index)."""
    extra = ["--config-settings", "editable_mode=compat"] if style == "pth" else []
    command = [*run_as, str(python), "-m", "pip", "install", "-q", "--no-deps", *extra, "-e", str(checkout)]
    offline = subprocess.run(command + ["--no-build-isolation", "--no-index"], capture_output=True, text=True, env=env)
    if offline.returncode == 0:
        return
    online = subprocess.run(command, capture_output=True, text=True, env=env)
    assert online.returncode == 0, f"pip install -e failed:\n{offline.stderr[-2000:]}\n{online.stderr[-3000:]}"


# Run by the venv's Python from the course folder: a sandboxed kernel (the kernelspec the grade command
# uses, through nbclient as nbgrader runs it) reports what it sees.
KERNEL_PROBE = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    from jupyter_client.manager import KernelManager
    import dynaq_course
    from dynaq_course.grading.sandbox import KERNEL_NAME, prepare_kernel

    workspace = Path(sys.argv[1])
    scratch = workspace / "scratch"
    kernel = prepare_kernel(workspace, [scratch], "require")
    os.environ.update(kernel.env)
    config = json.loads((workspace / ".sandbox" / "sandbox.json").read_text())
    ip = [a.split("=", 1)[1] for a in kernel.nbgrader_args if a.startswith("--KernelManager.ip=")][0]
    code = '''
    import json, os, dynaq_course
    def readable(p):
        try:
            return os.listdir(p) if os.path.isdir(p) else open(p).read()
        except OSError:
            return None
    print(json.dumps({"package": dynaq_course.__file__,
                      "paths": {p: readable(p) for p in PATHS}}))
    '''.replace("PATHS", repr(sys.argv[2:]))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=ip)
    NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(scratch)}}).execute()
    seen = json.loads(nb.cells[0].outputs[0]["text"])
    seen["grader_package"] = dynaq_course.__file__
    seen["binds"] = config["read_only"]
    print(json.dumps(seen))
""")


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """{style: python of a venv with the checkout's copy installed editable}, the checkout, a course folder."""
    root = tmp_path_factory.mktemp("installed_elsewhere")
    checkout = make_checkout(root / "srv" / "checkout")
    pythons = {}
    for style in STYLES:
        pythons[style] = make_venv(root / "opt" / f"venv-{style}")
        pip_install_editable(pythons[style], checkout, style)
    course = root / "home" / "instructor" / "course"
    course.mkdir(parents=True)
    return {"python": pythons, "checkout": checkout, "course": course}


def run_kernel_probe(python, cwd: Path, workspace: Path, paths: list, env=None):
    return subprocess.run(
        [str(python), "-c", KERNEL_PROBE, str(workspace), *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize("style", STYLES)
def test_kernel_imports_the_copy_and_sees_nothing_around_it(elsewhere, style, tmp_path):
    checkout = elsewhere["checkout"]
    secrets = [
        checkout / "source" / "dyna_q" / "hidden.txt",
        checkout / "solutions" / "dyna_q.txt",
        checkout / "pyproject.toml",
        course_root() / "source",
        course_root() / "solutions",
        elsewhere["course"],
    ]
    proc = run_kernel_probe(elsewhere["python"][style], elsewhere["course"], tmp_path / "ws", [checkout, *secrets])
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    copy = str(checkout / "dynaq_course" / "__init__.py")
    assert seen["grader_package"] == copy
    assert seen["package"] == copy  # the kernel imports the package the grader imported
    assert seen["paths"][str(checkout)] == ["dynaq_course"]  # of the checkout only the package folder
    assert {p: v for p, v in seen["paths"].items() if p != str(checkout)} == {str(p): None for p in secrets}
    destinations = [dest for _, dest in seen["binds"]]
    assert str(checkout / "dynaq_course") in destinations and str(checkout) not in destinations


def test_grade_command_from_an_install_elsewhere(elsewhere, mini_course, tmp_path):
    from grade_course import copy_course, describe, gradebook_rows, submit

    course = copy_course(mini_course.course, tmp_path / "home" / "instructor" / "course")
    submit(course, "all_right", "all_right")
    submit(course, "wrong_planning", "wrong_planning")
    proc = subprocess.run(
        [str(elsewhere["python"]["finder"]), "-m", "dynaq_course.grade", "dyna_q", "--no-progress"]
        + ["--sandbox", "require", "--jobs", "1"],
        cwd=course,
        env=mini_course.env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, describe(proc)
    scores = {s: row["code_score"] for s, row in gradebook_rows(course)["submissions"].items()}
    assert scores == {"all_right": 7, "wrong_planning": 3}


# ------------------------------------------------------------------ when it cannot: the real cause


def test_a_package_folder_the_sandbox_is_not_told_about_is_named(monkeypatch, tmp_path):
    package = str(Path(sandbox.__file__).resolve().parents[1])
    binds = sandbox._read_only_binds()
    assert [package, package] in binds
    monkeypatch.setattr(sandbox, "_read_only_binds", lambda: [pair for pair in binds if pair[1] != package])
    sandbox.sandbox_status.cache_clear()
    try:
        ok, reason = sandbox.sandbox_status()
        with pytest.raises(SandboxUnavailable) as refused:
            prepare_kernel(tmp_path, [tmp_path / "scratch"], "require")
    finally:
        sandbox.sandbox_status.cache_clear()
    assert not ok
    assert "No module named 'dynaq_course'" in reason and "bwrap works" in reason
    assert INSTALL_HINT not in reason
    assert reason in str(refused.value)


def test_a_package_python_cannot_import_isolated_is_refused_with_the_fix(elsewhere):
    """The grader imports a copy through PYTHONPATH; the sandbox's Python (-I) would import another one."""
    env = dict(os.environ, PYTHONPATH=str(elsewhere["checkout"]))
    code = "from dynaq_course.grading.sandbox import sandbox_status; print(repr(sandbox_status()))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere["course"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "(False," in proc.stdout
    assert f"imported dynaq_course from {elsewhere['checkout'] / 'dynaq_course'}" in proc.stdout
    assert "pip install -e" in proc.stdout and "install bubblewrap" not in proc.stdout


def test_a_kernel_sees_a_copy_of_its_notebook_folder_without_hidden_tests(tmp_path):
    """The kernel's folder is bwrap's tmpfs, filled from the real folder by the launcher: folders and files
    copied (a notebook without its hidden-test region), symlinks left out, nothing mounted from disk."""
    scratch = tmp_path / "ws" / "scratch"
    (scratch / "data").mkdir(parents=True)
    (scratch / "data" / "input.txt").write_text("data for the student")
    outside_file = tmp_path / "outside.txt"
    outside_file.write_text(SECRET)
    (scratch / "link.txt").symlink_to(outside_file)
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": []}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    hidden = ["### BEGIN HIDDEN TESTS\n", f"# {SECRET}\n", "### END HIDDEN TESTS"]
    notebook["cells"][0]["source"] = ["visible = 1\n", *hidden]
    (scratch / "submitted.ipynb").write_text(json.dumps(notebook))
    paths = [scratch, scratch / "data" / "input.txt", scratch / "link.txt", scratch / "submitted.ipynb", outside_file]
    proc = run_kernel_probe(sys.executable, tmp_path, tmp_path / "ws", paths)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])["paths"]
    assert sorted(seen[str(scratch)]) == ["data", "submitted.ipynb"]
    assert seen[str(scratch / "data" / "input.txt")] == "data for the student"
    assert seen[str(scratch / "link.txt")] is None and seen[str(outside_file)] is None
    copy = json.loads(seen[str(scratch / "submitted.ipynb")])
    assert copy["cells"][0]["source"] == "visible = 1" and SECRET not in seen[str(scratch / "submitted.ipynb")]
    assert sorted(p.name for p in scratch.iterdir()) == ["data", "link.txt", "submitted.ipynb"]  # disk unchanged


def test_a_kernel_that_cannot_start_makes_the_status_refuse_with_its_cause(monkeypatch, tmp_path):
    """The status probe goes through a kernel start's steps: here the probe's notebook folder exceeds the
    scratch limit, so the launcher refuses, and the status (and --sandbox require) says why."""
    limits = sandbox.Limits
    monkeypatch.setattr(sandbox, "Limits", lambda: limits(scratch_bytes=10))
    sandbox.sandbox_status.cache_clear()
    try:
        ok, reason = sandbox.sandbox_status()
        with pytest.raises(SandboxUnavailable) as refused:
            prepare_kernel(tmp_path, [tmp_path / "scratch"], "require", limits())
    finally:
        sandbox.sandbox_status.cache_clear()
    assert not ok
    assert reason.startswith("a sandboxed kernel could not start: the notebook folder ")
    assert "scratch limit of 10 bytes" in reason and INSTALL_HINT not in reason
    assert reason in str(refused.value)


# ------------------------------------------------------------------ grading as an ordinary user


AS_NOBODY = ("runuser", "-m", "-u", "nobody", "--")  # keeps the environment (HOME: the private home)
NOBODY = 65534
PRIVATE = "the instructor's private notes"


@pytest.fixture(scope="module")
def nobody_home():
    """An instructor who grades as their own Unix user (user namespaces, no uid drop): ``nobody`` with a
    private home in /tmp (mode 700) holding a venv, a checkout installed editable into it, a course
    folder and a private file. {home, checkout, course, python, env}."""
    if os.getuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs root to become another user")
    home = Path(tempfile.mkdtemp(prefix="dynaq-home-", dir="/tmp"))
    try:
        checkout = make_checkout(home / "checkout")
        (home / "course").mkdir()
        (home / "course" / "gradebook.db").write_text(PRIVATE)
        (home / "private.txt").write_text(PRIVATE)
        for path in [home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        os.chmod(home, 0o700)
        env = dict(os.environ, HOME=str(home), PIP_CACHE_DIR=str(home / ".cache"))
        # This Python, or the system's of the same version when this one lies in root's home.
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        candidates = [os.path.realpath(sys.executable), f"/usr/bin/python{version}"]
        usable = [
            p for p in candidates if subprocess.run([*AS_NOBODY, p, "-c", ""], capture_output=True).returncode == 0
        ]
        if not usable:
            pytest.skip(f"no Python {version} that user nobody can run: {candidates}")
        venv_python = make_venv(home / "venv", usable[0], AS_NOBODY)
        kernel_deps = subprocess.run([*AS_NOBODY, str(venv_python), "-c", "import ipykernel, nbgrader, numpy"], env=env)
        if kernel_deps.returncode != 0:
            pytest.skip("user nobody cannot import the grader's dependencies from this venv's site-packages")
        pip_install_editable(venv_python, checkout, "finder", env, AS_NOBODY)
        yield {"home": home, "checkout": checkout, "course": home / "course", "python": venv_python, "env": env}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_an_instructor_without_root_grades_from_a_private_home(nobody_home):
    """A sandboxed kernel started by ``nobody``: it imports the checkout's copy, and of the grader's home it
    sees only the venv, the package folder and the grading workspace (no course folder, no other file)."""
    home, checkout = nobody_home["home"], nobody_home["checkout"]
    secret = checkout / "source" / "dyna_q" / "hidden.txt"
    hidden = [secret, home / "course", home / "course" / "gradebook.db", home / "private.txt"]
    proc = subprocess.run(
        [*AS_NOBODY, str(nobody_home["python"]), "-c", KERNEL_PROBE, str(home / "ws"), str(checkout), str(home)]
        + [str(p) for p in hidden],
        cwd=nobody_home["course"],
        env=nobody_home["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["package"] == seen["grader_package"] == str(checkout / "dynaq_course" / "__init__.py")
    assert seen["paths"][str(checkout)] == ["dynaq_course"]
    # The home holds only the empty folders leading to the binds (venv, package, workspace).
    assert sorted(seen["paths"][str(home)]) == ["checkout", "venv", "ws"]
    assert {str(p): seen["paths"][str(p)] for p in hidden} == {str(p): None for p in hidden}


def test_an_instructor_without_root_runs_the_grade_command(nobody_home, mini_course):
    """``python -m dynaq_course.grade dyna_q --sandbox require`` run by ``nobody`` from its course folder:
    sandboxed kernels start and grade as they do for root."""
    from course_copy import nbgrader_env
    from grade_course import copy_course, describe, gradebook_rows, submit

    home = nobody_home["home"]
    course = copy_course(mini_course.course, home / "term" / "course")
    submit(course, "all_right", "all_right")
    submit(course, "wrong_planning", "wrong_planning")
    (home / "term" / "jupyter_config").mkdir()
    for path in [home / "term", *(home / "term").rglob("*")]:
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    env = nbgrader_env(home / "term" / "exchange", home / "term" / "jupyter_config")
    env.update(HOME=str(home), PIP_CACHE_DIR=str(home / ".cache"))
    env["PATH"] = str(nobody_home["python"].parent) + os.pathsep + env["PATH"]
    proc = subprocess.run(
        [*AS_NOBODY, str(nobody_home["python"]), "-m", "dynaq_course.grade", "dyna_q", "--no-progress"]
        + ["--sandbox", "require", "--jobs", "1"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, describe(proc)
    assert "WITHOUT a sandbox" not in proc.stdout + proc.stderr
    scores = {s: row["code_score"] for s, row in gradebook_rows(course)["submissions"].items()}
    assert scores == {"all_right": 7, "wrong_planning": 3}
