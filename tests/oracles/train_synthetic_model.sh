#!/usr/bin/env bash
# A tiny HAT model trained on the project's synthetic people (160 identities under 12 cameras,
# about two minutes on 2 cores; HAT_TRAIN_THREADS sets the threads): the embedding model of the cross-camera end-to-end test, which needs embeddings that
# tell people apart under another camera's background and lighting.
set -euo pipefail
# The build runs this beside the compilers and the other fixtures: OpenMP's waiting threads sleep
# instead of spinning on cores that others need (same arithmetic, the same model; measured at
# half the CPU time of a training run beside another busy process).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
train=$1 out=$2
work="$out.work"
rm -rf "$work"
mkdir -p "$work"
"$train" synth --layout market1501 --out "$work/data" --ids 160 --cameras 12 --images-per-camera 2 --seed 5 >/dev/null
OMP_NUM_THREADS=${HAT_TRAIN_THREADS:-2} "$train" --dataset market1501 --root "$work/data" --preset tiny \
  --output "$work/run" --epochs 24 --set warmup_epochs=2 --set lr=2e-3 --set eval_every=24 --quiet
cp "$work/run/model.hat" "$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$work"
