#!/usr/bin/env bash
# Benchmark (not a test): the evaluator at MSMT17 scale (11,659 queries x 82,161 gallery, 4,096-d
# synthetic features), blocked vs the full-matrix + full-argsort baseline, each in its own process
# so that each peak memory is its own. Writes runs/bench/eval-*.json and prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/bench
build/evaluation/hat-eval bench --json runs/bench/eval-blocked.json
build/evaluation/hat-eval bench --naive --json runs/bench/eval-naive.json
.venv/bin/python - <<'PY'
import json
print("| implementation | time (s) | matmul floor, same run (s) | ratio to floor | peak RSS (MiB) | mAP | R1 | mINP |")
print("|---|---|---|---|---|---|---|---|")
for name in ("blocked", "naive"):
    r = json.load(open(f"runs/bench/eval-{name}.json"))
    m = r["metrics"]
    print(f"| {name} | {r['seconds']:.1f} | {r['floor_seconds']:.1f} | {r['ratio']:.2f} | {r['peak_rss_mib']:.0f} | "
          f"{100 * m['mAP']:.2f} | {100 * m['cmc'][0]:.2f} | {100 * m['mINP']:.2f} |")
PY
