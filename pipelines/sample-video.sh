#!/usr/bin/env bash
# One camera from the sample video (PETS 2009 S2.L1 View 001): detection -> tracking -> embedding
# -> overlay, written to an MP4 file, with every frame's people as JSON lines.
#
#   pipelines/sample-video.sh [MODEL] [OUT_DIR] [VIDEO]
#
# MODEL defaults to the bundled default (runs/default/adapt/model.hat, made by scripts/quickstart.sh),
# OUT_DIR to runs/pipeline, VIDEO to data/vtest.avi (extracted by scripts/install-deps.sh).
# EMBED_OPTS adds hatembed properties (e.g. EMBED_OPTS="time-budget=50"); NO_EMBED=1 leaves
# embedding out (detection and tracking only, the benchmark's baseline).
# hatdetect's default detector models the fixed camera's background and learns its ground plane
# from the first frames; DETECT_OPTS adds hatdetect properties (e.g. DETECT_OPTS="detector=hog
# scale=1.5 inference-interval=3", the former default).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/runs/default/adapt/model.hat}
out=${2:-$root/runs/pipeline}
video=${3:-$root/data/vtest.avi}
for f in "$model" "$video"; do
  [ -r "$f" ] || { echo "sample-video: cannot read $f" >&2; exit 1; }
done
export GST_PLUGIN_PATH_1_0=$root/build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}
mkdir -p "$out"
embed=(! hatembed model="$model")
# shellcheck disable=SC2206  # EMBED_OPTS is a list of property=value words
embed+=(${EMBED_OPTS:-})
[ -z "${NO_EMBED:-}" ] || embed=()
# shellcheck disable=SC2206  # DETECT_OPTS too
detect=(hatdetect ${DETECT_OPTS:-})
# Outputs are written under temporary names and renamed when complete, so an interrupted run
# never leaves a truncated file where a good one was.
start=$EPOCHREALTIME
gst-launch-1.0 -q filesrc location="$video" ! decodebin ! videoconvert ! video/x-raw,format=I420 \
  ! "${detect[@]}" \
  ! hattrack \
  "${embed[@]}" \
  ! hatevents location="$out/events.jsonl.tmp" all-frames=true \
  ! hatoverlay \
  ! videoconvert ! avenc_mpeg4 bitrate=2000000 ! mp4mux ! filesink location="$out/annotated.mp4.tmp"
end=$EPOCHREALTIME
mv "$out/events.jsonl.tmp" "$out/events.jsonl"
mv "$out/annotated.mp4.tmp" "$out/annotated.mp4"
"$root/.venv/bin/python" "$root/pipelines/summarize_events.py" "$out/events.jsonl" \
  --started "$start" --ended "$end" --json "$out/summary.json"
echo "annotated video: $out/annotated.mp4"
echo "events (JSON lines, docs/METADATA.md): $out/events.jsonl"
