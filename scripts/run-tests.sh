#!/usr/bin/env bash
# Set up (first run only) and run the tests, test files spread over all cores
# (DYNAQ_TEST_WORKERS=N to choose, 0 for one process).
#
#   bash scripts/run-tests.sh           the full run, every tier (README's test command, and CI's)
#   bash scripts/run-tests.sh fast      the fast tier: unit and property tests, no nbgrader, no sandbox,
#                                       no notebook kernel, no browser (pytest -m fast); the edit loop
#   bash scripts/run-tests.sh e2e       the end-to-end tier only (nbgrader, sandbox, kernels, browser)
#
# The tiers are given in one table, TIERS in tests/conftest.py. Extra arguments go to pytest
# (after the tier, if one is named), e.g. `bash scripts/run-tests.sh fast -k editions`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
export MPLBACKEND=Agg

tier=full
case "${1:-}" in
  fast | e2e) tier=$1; shift ;;
  full) shift ;;
esac
select=()
[ "$tier" = full ] || select=(-m "$tier")

status=0
python -m pytest -n "${DYNAQ_TEST_WORKERS:-auto}" --dist loadfile ${select[@]+"${select[@]}"} "$@" || status=$?

case "$tier" in
  full) echo "run-tests.sh: ran the FULL run (every tier: fast, e2e, accuracy, browser)" ;;
  fast) echo "run-tests.sh: ran the FAST tier only (pytest -m fast); the full run is: bash scripts/run-tests.sh" ;;
  e2e) echo "run-tests.sh: ran the E2E tier only (pytest -m e2e); the full run is: bash scripts/run-tests.sh" ;;
esac
[ $# -eq 0 ] || echo "run-tests.sh: with the pytest arguments: $*"
exit "$status"
