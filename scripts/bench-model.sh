#!/usr/bin/env bash
# Benchmark (not a test): hat-model bench for each preset at batch 8 on this machine. Writes the
# JSON results to runs/bench/ and prints a Markdown table for docs/BENCHMARKS.md.
# Usage: scripts/bench-model.sh [DEVICE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cpu}
seconds=${2:-30}
mkdir -p runs/bench
for preset in hat-r50 hat-r18 hat-mnv2 tiny; do
  build/inference/hat-model bench --preset "$preset" --batch 8 --device "$device" --seconds "$seconds" \
    --json "runs/bench/$preset-$device-b8.json"
done
.venv/bin/python - "$device" <<'PY'
import json, sys
print("| preset | batch | crops/s | latency/batch (ms) | GFLOP/crop | GFLOP/s | fp32 GEMM GFLOP/s (same run) | fraction of GEMM | peak RSS (MiB) |")
print("|---|---|---|---|---|---|---|---|---|")
for preset in ("hat-r50", "hat-r18", "hat-mnv2", "tiny"):
    r = json.load(open(f"runs/bench/{preset}-{sys.argv[1]}-b8.json"))
    print(f"| {preset} | {r['batch']} | {r['crops_per_second']:.2f} | {r['latency_ms']['mean']:.0f} | {r['gflop_per_crop']:.2f} | "
          f"{r['achieved_gflops']:.1f} | {r['gemm_gflops']:.1f} | {100 * r['gemm_fraction']:.1f} % | {r['peak_memory_mib']:.0f} |")
PY
