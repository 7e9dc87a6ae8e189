"""A sandboxed Jupyter kernel for grading untrusted submissions (bubblewrap).

``prepare_kernel(workspace, writable, mode)`` writes, under ``workspace/.sandbox/``,
a kernelspec ``dynaq-sandbox`` whose kernels run ipykernel

* in new network/pid/ipc/uts namespaces (no network at all; nbgrader talks to
  the kernel over unix sockets, ``--KernelManager.transport=ipc``, in a runtime
  dir that is the one thing shared with the grader);
* as an unprivileged uid (a fresh one per workspace, so the process limit of one
  sandbox does not count another's processes), no supplementary groups,
  ``no_new_privs``;
* with a filesystem view of only /usr, a few files of /etc, Python, the venv, the
  other site-packages folders on its sys.path and the folder of the ``dynaq_course``
  this process imported, wherever it is installed (``_read_only_binds``; an editable
  install's checkout around it stays out), read-only. The notebook folder nbgrader runs in is
  a size-limited tmpfs filled with a copy of that folder (hidden-test regions cut
  out of every notebook; the launcher's outer stage reads the folder and bwrap
  writes the copy from file descriptors, so the real folder is never mounted
  inside); /tmp is a private size-limited tmpfs. Nothing the kernel writes
  reaches the real disk. The gradebook (real or copy), source/, release/,
  solutions/, other submissions, the course folder and the grader's home (but
  for the venv or package folders bound above) are not there;
* with rlimits: address space, CPU seconds, processes, file size, open files;
* with a per-cell cap on the output nbgrader keeps (``sandbox_execute.CappedExecute``,
  installed through a config file on JUPYTER_CONFIG_PATH), so printing megabytes
  cannot fill the grader's memory or the autograded notebook.

The launcher is :mod:`dynaq_course.grading.sandbox_launch`. ``child_prefix``
runs a plain command in the same kind of sandbox (its working folder is the one
place it may write).

Needs ``/usr/bin/bwrap`` (Debian/Ubuntu package ``bubblewrap``) and either root
(the uid drop) or unprivileged user namespaces. In the second way (grading as
one's own Unix user, e.g. an instructor on a JupyterHub) the kernel keeps the
grader's uid inside its own user namespace, with no capabilities and, with
bubblewrap 0.8 or later, no way to create further user namespaces
(``--disable-userns``). For the grader's own files this means: the kernel acts
with the grader's rights on whatever it can reach, so what protects them is the
filesystem view alone. It reaches only the read-only binds above (read, never
write: a read-only mount the kernel cannot remount) and the runtime dir of its
own grading run (read-write, as in the root way); the home, the course folder,
the gradebook and every other file of the grader are not mounted, and the own
pid namespace hides the grader's processes. The process limit counts the
processes of the sandbox's user namespace only (Linux 5.14+ counts per user
namespace), not the grader's other processes.

``sandbox_status()`` starts a probe through the same steps as a kernel (scratch
copy with a hidden-test region, runtime dir, limits, rights, importing
ipykernel), so ``--sandbox require`` refuses with the real cause when a kernel
could not start.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

KERNEL_NAME = "dynaq-sandbox"
SANDBOX_DIR = ".sandbox"
MODES = ("auto", "require", "off")
NOBODY_GID = 65534
UID_RANGE = (200_000, 900_000)  # not in /etc/passwd; one per workspace
ETC_FILES = (
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/fonts",
    "/etc/mime.types",
    "/etc/alternatives",
    "/etc/matplotlibrc",
    "/etc/hosts",
    "/etc/host.conf",
)
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`) and grade as root, or enable "
    "unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`)"
)

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (and every process it starts)."""

    memory_bytes: int = 4096 * MiB  # address space: numba/LLVM and BLAS threads reserve a lot of it
    cpu_seconds: int = 600  # CPU time of one kernel process (nbgrader's per-cell timeout acts first)
    processes: int = 128  # processes + threads of the sandbox uid
    file_bytes: int = 64 * MiB  # largest file it may write
    open_files: int = 256
    tmp_bytes: int = 256 * MiB  # private /tmp (tmpfs, counts against RAM)
    scratch_bytes: int = 256 * MiB  # the notebook folder (tmpfs): the copy of the folder + what it writes
    output_bytes_per_cell: int = 2 * MiB  # outputs nbgrader keeps per cell; the rest is dropped with a note
    output_bytes_per_notebook: int = 16 * MiB


class SandboxUnavailable(RuntimeError):
    """The machine cannot run the sandbox (says what to install or enable)."""


@dataclass
class SandboxedKernel:
    active: bool
    warning: str | None = None
    env: dict = field(default_factory=dict)
    nbgrader_args: list = field(default_factory=list)
    child_prefix: list = field(default_factory=list)


# ------------------------------------------------------------------ configuration


IMPORT_PROBE = (
    "import importlib.util as u, json, sys; s = u.find_spec('dynaq_course'); "
    "print(json.dumps({'path': sys.path, 'package': s and s.origin}))"
)


class PackageNotVisible(RuntimeError):
    """The sandbox's Python (``sys.executable -I``) would not import the package the grader imported."""


def _package_dir() -> Path:
    """The folder of the ``dynaq_course`` this process imported (as Python names it; not resolved)."""
    import dynaq_course

    return Path(os.path.abspath(dynaq_course.__file__)).parent


@lru_cache(maxsize=1)
def _isolated_python() -> tuple:
    """(sys.path, where ``dynaq_course`` is found) of ``sys.executable -I``: the interpreter both stages of
    the launcher and the kernel run (no PYTHONPATH, no current folder, no user site-packages). Editable
    installs appear here as they are: a ``__editable__`` finder maps the package to its folder, an older
    ``.pth`` puts the folder holding it on sys.path."""
    proc = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_PROBE], capture_output=True, text=True, timeout=60, cwd="/"
    )
    if proc.returncode != 0:
        raise PackageNotVisible(f"{sys.executable} -I failed: {(proc.stderr or proc.stdout).strip()[-500:]}")
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    return tuple(seen["path"]), seen["package"]


def _check_package_visible() -> None:
    """Raise PackageNotVisible when ``sys.executable -I`` finds no ``dynaq_course``, or another one."""
    here = _package_dir()
    _, origin = _isolated_python()
    if origin is None or Path(os.path.realpath(origin)).parent != Path(os.path.realpath(here)):
        found = "finds no dynaq_course" if origin is None else f"imports dynaq_course from {Path(origin).parent}"
        raise PackageNotVisible(
            f"this command imported dynaq_course from {here}, but its Python without PYTHONPATH and the current "
            f"folder ({sys.executable} -I, which starts every sandboxed kernel) {found}. Install that copy into "
            f"this Python: `{sys.executable} -m pip install -e {here.parent}` (or grade with the Python it is "
            "installed in)"
        )


def _covered(path: Path, bound: list) -> bool:
    return any(path == b or b in path.parents for b in bound)


def _holds_course(path: Path, package: Path) -> bool:
    """Whether binding ``path`` would show more than the package: the checkout around it (source/,
    solutions/) or a course folder."""
    if path == package.parent or path in package.parents:
        return True
    if path == Path.cwd() or path in Path.cwd().parents:
        return True
    return any((path / marker).exists() for marker in ("nbgrader_config.py", "gradebook.db", "source", "submitted"))


def _read_only_binds() -> list:
    """[source, destination] pairs bound read-only: what a kernel imports, and nothing around it.

    Python (``sys.base_prefix``, the real interpreter's folder), the venv (``sys.prefix``), the folder of
    the ``dynaq_course`` this process imported (only that folder, never the checkout holding it: source/
    and solutions/ stay out), and the other folders on the sandbox Python's sys.path (site-packages a
    ``.pth`` file adds), except one that holds the package's checkout or a course folder. Each is bound
    at its real path and, when Python names it through a symlink, at that name too.
    """
    package = _package_dir()
    real_package = Path(os.path.realpath(package))
    named = [Path(sys.base_prefix), Path(sys.prefix), package]
    real_python = Path(os.path.realpath(sys.executable))
    if not any(Path(os.path.realpath(p)) in real_python.parents for p in named):
        named.append(real_python.parent)
    sys_path, _ = _isolated_python()
    for entry in sys_path:
        path = Path(os.path.abspath(entry)) if entry else None
        if path is None or not path.exists():
            continue
        covered = [Path(os.path.realpath(p)) for p in named]
        real = Path(os.path.realpath(path))
        if _covered(real, covered) or _holds_course(real, real_package) or _holds_course(path, package):
            continue
        named.append(path)
    pairs = {}
    for path in named:
        real = os.path.realpath(path)
        pairs[(real, real)] = None
        if str(path) != real:
            pairs[(real, str(path))] = None
    return sorted([list(pair) for pair in pairs], key=lambda pair: (len(Path(pair[1]).parts), pair[1]))


@lru_cache(maxsize=4)
def _bwrap_disables_userns(bwrap: str) -> bool:
    """Whether this bwrap knows ``--disable-userns`` (bubblewrap 0.8.0 and later)."""
    try:
        proc = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "--disable-userns" in proc.stdout + proc.stderr


def _config(sandbox_dir: Path, scratch_roots: list, uid: int, limits: Limits) -> dict:
    from dynaq_course.grading.editions import course_root

    bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
    as_root = os.getuid() == 0
    return {
        "bwrap": bwrap,
        "as_root": as_root,
        "disable_userns": not as_root and _bwrap_disables_userns(bwrap),
        "uid": uid,
        "gid": NOBODY_GID,
        "scratch_roots": [str(Path(p).resolve()) for p in scratch_roots],
        "runtime_dir": str((sandbox_dir / "runtime").resolve()),
        "read_only": _read_only_binds(),
        "package": str(_package_dir()),
        "etc_files": [p for p in ETC_FILES if os.path.exists(p)],
        "course_root": str(course_root().resolve()),
        "limits": asdict(limits),
    }


def _launch_command(config_path: Path, mode: str) -> list:
    return [sys.executable, "-I", "-m", "dynaq_course.grading.sandbox_launch", "outer", str(config_path), mode]


def _write_sandbox(sandbox_dir: Path, scratch_roots: list, limits: Limits) -> dict:
    """Config, kernelspec, runtime dir and nbgrader config under ``sandbox_dir``; returns paths."""
    sandbox_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(sandbox_dir, 0o700)
    uid = random.randrange(*UID_RANGE)
    config = _config(sandbox_dir, scratch_roots, uid, limits)
    config_path = sandbox_dir / "sandbox.json"
    config_path.write_text(json.dumps(config, indent=1))
    os.chmod(config_path, 0o644)

    runtime = Path(config["runtime_dir"])
    runtime.mkdir(exist_ok=True)
    if config["as_root"]:
        os.chown(runtime, uid, NOBODY_GID)  # the kernel creates its IPC sockets here
    os.chmod(runtime, 0o700)

    spec_dir = sandbox_dir / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": _launch_command(config_path, "kernel") + ["{connection_file}"],
                "display_name": "Python 3 (dynaq grading sandbox)",
                "language": "python",
                "metadata": {"debugger": False},
            },
            indent=1,
        )
    )

    config_dir = sandbox_dir / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "nbgrader_config.py").write_text(output_cap_config(limits))
    return {"config": config_path, "jupyter": sandbox_dir / "jupyter", "runtime": runtime, "config_dir": config_dir}


def output_cap_config(limits: Limits) -> str:
    """nbgrader config text: autograde with the output-capping Execute (else nbgrader's own list)."""
    return (
        "# Written by dynaq_course.grading.sandbox: cap the outputs nbgrader keeps per cell.\n"
        "c = get_config()  # noqa: F821\n"
        "c.Autograde.autograde_preprocessors = [\n"
        "    'dynaq_course.grading.sandbox_execute.CappedExecute',\n"
        "    'nbgrader.preprocessors.IgnorePattern',\n"
        "    'nbconvert.preprocessors.ClearMetadataPreprocessor',\n"
        "    'nbgrader.preprocessors.LimitOutput',\n"
        "    'nbgrader.preprocessors.SaveAutoGrades',\n"
        "    'nbgrader.preprocessors.AssignLatePenalties',\n"
        "    'nbgrader.preprocessors.CheckCellMetadata',\n"
        "]\n"
        f"c.CappedExecute.max_output_bytes_per_cell = {limits.output_bytes_per_cell}\n"
        f"c.CappedExecute.max_output_bytes_per_notebook = {limits.output_bytes_per_notebook}\n"
    )


def _output_cap_only(workspace: Path, limits: Limits) -> dict:
    config_dir = workspace / SANDBOX_DIR / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "nbgrader_config.py").write_text(output_cap_config(limits))
    return {"JUPYTER_CONFIG_PATH": _prepend_path(str(config_dir), os.environ.get("JUPYTER_CONFIG_PATH"))}


def _prepend_path(first: str, rest: str | None) -> str:
    return first + (os.pathsep + rest if rest else "")


# ------------------------------------------------------------------ status

NAMESPACE_WORDS = ("namespace", "uid map", "setuid", "Operation not permitted")


def explain_failure(returncode: int, output: str) -> str:
    """Why the sandbox could not start, in words an instructor can act on, from the launcher's output.

    bwrap's own refusal to create namespaces gets the install/enable hint; any other bwrap error, the
    launcher's refusal (``dynaq sandbox: ...``, e.g. a notebook folder over the scratch limit) and a
    Python error inside the sandbox (e.g. ``No module named ...``) are named as they are, with the fix.
    """
    output = output.strip()
    lines = output.splitlines()
    bwrap_lines = [line for line in lines if line.startswith("bwrap:")]
    if bwrap_lines:
        if any(word in line for line in bwrap_lines for word in NAMESPACE_WORDS):
            return f"bwrap could not create the sandbox's namespaces ({bwrap_lines[-1]}): {INSTALL_HINT}"
        if any(word in bwrap_lines[-1] for word in ("Can't find source path", "No such file", "Permission denied")):
            return f"bwrap failed ({bwrap_lines[-1]}): a folder the sandbox binds is missing or unreadable"
        return f"bwrap failed ({bwrap_lines[-1]}): it could not set up the sandbox"
    refused = [line for line in lines if line.startswith("dynaq sandbox:")]
    if refused:  # the launcher's own refusal (sandbox_launch._fail): it names the cause
        return f"a sandboxed kernel could not start: {refused[-1].removeprefix('dynaq sandbox: ')}"
    missing = [line for line in lines if "No module named" in line or line.startswith("ImportError:")]
    if missing:
        try:
            bound = ", ".join(sorted({dest for _, dest in _read_only_binds()}))
        except (PackageNotVisible, OSError, subprocess.SubprocessError, ValueError) as error:
            bound = f"unknown: {error}"
        return (
            f"bwrap works, but the sandbox's Python failed: {missing[-1]} (exit {returncode}). The package or "
            f"a module it needs lies outside the folders bound read-only into the sandbox ({bound}): install "
            f"it into this venv (`{sys.executable} -m pip install -e CHECKOUT` for the course package)"
        )
    return f"bwrap works, but the sandbox's Python failed (exit {returncode}): {output[-800:]}"


PROBE_VISIBLE = "visible_line = 'kept in the sandbox copy'"
PROBE_HIDDEN = "hidden_line = 'cut from the sandbox copy'"


def _probe_folder(work: Path) -> dict:
    """A notebook folder like the ones nbgrader runs kernels in: a notebook with a hidden-test region, a
    data file in a subfolder. Returns {relative path: what the sandbox's copy must hold}."""
    from dynaq_course.notebook_cells import BEGIN_HIDDEN, END_HIDDEN

    source = [f"{PROBE_VISIBLE}\n", f"{BEGIN_HIDDEN}\n", f"{PROBE_HIDDEN}\n", END_HIDDEN]
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (work / "data").mkdir()
    (work / "data" / "input.txt").write_text("probe data")
    (work / "probe.ipynb").write_text(json.dumps(notebook))
    return {"data": None, "data/input.txt": "probe data", "probe.ipynb": PROBE_VISIBLE}


def _probe_scratch_problems(expected: dict, seen: dict) -> list:
    """What is wrong with the probe's scratch folder as the sandbox showed it (empty when all is right)."""
    problems = list(seen.get("problems", []))
    scratch = seen.get("scratch", {})
    if sorted(scratch) != sorted(expected):
        problems.append(f"the notebook folder's copy holds {sorted(scratch)}, not {sorted(expected)}")
    notebook = scratch.get("probe.ipynb") or ""
    if PROBE_HIDDEN in notebook or PROBE_VISIBLE not in notebook:
        problems.append("the notebook folder's copy does not have exactly its hidden-test region cut out")
    if scratch.get("data/input.txt") != expected["data/input.txt"]:
        problems.append("a data file of the notebook folder was not copied into the sandbox")
    return problems


@lru_cache(maxsize=1)
def sandbox_status() -> tuple:
    """(True, description) when sandboxed kernels work here, else (False, what is missing and what to do).

    The probe goes through the steps of a kernel start (``sandbox_launch`` mode ``probe``): the same
    bwrap view with a scratch copy of a notebook folder and the runtime dir, the same limits and rights,
    and imports ipykernel; a kernel that could not start makes the status False with the launcher's error.
    """
    bwrap = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
    if bwrap is None:
        return False, f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    try:
        _check_package_visible()
    except (PackageNotVisible, OSError, subprocess.TimeoutExpired, ValueError) as error:
        return False, str(error)
    with tempfile.TemporaryDirectory(prefix="dynaq-sandbox-probe-") as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        work.mkdir()
        expected = _probe_folder(work)
        paths = _write_sandbox(tmp / SANDBOX_DIR, [work], Limits())
        try:
            proc = subprocess.run(
                _launch_command(paths["config"], "probe"), cwd=work, capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bwrap could not start a sandbox ({error})"
        if proc.returncode != 0:
            return False, explain_failure(proc.returncode, proc.stderr or proc.stdout)
        try:
            seen = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return False, f"the sandbox probe printed no result: {proc.stdout[-300:]} {proc.stderr[-300:]}"
    if seen["kernel_import"] and not seen["missing"]:
        return False, f"the sandbox starts, but ipykernel does not import in it: {seen['kernel_import']}"
    problems = _probe_scratch_problems(expected, seen)
    if problems:
        return False, f"the sandbox starts, but a kernel could not work in it: {'; '.join(problems)}"
    if seen["missing"]:
        return False, (
            f"the sandbox starts, but its Python cannot import {', '.join(seen['missing'])} (a kernel needs "
            f"them): they are installed outside {sys.prefix} and the folders bound into the sandbox. Install "
            f"them into this venv: `{sys.executable} -m pip install {' '.join(seen['missing'])}`"
        )
    if seen["package"] != str(Path(_package_dir(), "__init__.py")):
        return False, (
            f"inside the sandbox dynaq_course is imported from {seen['package']}, not from {_package_dir()} "
            "like this command: grade with the Python the package is installed in"
        )
    if seen["network"] or seen["interfaces"] != ["lo"]:
        return False, f"the sandbox still reaches the network (interfaces {seen['interfaces']})"
    if os.getuid() == 0 and seen["uid"] == 0:
        return False, "the sandbox could not drop root rights"
    who = (
        f"uid {seen['uid']} (unprivileged)"
        if os.getuid() == 0
        else f"your own uid {seen['uid']} in a user namespace (no uid drop: not running as root)"
    )
    return True, f"bubblewrap sandbox: no network, private filesystem view, runs as {who}"


# ------------------------------------------------------------------ kernel


def prepare_kernel(
    workspace: Path, writable: list, mode: str = "auto", limits: Limits | None = None
) -> SandboxedKernel:
    """Set up the sandboxed kernel for one grading workspace (see the module docstring).

    ``writable``: the folders nbgrader may run notebooks in (the kernel's scratch:
    it sees a private, size-limited copy of that folder). ``mode``: "require"
    raises SandboxUnavailable when the machine cannot sandbox, "auto" then returns
    an inactive setup with a warning to show, "off" returns a plain setup.
    """
    if mode not in MODES:
        raise ValueError(f"sandbox mode must be one of {MODES}, not {mode!r}")
    limits = limits or Limits()
    workspace = Path(workspace)
    if mode == "off":
        return SandboxedKernel(active=False)
    ok, reason = sandbox_status()
    if not ok:
        if mode == "require":
            raise SandboxUnavailable(
                f"cannot grade in a sandbox: {reason}. (Use --sandbox auto to grade "
                "unsandboxed with a warning, only for code you trust.)"
            )
        return SandboxedKernel(
            active=False,
            warning=(
                "WARNING: submissions were graded WITHOUT a sandbox: student code ran with your rights, "
                f"could read the gradebook, source/ and other submissions, and reach the network. {reason}"
            ),
            env=_output_cap_only(workspace, limits),
        )
    roots = []
    for folder in writable:
        Path(folder).mkdir(parents=True, exist_ok=True)
        roots.append(Path(folder))
    paths = _write_sandbox(workspace / SANDBOX_DIR, roots, limits)
    env = {
        "JUPYTER_PATH": _prepend_path(str(paths["jupyter"]), os.environ.get("JUPYTER_PATH")),
        "JUPYTER_RUNTIME_DIR": str(paths["runtime"]),
        "JUPYTER_CONFIG_PATH": _prepend_path(str(paths["config_dir"]), os.environ.get("JUPYTER_CONFIG_PATH")),
    }
    return SandboxedKernel(
        active=True,
        warning=None,
        env=env,
        # IPC sockets are named <ip>-<n>: an absolute prefix in the runtime dir the sandbox shares.
        nbgrader_args=[
            f"--Execute.kernel_name={KERNEL_NAME}",
            "--KernelManager.transport=ipc",
            f"--KernelManager.ip={paths['runtime'] / 'kernel-ipc'}",
        ],
        child_prefix=_launch_command(paths["config"], "run"),
    )
