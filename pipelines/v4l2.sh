#!/usr/bin/env bash
# A USB / v4l2 camera, live: detection -> tracking -> embedding -> overlay on screen, with events.
#
#   pipelines/v4l2.sh [DEVICE] [MODEL] [EVENTS]       (defaults: /dev/video0, the default model)
#
# On a live source hatembed keeps within 80% of the frame time and skips (then catches up on)
# embeddings rather than frames; its count is in the hatembed-stats message at EOS (Ctrl-C: -e
# sends EOS). Replace autovideosink with "avenc_mpeg4 ! mp4mux ! filesink location=out.mp4" to
# record instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
device=${1:-/dev/video0}
model=${2:-$root/runs/default/adapt/model.hat}
events=${3:-$root/runs/v4l2-events.jsonl}
export GST_PLUGIN_PATH_1_0=$root/build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}
exec gst-launch-1.0 -e -m v4l2src device="$device" ! videoconvert ! video/x-raw,format=I420 \
  ! hatdetect inference-interval=2 ! hattrack ! hatembed model="$model" \
  ! hatevents location="$events" camera-id="$(basename "$device")" \
  ! hatoverlay ! videoconvert ! autovideosink sync=false
