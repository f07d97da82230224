#!/usr/bin/env bash
# Quick start, command 2: install and build if needed, then run every test, as many suites at
# once as the machine has cores (meson test builds each suite and the data it needs), then
# hatmatch's concurrency test under ThreadSanitizer (scripts/test-tsan.sh). CI runs this.
# Arguments go to `meson test` (e.g. a suite name) and skip the sanitizer run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
rm -f build/*.xml  # per-suite GoogleTest reports; stale ones must not be counted
status=0
meson test -C build --print-errorlogs --num-processes "$(nproc)" "$@" || status=$?
.venv/bin/python tests/summarize.py build || status=1
# hatmatch's concurrency test again, under ThreadSanitizer (its own build folder, about a minute).
if [ $# -eq 0 ]; then scripts/test-tsan.sh || status=1; fi
exit $status
