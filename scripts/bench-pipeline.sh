#!/usr/bin/env bash
# Benchmark of the main pipeline (pipelines/sample-video.sh) on the sample video: frames/s and
# real-time factor (processing time / video duration) with the bundled default model (hat-mnv2),
# any other models named, and hat-r50, measured in one run together with the same pipeline without
# embedding (detection + tracking + overlay + encoding), the baseline the ratios are taken against.
#
#   scripts/bench-pipeline.sh [NAME=MODEL ...]   (needs the default model: run
#                                                 scripts/quickstart.sh first)
# e.g. scripts/bench-pipeline.sh hat-r18=runs/r18/run/model.hat
set -euo pipefail
cd "$(dirname "$0")/.."
default=runs/default/adapt/model.hat
r50=runs/quickstart/reference-weights.pth
[ -f "$default" ] || { echo "bench-pipeline: $default missing: run scripts/quickstart.sh first" >&2; exit 1; }
for named in "$@"; do
  [ -f "${named#*=}" ] || { echo "bench-pipeline: ${named#*=}: no such model file" >&2; exit 1; }
done
if [ ! -f "$r50" ]; then
  echo "== generating hat-r50 weights in the reference format (870 MB; speed does not depend on values)"
  mkdir -p "$(dirname "$r50")"
  .venv/bin/python tests/fixtures/parity/make_reference_weights.py tests/fixtures/parity/hat-r50-reference-keys.tsv "$r50.tmp"
  mv "$r50.tmp" "$r50"
fi
out=runs/bench-pipeline
rm -rf "$out"
run() {  # name, model, extra env
  local name=$1 model=$2
  shift 2
  echo "== $name"
  env "$@" pipelines/sample-video.sh "$model" "$out/$name" data/vtest.avi | sed -n 1p
}
names=(baseline default)
run baseline "$default" NO_EMBED=1
run default "$default"
for named in "$@"; do
  names+=("${named%%=*}")
  run "${named%%=*}" "${named#*=}"
done
names+=(hat-r50 hat-r50-budget40ms)
run hat-r50 "$r50"
run hat-r50-budget40ms "$r50" EMBED_OPTS=time-budget=40
.venv/bin/python - "$out" "${names[@]}" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = [(n, json.load(open(os.path.join(out, n, "summary.json")))) for n in sys.argv[2:]]
base = rows[0][1]["wall_seconds"]
print(f"{'pipeline':<20} {'frames/s':>9} {'real-time factor':>17} {'embeddings':>11} {'time / baseline':>16}")
for n, s in rows:
    print(f"{n:<20} {s['frames_per_second']:>9.2f} {s['real_time_factor']:>17.3f} {s['embeddings_computed']:>11} {s['wall_seconds'] / base:>16.2f}")
PY
