"""Start and stop a JupyterLab server for the browser tests.

``start_lab(root, home, env)`` starts ``jupyter lab`` on 127.0.0.1 with a free
port and a random token, serving ``root``, with its own HOME and Jupyter
config/data/runtime folders under ``home`` (so nobody's own settings leak in),
and JupyterLab's news and update pop-ups switched off in that HOME's user
settings. ``LabServer.stop()`` shuts it down through its API (which also stops
its kernels) and then ends the process it started, by its process id.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# JupyterLab user settings written into the per-test HOME: no "news" / "updates"
# notification (it asks on first start and covers the status bar), no
# announcements.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": False,
    },
}


@dataclass
class LabServer:
    url: str  # http://127.0.0.1:<port>/
    token: str
    process: subprocess.Popen
    log_path: Path
    root: Path

    def lab_url(self, path: str = "") -> str:
        """The URL that opens ``path`` (relative to the root) in JupyterLab, token included."""
        suffix = f"tree/{path}" if path else ""
        return f"{self.url}lab/{suffix}?token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 10):
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            try:
                self.api("api/shutdown", method="POST")
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(home: Path, base_env: dict | None = None) -> dict:
    """The environment of a server (and its kernels) with its own HOME and Jupyter folders."""
    env = dict(os.environ if base_env is None else base_env)
    env["HOME"] = str(home)
    env["JUPYTER_CONFIG_DIR"] = str(home / ".jupyter")
    env["JUPYTER_DATA_DIR"] = str(home / ".local" / "share" / "jupyter")
    env["JUPYTER_RUNTIME_DIR"] = str(home / ".local" / "share" / "jupyter" / "runtime")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(home / ".jupyter" / "lab" / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(home / ".jupyter" / "lab" / "workspaces")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("DYNAQ_NO_PROGRESS", None)
    return env


def write_user_settings(env: dict) -> None:
    settings_dir = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    for name, values in USER_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


def start_lab(root: Path, home: Path, env: dict | None = None, timeout: float = 60) -> LabServer:
    """Start ``jupyter lab`` serving ``root`` (also its working directory) and wait until it answers."""
    home.mkdir(parents=True, exist_ok=True)
    env = isolated_env(home, env)
    write_user_settings(env)
    port, token = free_port(), secrets.token_hex(16)
    log_path = home / "jupyter-lab.log"
    args = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        args.append("--allow-root")
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LabServer(f"http://127.0.0.1:{port}/", token, process, log_path, root)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with {process.returncode} before answering; its log:\n" + server.log()[-4000:]
            )
        try:
            server.api("api/status", timeout=2)
            return server
        except (urllib.error.URLError, OSError) as err:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"jupyter lab did not answer on port {port} within {timeout:.0f} s; "
                    "its log:\n" + server.log()[-4000:]
                ) from err
            time.sleep(0.3)
