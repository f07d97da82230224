#!/usr/bin/env bash
# Runs hatmatch's concurrency test (tests/test_gst_match_threads.cpp: properties set from an
# application thread while two cameras stream and the element stops and restarts) under
# ThreadSanitizer, in its own build folder build-tsan/. The suite registers hatmatch itself,
# so only hatmatch, the gallery and what they use are built with the sanitizer. GStreamer, GLib
# and LibTorch are not instrumented: races inside them are not reported, races in the project's
# code are, and any report fails the run. scripts/test.sh runs this after the suites (and,
# with --build-only, builds it beforehand at the lowest priority).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/install-deps.sh
if [ ! -f build-tsan/build.ninja ]; then
  meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dgpu_kernels=disabled >/dev/null
fi
ninja -C build-tsan tests/test_gst_match_threads >/dev/null
[ "${1:-}" != --build-only ] || exit 0
# halt_on_error: the first report fails the run. Repeated to give a rare interleaving its chance.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"
# GLib's slice allocator hands freed blocks between threads with synchronisation the sanitizer
# cannot see (GLib is not instrumented), which reads as a race on every reused GstBuffer; with
# plain malloc the sanitizer sees each block's reuse.
export G_SLICE=always-malloc
meson test -C build-tsan --no-rebuild --print-errorlogs gst_match_threads --repeat "${TSAN_REPEAT:-3}"
echo "tsan: hatmatch's concurrency test passed under ThreadSanitizer"
