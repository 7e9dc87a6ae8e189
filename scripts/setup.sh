#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned requirements into it.
# Sourced by start-course.sh and run-tests.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate   # nbgrader runs `alembic` by name: the venv's bin/ must be on PATH
if ! cmp -s requirements.txt .venv/.installed-requirements 2>/dev/null; then
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet -r requirements.txt
  cp requirements.txt .venv/.installed-requirements
fi
# JupyterLab settings the course needs (reveal cells stay closed on a double-click): overrides.json of .venv.
python scripts/lab-settings.py
