#!/usr/bin/env bash
# Quick start, command 2: install and build if needed, then run every test, as many suites at
# once as the machine has cores (meson test builds each suite and the data it needs). CI runs
# this. Arguments go to `meson test` (e.g. a suite name).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
rm -f build/*.xml  # per-suite GoogleTest reports; stale ones must not be counted
status=0
meson test -C build --print-errorlogs --num-processes "$(nproc)" "$@" || status=$?
.venv/bin/python tests/summarize.py build || status=1
exit $status
