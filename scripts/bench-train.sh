#!/usr/bin/env bash
# Benchmark (not a test): training images/s per preset on this machine, batch 64 (P x K = 16 x 4),
# random data, against the fp32 GEMM rate measured in the same process. Usage:
# scripts/bench-train.sh [DEVICE] [AMP]   (AMP: off, bf16 or fp16; CUDA only)
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cpu}
amp=${2:-off}
mkdir -p runs/bench
for preset in tiny hat-r18 hat-r50; do
  steps=5
  [ "$preset" = hat-r50 ] && [ "$device" = cpu ] && steps=1
  build/train/hat-train bench --preset "$preset" --batch 64 --steps "$steps" --device "$device" --amp "$amp" \
    --json "runs/bench/train-$preset-$device-$amp.json"
done
