#!/usr/bin/env bash
# Benchmark of hatmatch's gallery (hat-gallery bench): matching latency and throughput against
# gallery size (1 thousand to 1 million sightings), memory per sighting and gallery-file writes,
# for hat-r18's 1024-d embeddings (and hat-r50's 4096-d up to 100 thousand), next to the
# machine's memory bandwidth measured in the same run. Results: runs/bench-gallery/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/bench-gallery
mkdir -p "$out"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
echo "== hat-r18 (1024-d)"
build/gallery/hat-gallery bench --dim 1024 --sizes 1000,10000,100000,1000000 --queries 1,8 \
  --db-sightings 50000 --json "$out/dim1024.json"
echo "== hat-r50 (4096-d)"
build/gallery/hat-gallery bench --dim 4096 --sizes 1000,10000,100000 --queries 1,8 \
  --db-sightings 20000 --json "$out/dim4096.json"
