#!/usr/bin/env bash
# Quick start, command 1: install, build, and run the main job on the bundled default.
#
# 1. The bundled default model: hat-r18 trained on a synthetic Market-1501-style dataset that the
#    project renders itself (no real dataset or pretrained weight can be downloaded where it is
#    built). Trained once (about 5 minutes on 2 cores) into runs/default/, reused afterwards.
# 2. Its evaluation on the synthetic test split: the metrics table, the CMC curve and the
#    ranked-list picture.
# 3. hat-r50 loaded from the reference implementation's checkpoint format (its deterministic test
#    weights) embeds the four bundled person crops: their similarity table and the parity with
#    the reference's own output.
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
else
  echo "== reusing the default model $default/run/model.hat (delete it to train again)"
fi
echo "== evaluating the default model on the synthetic test split"
build/evaluation/hat-eval run --dataset market1501 --root "$default/data" --model "$default/run/model.hat" \
  --json "$default/metrics.json" --report-dir "$default/report" 2>/dev/null

out=runs/quickstart
fixture=tests/fixtures/parity
mkdir -p "$out"
if [ ! -f "$out/reference-weights.pth" ]; then
  echo "== generating reference-format weights (hat-r50, 870 MB)"
  .venv/bin/python "$fixture/make_reference_weights.py" "$fixture/hat-r50-reference-keys.tsv" "$out/reference-weights.pth.tmp"
  mv "$out/reference-weights.pth.tmp" "$out/reference-weights.pth"
fi
echo "== hat-r50 (reference checkpoint format): embedding the bundled crops"
build/model/hat-model embed --model "$out/reference-weights.pth" --output "$out/parity-embeddings.npy" --similarity \
  "$fixture"/crop0.png "$fixture"/crop1.png "$fixture"/crop2.png "$fixture"/crop3.png
.venv/bin/python - "$out/parity-embeddings.npy" "$fixture/expected_embeddings.npy" <<'PY'
import sys
import numpy as np
out, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f"relative error against the reference implementation: {np.linalg.norm(out - ref) / np.linalg.norm(ref):.2e} (parity bar: 1e-4)")
PY
echo "default model: $default/run/model.hat (log $default/run/log.jsonl, curves $default/run/curves.png)"
echo "its evaluation: $default/metrics.json, $default/report/{cmc,ranked_list}.png"
echo "parity embeddings: $out/parity-embeddings.npy"
