"""Start one sandboxed ipykernel: the argv of the ``dynaq-sandbox`` kernelspec.

Two stages, both this module (trusted code; no student code runs before the
second stage has dropped its rights):

``outer`` runs where jupyter_client starts the kernel (as the grader, outside
any sandbox). Its working directory is the folder nbgrader executes the
notebook in; it must lie inside one of the allowed scratch roots. It reads that
folder (regular files and folders; symlinks and other special files are left
out), cuts the hidden-test regions out of every notebook into an in-memory file
(memfd), and execs ``bwrap`` with the filesystem view of :func:`bwrap_argv`: a
size-limited tmpfs over the folder, filled by bwrap itself from those file
descriptors (``--dir``, ``--file FD DEST``), and the ``inner`` stage as command.
The real folder is never mounted inside, so there is nothing to unmount (an
unprivileged grader could not: with ``--dev`` bwrap runs the command in a
second user namespace that does not own the mount namespace).

``inner`` runs inside the new namespaces (no network, own pid/ipc/uts; as
root when the grader is root, else as the grader's uid in a user namespace). As
root it gives the scratch copy to the unprivileged uid. It reads the connection
file, sets the resource limits, drops to the unprivileged uid (no_new_privs, no
supplementary groups), and execs ipykernel. The regions are read by
``notebook_cells`` with ``strict=False``: the notebook is a student's, so
malformed markers must not stop the kernel, and a region left open is cut to the
end of its cell (never less than nbgrader's ClearHiddenTests hides).

``probe`` (the self-test of ``sandbox.sandbox_status``) goes through the same
steps as ``kernel`` -- same scratch fill, runtime dir, limits and rights -- and
then, instead of ipykernel, reports what it sees.

    python -m dynaq_course.grading.sandbox_launch outer CONFIG.json kernel|run|probe ARGS...
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys
from pathlib import Path

from dynaq_course.notebook_cells import BEGIN_HIDDEN, END_HIDDEN, cell_source, has_markers, outside

KERNEL_CONNECTION = "/tmp/.kernel-connection.json"
PR_SET_NO_NEW_PRIVS = 38

# Environment the kernel gets from the grader's (everything else is dropped:
# tokens or paths of the instructor's shell stay out of the sandbox).
ENV_KEEP = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "MPLBACKEND",
    "NBGRADER_EXECUTION",
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBA_DISABLE_JIT",
    "DYNAQ_ENGINE",
)
ENV_KEEP_PREFIXES = ("LC_",)


def _fail(message: str) -> NoReturn:  # noqa: F821
    print(f"dynaq sandbox: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


# ------------------------------------------------------------------ outer stage


def _inside(path: Path, roots: list) -> bool:
    return any(path == Path(r) or Path(r) in path.parents for r in roots)


def bwrap_argv(
    config: dict,
    scratch: Path | None,
    runtime_dir: Path | None,
    workdir: Path | None = None,
    fill: list = (),
) -> list:
    """The bwrap command line (without the command): filesystem view, namespaces, environment.

    ``scratch``: the folder a kernel runs in, covered by a size-limited tmpfs that bwrap fills with
    ``fill`` (the operations of :func:`scratch_fill`); the real folder is not mounted.
    """
    argv = [
        config["bwrap"],
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
    ]
    if not config["as_root"]:
        argv += ["--unshare-user"]
        if config.get("disable_userns"):  # bubblewrap >= 0.8: no nested user namespaces for student code
            argv += ["--disable-userns"]
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(config["limits"]["tmp_bytes"]),
        "--tmpfs",
        "/tmp",
        "--dir",
        "/run",
    ]
    # The system: /usr and the usual top-level links or folders, a few files of /etc.
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    argv += ["--ro-bind", "/usr", "/usr"]
    for path in config["etc_files"]:
        argv += ["--ro-bind-try", path, path]
    # Python, the venv, the course package's folder, other site-packages on sys.path (students have all
    # of these anyway): [real path, where Python names it] pairs, parents before children.
    for source, dest in config["read_only"]:
        argv += ["--ro-bind", source, dest]
    if runtime_dir is not None:  # connection file and the kernel's IPC sockets
        argv += ["--bind", str(runtime_dir), str(runtime_dir)]
    if scratch is not None:
        argv += ["--size", str(config["limits"]["scratch_bytes"]), "--tmpfs", str(scratch), *fill]
        argv += ["--chdir", str(scratch)]
    elif workdir is not None:  # a plain command: its working folder is the one place it may write
        argv += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    else:
        argv += ["--chdir", "/tmp"]
    # bwrap creates the parents of bind mounts (/root, /root/.pyenv, ...) as 0700: open them for the
    # unprivileged uid (they are empty folders of the sandbox's own root, not the real ones).
    read_only = [dest for _, dest in config["read_only"]]
    bound = [Path(p) for p in read_only + config["etc_files"] + ["/usr"]]
    targets = [Path(p) for p in read_only + config["etc_files"]]
    targets += [Path(p) for p in (runtime_dir, scratch, workdir) if p is not None]
    parents = {a for t in targets for a in t.parents if a != Path("/")}
    for parent in sorted(parents, key=lambda a: len(a.parts)):
        if not any(parent == b or b in parent.parents for b in bound):
            argv += ["--chmod", "0755", str(parent)]
    argv += ["--clearenv"]
    for key, value in os.environ.items():
        if key in ENV_KEEP or key.startswith(ENV_KEEP_PREFIXES):
            argv += ["--setenv", key, value]
    for key, value in {
        "HOME": "/tmp",
        "USER": "student",
        "LOGNAME": "student",
        "IPYTHONDIR": "/tmp/.ipython",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "NUMBA_CACHE_DIR": "/tmp/.numba",
        "XDG_CACHE_HOME": "/tmp/.cache",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DYNAQ_SANDBOX": "1",
    }.items():
        argv += ["--setenv", key, value]
    return argv


def inner_command(config_path: str, *args: str) -> list:
    return [config_python(), "-I", "-m", "dynaq_course.grading.sandbox_launch", "inner", config_path, *args]


def config_python() -> str:
    return sys.executable


def _run_dir_refusal(workdir: Path, config: dict) -> str | None:
    """Why a plain command may not get ``workdir`` read-write (None when it may)."""
    if workdir == Path("/") or len(workdir.parts) < 3:
        return "a top-level folder"
    for path in [p for pair in config["read_only"] for p in pair] + [config["course_root"]]:
        if path and (workdir == Path(path) or workdir in Path(path).parents or Path(path) in workdir.parents):
            return f"it overlaps {path}"
    for marker in ("gradebook.db", "nbgrader_config.py", "source", "submitted", "autograded"):
        if (workdir / marker).exists():
            return f"it holds {marker}"
    return None


def _scratch_file_fd(path: Path) -> tuple:
    """(fd to pass to bwrap, its mode) for one regular file of the notebook folder: a memfd with the
    hidden-test regions cut out for a notebook, the file itself (read-only) for anything else."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    mode = 0o755 if os.fstat(fd).st_mode & 0o111 else 0o644
    if path.suffix == ".ipynb":
        with open(fd, "rb") as f:
            text = _scrub_notebook(f.read().decode("utf-8", errors="replace"))
        fd = os.memfd_create("dynaq-scratch", 0)
        with open(fd, "wb", closefd=False) as f:
            f.write(text.encode())
        os.lseek(fd, 0, os.SEEK_SET)
    os.set_inheritable(fd, True)
    return fd, mode


def scratch_fill(scratch: Path, limit_bytes: int) -> list:
    """bwrap operations that recreate the notebook folder ``scratch`` in the tmpfs covering it: its
    folders (``--dir``) and regular files (``--file FD``, notebooks without hidden-test regions).

    Symlinks and special files are left out, as the copy never followed them. The file descriptors stay
    open (inheritable) for bwrap, which reads and closes them before the inner stage starts.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:  # one descriptor per file: allow as many as the grader may have
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ops, total = [], 0

    def unreadable(error: OSError) -> None:
        raise error

    for folder, dirs, files in os.walk(scratch, onerror=unreadable):  # does not follow symlinked folders
        here = Path(folder)
        for name in sorted(dirs):
            if not (here / name).is_symlink():
                ops += ["--perms", "0755", "--dir", str(here / name)]
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            fd, mode = _scratch_file_fd(path)
            total += os.fstat(fd).st_size
            if total > limit_bytes:
                _fail(
                    f"the notebook folder {scratch} holds more than the sandbox's scratch limit of {limit_bytes} "
                    "bytes (Limits.scratch_bytes); refusing to start a kernel"
                )
            ops += ["--perms", f"{mode:04o}", "--file", str(fd), str(path)]
    return ops


def outer(config_path: str, mode: str, args: list) -> None:
    config = json.loads(Path(config_path).read_text())
    workdir, fill = None, []
    if mode in ("kernel", "probe"):
        scratch = Path(os.getcwd()).resolve()
        if not _inside(scratch, config["scratch_roots"]):
            _fail(
                f"refusing to start a kernel in {scratch}: not inside the grading workspace's scratch folders "
                f"{config['scratch_roots']}"
            )
        runtime = Path(config["runtime_dir"])
        try:
            fill = scratch_fill(scratch, config["limits"]["scratch_bytes"])
        except OSError as error:
            _fail(f"could not read the notebook folder {scratch} to copy it into the sandbox: {error}")
    if mode == "kernel":
        connection_file = Path(args[0]).resolve()
        info = json.loads(connection_file.read_text())
        if info.get("transport") != "ipc" or not _inside(Path(info.get("ip", "")).parent, [runtime]):
            _fail(
                "the kernel must use IPC sockets in the sandbox runtime dir (it has no network): run nbgrader "
                "with the nbgrader_args of dynaq_course.grading.sandbox.prepare_kernel "
                f"(got transport {info.get('transport')!r}, ip {info.get('ip')!r})"
            )
        if not _inside(connection_file, [runtime]):  # nbclient wrote it elsewhere (tempfile): copy it in
            copy = runtime / f"connection-{os.getpid()}.json"
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(info, f)
            connection_file = copy
        command = inner_command(config_path, "kernel", str(connection_file))
    elif mode == "run":  # a plain command (student code outside a kernel): args = the command
        scratch, runtime = None, None
        workdir = Path(os.getcwd()).resolve()
        refusal = _run_dir_refusal(workdir, config)
        if refusal:
            _fail(
                f"refusing to run {args[:1]} in {workdir}: {refusal}. Run it from a fresh temporary folder "
                "that holds its inputs and receives its outputs."
            )
        command = inner_command(config_path, "run", *args)
    elif mode == "probe":  # the self-test of sandbox_status(): the steps of "kernel" without ipykernel
        command = inner_command(config_path, "probe")
    else:
        _fail(f"unknown mode {mode!r} (kernel, run or probe)")
    argv = bwrap_argv(config, scratch, runtime, workdir if mode == "run" else None, fill)
    # The inner stage reads its config from a file bound read-only into the sandbox.
    argv += ["--ro-bind", config_path, config_path, "--", *command]
    os.execv(config["bwrap"], argv)


# ------------------------------------------------------------------ inner stage


def _scrub_notebook(text: str) -> str:
    """A notebook without the hidden-test regions of its cells (the rest unchanged; see the module doc)."""
    try:
        nb = json.loads(text)
    except ValueError:
        return text
    for cell in nb.get("cells", []):
        source = cell_source(cell)
        if has_markers(source, BEGIN_HIDDEN, END_HIDDEN):
            cell["source"] = outside(source, BEGIN_HIDDEN, END_HIDDEN, strict=False)
            cell["outputs"] = []
    return json.dumps(nb)


def _give_tree(folder: Path, uid: int, gid: int) -> None:
    """Make ``folder`` and everything in it (not following symlinks) belong to the sandbox's uid."""
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)


def _set_limits(limits: dict) -> None:
    for name, value in (
        ("RLIMIT_AS", limits["memory_bytes"]),
        ("RLIMIT_CPU", limits["cpu_seconds"]),
        ("RLIMIT_NPROC", limits["processes"]),
        ("RLIMIT_FSIZE", limits["file_bytes"]),
        ("RLIMIT_NOFILE", limits["open_files"]),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))


def _drop_rights(uid: int, gid: int) -> None:
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        try:
            os.setuid(0)
        except PermissionError:
            pass
        else:
            _fail("could not drop root rights; refusing to run student code")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail("prctl(PR_SET_NO_NEW_PRIVS) failed; refusing to run student code")


def inner(config_path: str, mode: str, args: list) -> None:
    config = json.loads(Path(config_path).read_text())
    uid, gid = config["uid"], config["gid"]
    as_root = os.getuid() == 0
    if not as_root:
        uid, gid = os.getuid(), os.getgid()
    os.chmod("/tmp", 0o1777) if as_root else None
    for sub in (".ipython", ".matplotlib", ".numba", ".cache"):
        Path("/tmp", sub).mkdir(exist_ok=True)
        if as_root:
            os.chown(Path("/tmp", sub), uid, gid)
    if as_root:  # the scratch copy bwrap made (kernel, probe) or the caller's fresh working folder (run)
        _give_tree(Path(os.getcwd()), uid, gid)
    if mode in ("kernel", "probe"):
        os.chmod(os.getcwd(), 0o755)
    if mode == "kernel":
        connection = Path(args[0]).read_bytes()  # written 0600 by the grader: read before dropping rights
    os.closerange(3, 65536)
    _set_limits(config["limits"])
    _drop_rights(uid, gid)
    if mode == "kernel":
        with open(KERNEL_CONNECTION, "wb") as f:
            f.write(connection)
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", KERNEL_CONNECTION])
    if mode == "probe":
        _probe(config)
        return
    os.execvp(args[0], args)


KERNEL_MODULES = ("ipykernel_launcher", "numpy", "matplotlib")  # what a notebook kernel imports first


def _probe(config: dict) -> None:
    """What sandbox_status() checks, after the same steps as a kernel start: who we are, that no network
    is reachable, where the course package comes from (this module imported it), that a kernel's modules
    can be found and ipykernel imports under the limits, what the scratch folder holds (its copy, hidden
    tests cut), that the kernel may write there and create its IPC socket in the runtime dir."""
    import importlib
    import importlib.util
    import socket

    import dynaq_course

    missing = [name for name in KERNEL_MODULES if importlib.util.find_spec(name) is None]
    try:
        importlib.import_module("ipykernel.kernelapp")
        kernel_import = None
    except Exception as error:  # noqa: BLE001 -- reported to the grader, whatever it is
        kernel_import = f"{type(error).__name__}: {error}"
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2).close()
        network = True
    except OSError:
        network = False
    scratch = Path(os.getcwd())
    files = {
        str(path.relative_to(scratch)): path.read_text(errors="replace") if path.is_file() else None
        for path in sorted(scratch.rglob("*"))
    }
    problems = []
    try:
        (scratch / "written_by_the_probe.txt").write_text("ok")
    except OSError as error:
        problems.append(f"cannot write in the notebook folder: {error}")
    sock_path = Path(config["runtime_dir"], f"probe-{os.getpid()}")
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(sock_path))
        sock_path.unlink()
    except OSError as error:
        problems.append(f"cannot create the kernel's IPC socket in {config['runtime_dir']}: {error}")
    print(
        json.dumps(
            {
                "uid": os.getuid(),
                "network": network,
                "interfaces": sorted(name for _, name in socket.if_nameindex()),
                "package": dynaq_course.__file__,
                "missing": missing,
                "kernel_import": kernel_import,
                "scratch": files,
                "problems": problems,
            }
        ),
        flush=True,
    )


def main(argv: list) -> None:
    if len(argv) < 3 or argv[0] not in ("outer", "inner"):
        _fail("usage: python -m dynaq_course.grading.sandbox_launch outer|inner CONFIG.json kernel|run|probe ARGS...")
    stage, config_path, mode, args = argv[0], argv[1], argv[2], argv[3:]
    (outer if stage == "outer" else inner)(config_path, mode, args)


if __name__ == "__main__":
    main(sys.argv[1:])
