#!/usr/bin/env bash
# Quick start, command 1: install, build, and run the main job on the bundled default.
#
# The main job (until the GStreamer plugin lands) embeds the four bundled person crops with the
# HAT reference model in its original checkpoint format and prints their similarity table. The
# weights are the reference's deterministic test weights (no trained weights can be downloaded
# here), generated once into runs/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

out=runs/quickstart
fixture=tests/fixtures/parity
mkdir -p "$out"
if [ ! -f "$out/reference-weights.pth" ]; then
  echo "== generating reference-format weights (hat-r50, 870 MB)"
  .venv/bin/python "$fixture/make_reference_weights.py" "$fixture/hat-r50-reference-keys.tsv" "$out/reference-weights.pth.tmp"
  mv "$out/reference-weights.pth.tmp" "$out/reference-weights.pth"
fi
echo "== hat-r50: embedding the bundled crops"
build/model/hat-model embed --model "$out/reference-weights.pth" --output "$out/parity-embeddings.npy" --similarity \
  "$fixture"/crop0.png "$fixture"/crop1.png "$fixture"/crop2.png "$fixture"/crop3.png
.venv/bin/python - "$out/parity-embeddings.npy" "$fixture/expected_embeddings.npy" <<'PY'
import sys
import numpy as np
out, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f"relative error against the reference implementation: {np.linalg.norm(out - ref) / np.linalg.norm(ref):.2e} (parity bar: 1e-4)")
PY
echo "embeddings: $out/parity-embeddings.npy"
