#!/usr/bin/env bash
# Set up (first run only) and open the course in JupyterLab at the course directory.
# Extra arguments go to `jupyter lab`, e.g. --no-browser --port 8890.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
echo "Students: release/dyna_q/ (optional Section 6: release/going_further/) · Self-learners: notebooks/ · Worked solutions: solutions/ · Instructors: Nbgrader menu"
extra=()
if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi   # containers and CI machines often run as root
exec jupyter lab --ServerApp.root_dir="$PWD" "${extra[@]}" "$@"
