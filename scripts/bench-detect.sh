#!/usr/bin/env bash
# Benchmark of the person detectors with hattrack, in one run: per detector, frames/s of
# detection + tracking on the sample video (795 frames, 10 fps), the same with hatembed (the
# bundled default model) when it exists, and MOTA / IDF1 / ID switches on three composited scenes
# of the sample camera (hat-train synth-scene, seeds 3-5: synthetic people with exact truth over
# the camera's own background plate), scored by hat-eval mot.
#
# The site detector that `hat-train detector` learned for the sample camera (the Quick start's
# runs/default/detector/detector.onnx, or SITE_DETECTOR) is measured too when it exists.
#
#   [MODEL=RE_ID_MODEL] [SITE_DETECTOR=FILE] scripts/bench-detect.sh [ONNX_MODEL]
#   (ONNX_MODEL: a YOLO/SSD detector)
set -euo pipefail
cd "$(dirname "$0")/.."
export GST_PLUGIN_PATH_1_0=$PWD/build/gst-plugin
out=runs/bench-detect
model=${MODEL:-runs/default/adapt/model.hat}  # MODEL: another re-ID model for the hatembed column
mkdir -p "$out"
declare -A detectors=([default]="" [hog]="detector=hog scale=1.5 inference-interval=3")
order=(default hog)
site=${SITE_DETECTOR:-runs/default/detector/detector.onnx}
if [ -f "$site" ]; then
  detectors[site]="model-location=$site"
  detectors[site-every-2nd]="model-location=$site inference-interval=2"  # what skipping costs
  order=(default site site-every-2nd hog)
fi
if [ $# -gt 0 ]; then detectors[onnx]="model-location=$1"; order+=(onnx); fi
for seed in 3 4 5; do
  [ -f "$out/scene-$seed/gt.txt" ] ||
    build/train/hat-train synth-scene --video data/vtest.avi --out "$out/scene-$seed" --seed "$seed"
done
fps() {  # input, detector properties, embed (0/1) -> frames/s
  local embed=()
  [ "$3" = 1 ] && embed=(! hatembed model="$model")
  local start=$EPOCHREALTIME
  # shellcheck disable=SC2086  # the properties are words
  gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! video/x-raw,format=I420 \
    ! hatdetect $2 ! hattrack "${embed[@]}" ! hatevents location="$out/events.jsonl" ! fakesink
  python3 -c "import sys; print(f'{795 / ($EPOCHREALTIME - $start):.1f}')"
}
printf '| detector | fps, detect + track | fps, + hatembed | MOTA | IDF1 | ID switches | precision | recall |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for name in "${order[@]}"; do
  props=${detectors[$name]}
  track_fps=$(fps data/vtest.avi "$props" 0)
  embed_fps=n/a
  [ -f "$model" ] && embed_fps=$(fps data/vtest.avi "$props" 1)
  for seed in 3 4 5; do
    scene=$out/scene-$seed
    # shellcheck disable=SC2086
    gst-launch-1.0 -q filesrc location="$scene/scene.avi" ! decodebin ! videoconvert \
      ! video/x-raw,format=I420 ! hatdetect $props ! hattrack \
      ! hatevents location="$scene/$name.jsonl" ! fakesink
    build/evaluation/hat-eval mot --gt "$scene/gt.txt" --events "$scene/$name.jsonl" \
      --json "$scene/$name.json" >/dev/null
  done
  python3 - "$name" "$track_fps" "$embed_fps" "$out" <<'PY'
import json, sys
name, track_fps, embed_fps, out = sys.argv[1:]
runs = [json.load(open(f"{out}/scene-{s}/{name}.json")) for s in (3, 4, 5)]
mean = lambda k: sum(r[k] for r in runs) / len(runs)
per = " / ".join(f"{r['mota']:.3f}" for r in runs)
print(f"| {name} | {track_fps} | {embed_fps} | {mean('mota'):.3f} ({per}) | {mean('idf1'):.3f} | "
      f"{sum(r['id_switches'] for r in runs)} | {mean('precision'):.3f} | {mean('recall'):.3f} |")
PY
done
echo "machine: $(nproc) cores, $(date -u +%F)"
