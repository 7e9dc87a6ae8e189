"""A sandboxed Jupyter kernel for grading untrusted submissions (bubblewrap).

``prepare_kernel(workspace, writable, mode)`` writes, under ``workspace/.sandbox/``,
a kernelspec ``dynaq-sandbox`` whose kernels run ipykernel

* in new network/pid/ipc/uts namespaces (no network at all; nbgrader talks to
  the kernel over unix sockets, ``--KernelManager.transport=ipc``, in a runtime
  dir that is the one thing shared with the grader);
* as an unprivileged uid (a fresh one per workspace, so the process limit of one
  sandbox does not count another's processes), no supplementary groups,
  ``no_new_privs``;
* with a filesystem view of only /usr, a few files of /etc, Python, the venv and
  the ``dynaq_course`` package, read-only. The notebook folder nbgrader runs in is
  a size-limited tmpfs filled with a copy of that folder (hidden-test regions cut
  out of every notebook); /tmp is a private size-limited tmpfs. Nothing the
  kernel writes reaches the real disk. The gradebook (real or copy), source/,
  release/, solutions/, other submissions and the repository are not there;
* with rlimits: address space, CPU seconds, processes, file size, open files;
* with a per-cell cap on the output nbgrader keeps (``sandbox_execute.CappedExecute``,
  installed through a config file on JUPYTER_CONFIG_PATH), so printing megabytes
  cannot fill the grader's memory or the autograded notebook.

The launcher is :mod:`dynaq_course.grading.sandbox_launch`. ``child_prefix``
runs a plain command in the same kind of sandbox (its working folder is the one
place it may write).

Needs ``/usr/bin/bwrap`` (Debian/Ubuntu package ``bubblewrap``) and either root
(the uid drop) or unprivileged user namespaces (then the kernel keeps the
grader's uid inside its own user namespace).
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


def _read_only_paths() -> list:
    """Python, the venv, the course package: what a kernel needs to read."""
    import dynaq_course

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(dynaq_course.__file__).resolve().parent}
    real_python = Path(sys.executable).resolve()
    if not any(p in real_python.parents for p in paths):
        paths.add(real_python.parent)
    return sorted(str(p) for p in paths)


def _config(sandbox_dir: Path, scratch_roots: list, uid: int, limits: Limits) -> dict:
    from dynaq_course.grading.editions import course_root

    return {
        "bwrap": shutil.which("bwrap") or "/usr/bin/bwrap",
        "as_root": os.getuid() == 0,
        "uid": uid,
        "gid": NOBODY_GID,
        "scratch_roots": [str(Path(p).resolve()) for p in scratch_roots],
        "runtime_dir": str((sandbox_dir / "runtime").resolve()),
        "read_only": _read_only_paths(),
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


@lru_cache(maxsize=1)
def sandbox_status() -> tuple:
    """(True, description) when sandboxed kernels work here, else (False, what is missing and what to do)."""
    bwrap = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
    if bwrap is None:
        return False, f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    with tempfile.TemporaryDirectory(prefix="dynaq-sandbox-probe-") as tmp:
        tmp = Path(tmp)
        paths = _write_sandbox(tmp / SANDBOX_DIR, [], Limits())
        work = tmp / "work"
        work.mkdir()
        try:
            proc = subprocess.run(
                _launch_command(paths["config"], "probe"), cwd=work, capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bwrap could not start a sandbox ({error}): {INSTALL_HINT}"
        if proc.returncode != 0:
            return False, (
                f"bwrap could not start a sandbox (exit {proc.returncode}: "
                f"{(proc.stderr or proc.stdout).strip()[-500:]}): {INSTALL_HINT}"
            )
        try:
            seen = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return False, f"the sandbox probe printed no result: {proc.stdout[-300:]} {proc.stderr[-300:]}"
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
