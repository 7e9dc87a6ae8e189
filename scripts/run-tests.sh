#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, test files spread over all cores
# (DYNAQ_TEST_WORKERS=N to choose). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/setup.sh
export MPLBACKEND=Agg
exec python -m pytest -n "${DYNAQ_TEST_WORKERS:-auto}" --dist loadfile "$@"
