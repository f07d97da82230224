#!/usr/bin/env bash
# scripts/build-sanitized.sh [TARGET...]: the sanitized build folder build-asan/ (clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer's coverage instrumentation on every
# file), configured on first use, then TARGETs built (default: what CI runs under the
# sanitizers: the suites of the parts that do not compute with LibTorch and every fuzz target).
# scripts/test.sh runs it at the lowest CPU priority beside the main build and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/install-deps.sh
if [ ! -f build-asan/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dgpu_kernels=disabled -Dfuzzing=true >/dev/null
fi
if [ $# -eq 0 ]; then
  set -- fuzz $(sed -n 's/^ci_suites="\(.*\)"$/\1/p' scripts/test-sanitized.sh | sed 's|\([a-z_0-9]*\)|tests/test_\1|g')
fi
ninja -C build-asan "$@"
