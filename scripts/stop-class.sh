#!/usr/bin/env bash
# Stop the class that scripts/start-class.sh started (JupyterHub, its proxy, every user's server).
#   sudo bash scripts/stop-class.sh           # stop; users, course folders and the gradebook stay
#   sudo bash scripts/stop-class.sh --clean   # also delete the users start-class.sh created (with
#                                             # their homes: course, gradebook, students' work) and
#                                             # the class folder (venv, exchange, passwords)
set -euo pipefail
CLASS_DIR=${DYNAQ_CLASS_DIR:-/srv/dynaq-class}
CLEAN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clean) CLEAN=1; shift ;;
    --class-dir) CLASS_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "stop-class.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "[stop-class] $*"; }
[ "$(id -u)" = 0 ] || { echo "[stop-class] error: run as root (sudo bash scripts/stop-class.sh)" >&2; exit 1; }
[ -d "$CLASS_DIR" ] || { say "no class folder at $CLASS_DIR: nothing to stop"; exit 0; }

stop_pidfile() {  # stop_pidfile FILE NAME: SIGTERM, wait up to 30 s, then SIGKILL
  local pid; pid=$(cat "$1" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    say "stopped $2 (pid $pid)"
  fi
  rm -f "$1"
}
stop_pidfile "$CLASS_DIR/jupyterhub.pid" "JupyterHub and the users' servers"
stop_pidfile "$CLASS_DIR/proxy.pid" "the proxy"
# Any single-user server still running from the class venv (e.g. the hub was killed hard).
pkill -TERM -f "$CLASS_DIR/venv/bin/jupyterhub-singleuser" 2>/dev/null && say "stopped leftover user servers" || true

if [ "$CLEAN" = 1 ]; then
  while read -r user; do
    [ -n "$user" ] || continue
    if id "$user" >/dev/null 2>&1; then
      pkill -KILL -u "$user" 2>/dev/null || true
      userdel --remove "$user" 2>/dev/null || userdel "$user"
      say "removed user $user and their home"
    fi
  done < "$CLASS_DIR/users-made.txt"
  rm -rf "$CLASS_DIR"
  say "removed $CLASS_DIR"
fi
