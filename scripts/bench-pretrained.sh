#!/usr/bin/env bash
# Benchmark (not a test): what ImageNet initialisation gives on the project's synthetic people.
# Trains on the Quick start's synthetic set (the same data, 8 epochs, seed 0) and evaluates on its
# test split, one after the other in one run:
#   hat-r18 from random weights      (the bundled default before hat-mnv2; its lr 6e-4)
#   hat-mnv2 from random weights     (lr 3.5e-4)
#   hat-mnv2 from ImageNet MobileNetV2 (lr 3.5e-4: the bundled default)
# and prints mAP, Rank-1 and the training time of each as a Markdown table.
#   scripts/bench-pretrained.sh        (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/bench-pretrained
rm -rf "$out"
build/train/hat-train synth --layout market1501 --out "$out/data" --ids 100 --distractors 20 \
  --junk 5 --seed 0 >/dev/null
common=(--dataset market1501 --root "$out/data" --epochs 8 --set warmup_epochs=1 --set eval_every=4
  --quiet)
train() {  # name, then hat-train arguments
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  build/train/hat-train "${common[@]}" --output "$out/$name" "$@" 2>/dev/null | grep "^trained"
  echo $((SECONDS - start)) >"$out/$name/seconds"
}
train hat-r18-scratch --preset hat-r18 --set lr=6e-4
train hat-mnv2-scratch --preset hat-mnv2 --set lr=3.5e-4
train hat-mnv2-imagenet --preset hat-mnv2 --set lr=3.5e-4 \
  --pretrained data/pretrained/mobilenetv2-imagenet.pth
.venv/bin/python - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print("| model | initialisation | mAP | Rank-1 | training (8 epochs + 2 evaluations) |")
print("|---|---|---|---|---|")
for name, init in (("hat-r18-scratch", "random"), ("hat-mnv2-scratch", "random"),
                   ("hat-mnv2-imagenet", "ImageNet MobileNetV2")):
    last = [json.loads(l) for l in open(os.path.join(out, name, "log.jsonl"))][-1]["metrics"]
    seconds = int(open(os.path.join(out, name, "seconds")).read())
    print(f"| {name.split('-')[0]}-{name.split('-')[1]} | {init} | {100 * last['mAP']:.1f} % | "
          f"{100 * last['cmc'][0]:.1f} % | {seconds // 60} min {seconds % 60} s |")
PY
