#!/usr/bin/env bash
# Benchmark (not a test) for a CUDA machine: hat-r50 embedding throughput at batch 1, 8, 64 and
# 256 in fp32 and in bf16 (channels-last; CUDA graphs at the small batches, where launches
# dominate), each against the bf16 GEMM rate measured in the same process; the GPU
# preprocessing kernel against the CPU path (1080p NV12, 64 boxes); then hat-r50 training
# images/s with bf16 AMP at batch 64; and hat-mnv2 (the bundled default's preset) at batch 64 and
# 256 in fp32 and bf16. Prints a Markdown table for docs/BENCHMARKS.md.
# Usage: scripts/bench-gpu.sh [OUT_DIR] [SECONDS]     (tools from $HAT_BIN, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/bench-gpu}
seconds=${2:-10}
model_tool=${HAT_BIN:-build/inference}/hat-model
train_tool=${HAT_BIN:-build/train}/hat-train
mkdir -p "$out"
for batch in 1 8 64 256; do
  "$model_tool" bench --preset hat-r50 --device cuda --batch $batch --seconds "$seconds" \
    --json "$out/r50-fp32-b$batch.json" >"$out/r50-fp32-b$batch.txt"
  graphs=""
  [ $batch -le 8 ] && graphs="--cuda-graphs"
  "$model_tool" bench --preset hat-r50 --device cuda --batch $batch --seconds "$seconds" \
    --precision bf16 --channels-last $graphs --json "$out/r50-bf16-b$batch.json" \
    >"$out/r50-bf16-b$batch.txt"
done
for batch in 64 256; do
  for precision in fp32 bf16; do
    "$model_tool" bench --preset hat-mnv2 --device cuda --batch $batch --seconds "$seconds" \
      --precision $precision --channels-last --json "$out/mnv2-$precision-b$batch.json" \
      >"$out/mnv2-$precision-b$batch.txt"
  done
done
"$model_tool" bench-preprocess --device cuda --format NV12 --boxes 64 --seconds "$seconds" \
  --json "$out/preprocess-nv12-b64.json" >"$out/preprocess-nv12-b64.txt"
"$train_tool" bench --preset hat-r50 --batch 64 --device cuda --amp bf16 --steps 20 \
  --json "$out/train-r50-bf16-b64.json" >"$out/train-r50-bf16-b64.txt"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| batch | precision | crops/s | latency/batch (ms) | TFLOP/s (42.5 GFLOP/crop) | bf16 GEMM TFLOP/s (same run) | of bf16 GEMM |")
print("|---|---|---|---|---|---|---|")
for b in (1, 8, 64, 256):
    for p in ("fp32", "bf16"):
        r = json.load(open(f"{out}/r50-{p}-b{b}.json"))
        print(f"| {b} | {p} | {r['crops_per_second']:.0f} | {r['latency_ms']['p50']:.2f} | "
              f"{r['achieved_gflops'] / 1e3:.1f} | {r['bf16_gemm_gflops'] / 1e3:.0f} | {100 * r['bf16_gemm_fraction']:.1f} % |")
for b in (64, 256):
    for p in ("fp32", "bf16"):
        r = json.load(open(f"{out}/mnv2-{p}-b{b}.json"))
        print(f"| hat-mnv2 {b} | {p} | {r['crops_per_second']:.0f} | {r['latency_ms']['p50']:.2f} | "
              f"{r['achieved_gflops'] / 1e3:.1f} (1.0 GFLOP/crop) | {r['bf16_gemm_gflops'] / 1e3:.0f} | {100 * r['bf16_gemm_fraction']:.1f} % |")
p = json.load(open(f"{out}/preprocess-nv12-b64.json"))
print(f"\npreprocessing, NV12 1920x1080 with 64 boxes: GPU kernel {p['device_crops_per_second']:.0f} crops/s, "
      f"CPU path {p['cpu_crops_per_second']:.0f} crops/s (same run): "
      f"{p['device_frames_per_second'] / p['cpu_frames_per_second']:.1f}x")
t = json.load(open(f"{out}/train-r50-bf16-b64.json"))
print(f"\ntraining hat-r50, batch 64, bf16 AMP: {t['images_per_second']:.0f} images/s "
      f"({t['ms_per_step']:.1f} ms/step; about {t['approx_gflops'] / 1e3:.1f} TFLOP/s = "
      f"{100 * t['approx_gflops'] / t['gemm_gflops']:.1f} % of the {t['gemm_dtype']} GEMM rate)")
PY
