#!/usr/bin/env bash
# Benchmark of data-parallel hat-train (c10d Gloo on the CPU): training images/s of one process
# and of --nproc 2 on the same synthetic dataset, global batch and preset, in the same run
# (epoch 1 is warm-up; epoch 2's images/s over every process is the figure). Usage:
# scripts/bench-data-parallel.sh [PRESET] [BATCHES]. Results: runs/bench-data-parallel/.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-hat-mnv2}
batches=${2:-8}
out=runs/bench-data-parallel
tool=build/train/hat-train
mkdir -p "$out"
[ -d "$out/data" ] || $tool synth --layout market1501 --out "$out/data" --ids 64 --seed 5 >/dev/null
common=(--dataset market1501 --root "$out/data" --preset "$preset" --epochs 2 --seed 1 --quiet
        --set max_batches_per_epoch="$batches" --set eval_every=0 --set checkpoint_every=2
        --set warmup_epochs=1)
rate() { python3 -c "import json,sys; print(round(json.loads(open(sys.argv[1]).read().splitlines()[-1])['images_per_second'], 2))" "$1/log.jsonl"; }
rm -rf "$out/one" "$out/two"
$tool train "${common[@]}" --output "$out/one" >/dev/null 2>&1
$tool train "${common[@]}" --output "$out/two" --nproc 2 --master-port "${MASTER_PORT:-29555}" >/dev/null 2>&1
one=$(rate "$out/one"); two=$(rate "$out/two")
echo "$preset, P x K = 16 x 4, $(nproc) cores: 1 process $one images/s, 2 processes $two images/s" \
     "(ratio $(python3 -c "print(round($two / $one, 2))"))"
