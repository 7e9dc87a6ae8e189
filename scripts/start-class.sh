#!/usr/bin/env bash
# Start a Dyna-Q class on this machine: JupyterHub with real Unix users from the roster,
# nbgrader's shared exchange, the course in each instructor's home, extensions per role.
#
#   sudo bash scripts/start-class.sh [--roster class/roster.csv] [--port 8000] [--ip 127.0.0.1]
#   sudo bash scripts/stop-class.sh [--clean]        # stop it; --clean also removes what this made
#
# Safe to run again: existing users, passwords, the course folder and its gradebook are kept;
# new roster rows become users; a hub already running is left running (restart it for roster changes). Everything it makes
# sits in the class folder (default /srv/dynaq-class, or DYNAQ_CLASS_DIR) and the users it
# created (listed in <class folder>/users-made.txt): stop-class.sh --clean removes exactly those.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CHECKOUT=$PWD
CLASS_DIR=${DYNAQ_CLASS_DIR:-/srv/dynaq-class}
ROSTER=class/roster.csv
PORT=${DYNAQ_CLASS_PORT:-8000}
IP=${DYNAQ_CLASS_IP:-127.0.0.1}
PROXY_VERSION=5.3.0   # configurable-http-proxy, JupyterHub's default proxy (npm registry)
while [ $# -gt 0 ]; do
  case "$1" in
    --roster) ROSTER=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --ip) IP=$2; shift 2 ;;
    --class-dir) CLASS_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "start-class.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "[start-class] $*"; }
die() { echo "[start-class] error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (sudo bash scripts/start-class.sh): it creates Unix users and starts JupyterHub, which switches to each user to start their server"
[ -f "$ROSTER" ] || die "no roster at $ROSTER: copy class/roster.csv, put your class in it, and pass --roster PATH"
ROSTER=$(realpath "$ROSTER")

# 1. System parts: Node from Debian, the proxy from the npm registry.
if ! command -v configurable-http-proxy >/dev/null; then
  if ! command -v npm >/dev/null; then
    say "installing Node.js and npm (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  say "installing configurable-http-proxy@$PROXY_VERSION (npm)"
  npm install -g --silent "configurable-http-proxy@$PROXY_VERSION" >/dev/null
fi
CHP=$(command -v configurable-http-proxy)

# 2. The class folder and its Python: a venv of its own with the pinned requirements and the
#    package installed from this checkout (not editable: students never need to read the checkout).
install -d -m 755 "$CLASS_DIR"
VENV=$CLASS_DIR/venv
# Every user runs this Python, so it must sit where every user can read it (not under /root,
# where pyenv and similar tools put theirs): Debian's /usr/bin/python3 by default.
CLASS_PYTHON=${DYNAQ_CLASS_PYTHON:-/usr/bin/python3}
if [ ! -x "$CLASS_PYTHON" ] || ! "$CLASS_PYTHON" -c "import venv, ensurepip" 2>/dev/null; then
  say "installing Python 3 with venv (Debian packages python3, python3-venv)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
runs_for_everyone() { su -s /bin/sh nobody -c "'$1' -c pass" 2>/dev/null; }
runs_for_everyone "$CLASS_PYTHON" \
  || die "$CLASS_PYTHON cannot be run by other users (is it under a private folder?): set DYNAQ_CLASS_PYTHON to a Python 3.11 every user can run"
if [ -e "$VENV" ] && ! runs_for_everyone "$VENV/bin/python"; then
  say "the class venv's Python cannot be run by other users: making it again from $CLASS_PYTHON"
  rm -rf "$VENV"
fi
want=$( (cat requirements.txt; find dynaq_course pyproject.toml -name '*.py' -o -name '*.toml' | sort | xargs cat) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$want" ]; then
  say "installing the class venv at $VENV (first run: about a minute)"
  [ -x "$VENV/bin/python" ] || "$CLASS_PYTHON" -m venv "$VENV"
  grep -v '^-e ' requirements.txt > "$CLASS_DIR/requirements.txt"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r "$CLASS_DIR/requirements.txt"
  tmp=$(mktemp -d) && cp -r dynaq_course pyproject.toml "$tmp"/ && find "$tmp" -name __pycache__ -prune -exec rm -rf {} +
  "$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "$tmp" && rm -rf "$tmp"
  echo "$want" > "$VENV/.installed"
else
  say "class venv up to date ($VENV)"
fi
PY=$VENV/bin/python

# 3. The roster (checked by dynaq_course.grading.roster) and the configuration the hub reads.
"$PY" -m dynaq_course.grading.roster "$ROSTER" >/dev/null || die "fix the roster ($ROSTER) and run again"
install -m 644 "$ROSTER" "$CLASS_DIR/roster.csv"
install -m 644 class/jupyterhub_config.py "$CLASS_DIR/jupyterhub_config.py"
rm -rf "$CLASS_DIR/jupyter-config" && cp -r class/jupyter-config "$CLASS_DIR/" && chmod -R a+rX "$CLASS_DIR/jupyter-config"

# 4. nbgrader's exchange: one folder every user can write, sticky so no one removes another's files.
install -d -m 1777 "$CLASS_DIR/exchange"

# 5. Real Unix users, homes private (0700), a password each (PAM login).
touch "$CLASS_DIR/users-made.txt" "$CLASS_DIR/passwords.txt" && chmod 600 "$CLASS_DIR/passwords.txt"
"$PY" - "$ROSTER" > "$CLASS_DIR/people.tsv" <<'EOF'
import sys
from dynaq_course.grading.roster import load_roster
for p in load_roster(sys.argv[1]):
    print(p.username, p.role, p.display_name, sep="\t")
EOF
new_passwords=""
while IFS=$'\t' read -r user role name; do
  if ! id "$user" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash --comment "$name" "$user"
    echo "$user" >> "$CLASS_DIR/users-made.txt"
    say "made user $user ($role, $name)"
  fi
  chmod 700 "$(getent passwd "$user" | cut -d: -f6)"
  if ! grep -q "^$user " "$CLASS_DIR/passwords.txt"; then
    pw=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')
    echo "$user:$pw" | chpasswd
    echo "$user $pw" >> "$CLASS_DIR/passwords.txt"
    new_passwords="$new_passwords $user"
  fi
done < "$CLASS_DIR/people.tsv"

# 6. The course in each instructor's home: source/ and the course's nbgrader_config.py with the
#    class exchange written in. An existing course folder (it holds the gradebook) is kept.
while IFS=$'\t' read -r user role _; do
  [ "$role" = instructor ] || continue
  home=$(getent passwd "$user" | cut -d: -f6)
  if [ -d "$home/course" ]; then
    say "kept $home/course (gradebook and submissions untouched)"
    continue
  fi
  install -d -o "$user" -g "$(id -gn "$user")" -m 700 "$home/course"
  cp -r source "$home/course/source"
  { cat nbgrader_config.py
    echo
    echo "# The class hub's shared exchange (scripts/start-class.sh)."
    echo "c.Exchange.root = \"$CLASS_DIR/exchange\""
  } > "$home/course/nbgrader_config.py"
  chown -R "$user:$(id -gn "$user")" "$home/course"
  say "made $home/course (source/ of dyna_q and going_further)"
done < "$CLASS_DIR/people.tsv"

# 7. JupyterHub, unless it is already running.
URL="http://$IP:$PORT"
pid=$(cat "$CLASS_DIR/jupyterhub.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  say "JupyterHub is already running (pid $pid), left as it is: it reads the roster when it starts, so new people can log in (and roles change) after stop-class.sh and start-class.sh"
else
  say "starting JupyterHub on $URL (log: $CLASS_DIR/jupyterhub.log)"
  DYNAQ_CLASS_DIR="$CLASS_DIR" DYNAQ_CLASS_PORT="$PORT" DYNAQ_CLASS_IP="$IP" PATH="$VENV/bin:$PATH" \
    setsid --fork env --chdir="$CLASS_DIR" "$VENV/bin/jupyterhub" -f jupyterhub_config.py \
    --ConfigurableHTTPProxy.command="$CHP" >> "$CLASS_DIR/jupyterhub.log" 2>&1 < /dev/null
  for _ in $(seq 1 90); do
    if "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$URL/hub/health" 2>/dev/null; then
      break
    fi
    sleep 1
  done
  "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$URL/hub/health" 2>/dev/null \
    || die "JupyterHub did not answer at $URL/hub/health within 90 s; see $CLASS_DIR/jupyterhub.log"
fi

echo
echo "Class running: log in at $URL/hub/login"
echo "  people:    $(cut -f1,2 "$CLASS_DIR/people.tsv" | tr '\t' ':' | tr '\n' ' ')"
echo "  passwords: $CLASS_DIR/passwords.txt (root only)${new_passwords:+; new for:$new_passwords}"
echo "  course:    ~/course of each instructor (the formgrader: Nbgrader menu of the instructor's JupyterLab)"
echo "  exchange:  $CLASS_DIR/exchange"
echo "  stop:      sudo bash scripts/stop-class.sh      (add --clean to remove users and $CLASS_DIR)"
if su -s /bin/sh nobody -c "test -r '$CHECKOUT/source'" 2>/dev/null; then
  echo "  warning:   $CHECKOUT/source is readable by every user of this machine (hidden tests and solutions):"
  echo "             the class does not need the checkout; chmod 700 $CHECKOUT or keep it off the hub machine"
fi
