#!/usr/bin/env bash
# Quick start, command 2: install and build if needed, then run every test, as many suites at
# once as the machine has cores (meson test builds each suite and the data it needs), then the
# reliability battery (docs/RELIABILITY.md): hatmatch's concurrency test under ThreadSanitizer,
# the suites that do not compute with LibTorch under AddressSanitizer + UndefinedBehaviorSanitizer,
# a minute of every fuzz target with its regression inputs, and a 3-minute soak of the main
# pipeline. The two sanitizer builds run at the lowest CPU priority beside the main build and
# tests, on the time those leave idle. CI runs this. Arguments go to `meson test` (e.g. a suite
# name) and skip the battery.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
logs=$(mktemp -d /tmp/hat-test.XXXXXX)
sanitized_build=""
if [ $# -eq 0 ]; then
  # Its own process group (setsid), so that the whole build can be stopped below.
  setsid nice -n 19 bash -c 'scripts/test-tsan.sh --build-only && scripts/build-sanitized.sh' \
    >"$logs/sanitized-build.log" 2>&1 &
  sanitized_build=$!
fi
scripts/build.sh
rm -f build/*.xml  # per-suite GoogleTest reports; stale ones must not be counted
status=0
meson test -C build --print-errorlogs --num-processes "$(nproc)" "$@" || status=$?
.venv/bin/python tests/summarize.py build || status=1
[ $# -eq 0 ] || exit $status

# CI's limit is 40 minutes: the battery needs about 5 after its builds. When the suites have left
# less than that of CI_MINUTES (default 38), the sanitized suites, fuzzers and soak are skipped
# with a line that says so (run them by hand: docs/RELIABILITY.md); ThreadSanitizer still runs.
budget=$(( ${CI_MINUTES:-38} * 60 ))
if [ $(( budget - SECONDS )) -lt 300 ]; then
  kill -- -"$sanitized_build" 2>/dev/null || true
  wait "$sanitized_build" 2>/dev/null || true
  echo "SKIPPED the sanitized suites, fuzzers and soak: $(( SECONDS / 60 )) of CI's" \
    "$(( budget / 60 )) minutes are gone (scripts/test-sanitized.sh, test-fuzz.sh, soak.sh)"
  scripts/test-tsan.sh || status=1
  exit $status
fi
if ! wait "$sanitized_build"; then
  echo "the sanitizer builds failed ($logs/sanitized-build.log):"; tail -30 "$logs/sanitized-build.log"
  exit 1
fi
# The soak runs in real time (the video's frame rate, as from a camera) beside the rest.
scripts/soak.sh "${SOAK_MINUTES:-3}" >"$logs/soak.log" 2>&1 &
soak=$!
scripts/test-tsan.sh || status=1
scripts/test-sanitized.sh --ci || status=1
scripts/test-fuzz.sh "${FUZZ_SECONDS:-60}" || status=1
if wait "$soak"; then tail -1 "$logs/soak.log"; else
  echo "soak failed ($logs/soak.log):"; tail -5 "$logs/soak.log"; status=1
fi
exit $status
