#!/usr/bin/env bash
# scripts/soak.sh [MINUTES] [MODEL]: the main pipeline (hatdetect -> hattrack -> hatembed ->
# hatmatch with a gallery file -> hatevents -> hatoverlay) on the sample video looped for
# MINUTES (default 60; scripts/test.sh runs 3) at the video's frame rate, as from a camera.
# Resident memory, open descriptors and threads are sampled every 10 s; the run fails when,
# after a one-minute warm-up, memory grows by more than SOAK_MAX_RSS_GROWTH MiB (default 32:
# docs/RELIABILITY.md says why) or descriptors or threads grow at all. Writes samples.csv,
# soak.png and summary.json to runs/soak/ (SOAK_OUT). MODEL defaults to the bundled default,
# else the test fixture model of the build.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
model=${2:-}
if [ -z "$model" ]; then
  model=runs/default/adapt/model.hat
  [ -r "$model" ] || model=build/tests/synthetic-reid-model.hat
fi
[ -x build/pipelines/hat-soak ] || ninja -C build pipelines/hat-soak gst-plugin/libgsthat.so >/dev/null
for f in "$model" data/vtest.avi; do
  [ -r "$f" ] || { echo "soak: cannot read $f (scripts/quickstart.sh makes the default model)" >&2; exit 1; }
done
export GST_PLUGIN_PATH_1_0=$PWD/build/gst-plugin GST_REGISTRY_1_0=$PWD/build/gst-registry-soak.bin
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
exec build/pipelines/hat-soak run --model "$model" --video data/vtest.avi \
  --out "${SOAK_OUT:-runs/soak}" --minutes "$minutes" --warmup 60 --sample-every 10 \
  --max-rss-growth "${SOAK_MAX_RSS_GROWTH:-32}"
