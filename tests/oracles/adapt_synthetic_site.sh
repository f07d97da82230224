#!/usr/bin/env bash
# A synthetic two-camera site in a look the source model never saw, and the tests' synthetic
# model adapted to it with `hat-train adapt` on the site's unlabeled videos (about a minute and a
# half on 2 cores): OUT/site (hat-train synth-site, seed 0) and OUT/run (the adapt run folder),
# for the adaptation tests and the cross-camera pipeline test.
set -euo pipefail
# The build runs this beside the compilers and the other fixtures: OpenMP's waiting threads sleep
# instead of spinning on cores that others need (same arithmetic, the same model; measured at
# half the CPU time of a training run beside another busy process).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
train=$1 model=$2 stamp=$3
out=$(cd "$(dirname "$stamp")" && pwd)/synthetic-site
rm -rf "$out"
mkdir -p "$out"
"$train" synth-site --out "$out/site" --seed 0 >/dev/null
OMP_NUM_THREADS=${HAT_TRAIN_THREADS:-2} "$train" adapt --model "$model" --video "$out/site/videos" \
  --output "$out/run" --seed 0 --quiet >"$out/adapt.txt" 2>"$out/adapt.log"
cp "$out/adapt.txt" "$stamp"
