#!/usr/bin/env bash
# Quick start, command 1: install, build, and run the main job on the bundled default.
#
# The main job: detection -> tracking -> embedding -> overlay on the sample video (PETS 2009
# S2.L1 View 001, from Debian's opencv-doc), written as an annotated MP4 and JSON-lines events.
#
# The bundled default model is hat-r18 trained on a synthetic Market-1501-style dataset that the
# project renders itself (no real dataset or pretrained weight can be downloaded where it is
# built). It is trained once (about 5 minutes on 2 cores) into runs/default/ and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

default=runs/default
if [ ! -f "$default/run/model.hat" ]; then
  echo "== training the default model: hat-r18 on synthetic data (about 5 minutes on 2 cores)"
  rm -rf "$default/data"
  build/train/hat-train synth --layout market1501 --out "$default/data" --ids 100 --distractors 20 --junk 5 --seed 0
  build/train/hat-train --dataset market1501 --root "$default/data" --preset hat-r18 --output "$default/run" \
    --epochs 8 --set warmup_epochs=1 --set lr=6e-4 --set eval_every=4 --quiet
  build/evaluation/hat-eval run --dataset market1501 --root "$default/data" --model "$default/run/model.hat" \
    --json "$default/metrics.json" --report-dir "$default/report" 2>/dev/null
else
  echo "== reusing the default model $default/run/model.hat (delete it to train again)"
fi
echo "== main job: detection -> tracking -> embedding -> overlay on the sample video (data/vtest.avi)"
pipelines/sample-video.sh "$default/run/model.hat" runs/pipeline data/vtest.avi
echo "default model: $default/run/model.hat (its evaluation: $default/metrics.json)"
