#!/usr/bin/env bash
# Configures (once) and builds the project in build/. Extra arguments go to `meson setup`, e.g.
# -Dlibtorch=/path/to/libtorch for another LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
elif [ $# -gt 0 ]; then
  meson setup --reconfigure build "$@"
fi
ninja -C build
