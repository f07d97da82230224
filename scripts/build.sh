#!/usr/bin/env bash
# Configures (once) and builds in build/. By default it builds what the Quick start's main job
# needs: the four tools, the GStreamer plugin, hat-read-metadata and hat-cut-video
# (scripts/test.sh then builds the tests it runs). --all builds every target, the test programs included. Other arguments go
# to `meson setup`, e.g. -Dlibtorch=/path/to/libtorch for another LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
quickstart_targets=(inference/hat-model evaluation/hat-eval train/hat-train gallery/hat-gallery
                    gst-plugin/libgsthat.so pipelines/hat-read-metadata pipelines/hat-cut-video)
all=0
setup_args=()
for a in "$@"; do
  if [ "$a" = --all ]; then all=1; else setup_args+=("$a"); fi
done
if [ ! -f build/build.ninja ]; then
  meson setup build "${setup_args[@]}"
elif ((${#setup_args[@]})); then
  meson setup --reconfigure build "${setup_args[@]}"
fi
if ((all)); then
  ninja -C build
else
  ninja -C build "${quickstart_targets[@]}"
fi
