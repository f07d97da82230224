#!/usr/bin/env bash
# Benchmark (not a test): what self-supervised adaptation gives on a site the training never saw.
# On the synthetic two-camera sites of `hat-train synth-site` (seeds 0 and 1: pastel clothes,
# sodium light, blur, paved backgrounds), mAP and Rank-1 on each site's labeled test crops (other
# people than those of the videos adapted on) for
#   (a) hat-r18 from random weights, trained on the Quick start's synthetic set (the default
#       before hat-mnv2),
#   (b) hat-mnv2 from ImageNet MobileNetV2, trained on the same set (the Quick start's first step),
#   (c) (b) adapted with `hat-train adapt` on the site's two unlabeled videos (the Quick start's settings: 2 rounds of 10 epochs of at most 8 batches),
#   (d) hat-mnv2 from ImageNet trained on the varied look of `hat-train synth` (side light, casts,
#       saturation, motion blur, compression, misframed boxes, neighbours, occluders), procedural
#       backgrounds,
#   (e) the same, with the backgrounds cut from the site's own two videos (one model per site),
#   (f) (e) adapted like (c): the Quick start's recipe,
#   (g) (d) adapted like (c),
#   (h) (b) adapted like (c) with hard-negative batches (--set hard_negative_batches=true),
# with the time each stage takes, as Markdown tables. Everything runs in one go, one thing at a
# time, so the times compare. (a), (b) and (d) of an earlier run are reused when their models are
# there (delete runs/bench-adapt to train them again).
#   scripts/bench-adapt.sh        (about 60 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/bench-adapt
mkdir -p "$out"
rm -rf "$out"/site-* "$out"/c-* "$out"/e-* "$out"/f-* "$out"/g-* "$out"/h-* "$out"/eval-*
timed() {  # name, then a command; its seconds land in $out/NAME.seconds
  local name=$1 start=$SECONDS
  shift
  "$@" >"$out/$name.log" 2>&1 || { cat "$out/$name.log" >&2; exit 1; }
  echo $((SECONDS - start)) >"$out/$name.seconds"
}
if [ ! -f "$out/a/model.hat" ] || [ ! -f "$out/b/model.hat" ]; then
  rm -rf "$out/data" "$out/a" "$out/b"
  timed synth build/train/hat-train synth --layout market1501 --out "$out/data" --ids 100 \
    --distractors 20 --junk 5 --seed 0
  common=(--dataset market1501 --root "$out/data" --epochs 8 --set warmup_epochs=1
    --set eval_every=4 --quiet)
  timed train-a build/train/hat-train "${common[@]}" --output "$out/a" --preset hat-r18 \
    --set lr=6e-4
  timed train-b build/train/hat-train "${common[@]}" --output "$out/b" --preset hat-mnv2 \
    --set lr=3.5e-4 --pretrained data/pretrained/mobilenetv2-imagenet.pth
fi
mnv2=(--dataset market1501 --epochs 8 --set warmup_epochs=1 --set eval_every=4 --quiet
  --preset hat-mnv2 --set lr=3.5e-4 --pretrained data/pretrained/mobilenetv2-imagenet.pth)
if [ ! -f "$out/d/model.hat" ]; then
  rm -rf "$out/data-varied" "$out/d"
  timed synth-varied build/train/hat-train synth --layout market1501 --out "$out/data-varied" \
    --ids 100 --distractors 20 --junk 5 --seed 0 --look varied
  timed train-d build/train/hat-train "${mnv2[@]}" --root "$out/data-varied" --output "$out/d"
fi
for seed in 0 1; do
  site=$out/site-$seed
  timed site-$seed build/train/hat-train synth-site --out "$site" --seed $seed
  adapt=(--video "$site/videos" --epochs-per-round 10 --set train.max_batches_per_epoch=8 --seed 0
    --quiet)
  timed adapt-$seed build/train/hat-train adapt --model "$out/b/model.hat" --output "$out/c-$seed" \
    "${adapt[@]}"
  timed synth-e-$seed build/train/hat-train synth --layout market1501 --out "$out/e-$seed/data" \
    --ids 100 --distractors 20 --junk 5 --seed 0 --look varied \
    --background "$site/videos/cam-1.avi" --background "$site/videos/cam-2.avi"
  timed train-e-$seed build/train/hat-train "${mnv2[@]}" --root "$out/e-$seed/data" \
    --output "$out/e-$seed/run"
  timed adapt-f-$seed build/train/hat-train adapt --model "$out/e-$seed/run/model.hat" \
    --output "$out/f-$seed" "${adapt[@]}"
  timed adapt-g-$seed build/train/hat-train adapt --model "$out/d/model.hat" --output "$out/g-$seed" \
    "${adapt[@]}"
  timed adapt-h-$seed build/train/hat-train adapt --model "$out/b/model.hat" --output "$out/h-$seed" \
    "${adapt[@]}" --set hard_negative_batches=true
  for m in a b d; do
    build/evaluation/hat-eval run --dataset market1501 --root "$site/test" --model "$out/$m/model.hat" \
      --json "$out/eval-$m-$seed.json" >/dev/null 2>&1
  done
  build/evaluation/hat-eval run --dataset market1501 --root "$site/test" \
    --model "$out/c-$seed/model.hat" --json "$out/eval-c-$seed.json" >/dev/null 2>&1
  build/evaluation/hat-eval run --dataset market1501 --root "$site/test" \
    --model "$out/e-$seed/run/model.hat" --json "$out/eval-e-$seed.json" >/dev/null 2>&1
  build/evaluation/hat-eval run --dataset market1501 --root "$site/test" \
    --model "$out/f-$seed/model.hat" --json "$out/eval-f-$seed.json" >/dev/null 2>&1
  for m in g h; do
    build/evaluation/hat-eval run --dataset market1501 --root "$site/test" \
      --model "$out/$m-$seed/model.hat" --json "$out/eval-$m-$seed.json" >/dev/null 2>&1
  done
done
.venv/bin/python - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
def seconds(name):
    s = int(open(os.path.join(out, name + ".seconds")).read())
    return f"{s // 60} min {s % 60} s"
rows = (("a", "hat-r18 from random weights + synthetic people"),
        ("b", "hat-mnv2 from ImageNet + synthetic people"),
        ("c", "(b) + hat-train adapt on the site's videos"),
        ("d", "hat-mnv2 from ImageNet + varied synthetic people"),
        ("e", "hat-mnv2 from ImageNet + varied synthetic people on the site's backgrounds"),
        ("f", "(e) + hat-train adapt on the site's videos"),
        ("g", "(d) + hat-train adapt on the site's videos"),
        ("h", "(c) with hard-negative batches"))
print("| model | site 0 mAP | site 0 Rank-1 | site 1 mAP | site 1 Rank-1 |")
print("|---|---|---|---|---|")
for key, name in rows:
    cells = []
    for seed in (0, 1):
        e = json.load(open(os.path.join(out, f"eval-{key}-{seed}.json")))
        cells += [f"{100 * e['mAP']:.1f} %", f"{100 * e['cmc'][0]:.1f} %"]
    print(f"| ({key}) {name} | " + " | ".join(cells) + " |")
print()
print("| stage | time |")
print("|---|---|")
print(f"| synthetic training set (hat-train synth) | {seconds('synth')} |")
print(f"| (a) training, 8 epochs | {seconds('train-a')} |")
print(f"| (b) training, 8 epochs | {seconds('train-b')} |")
if os.path.exists(os.path.join(out, "train-d.seconds")):
    print(f"| varied synthetic training set (hat-train synth --look varied) | {seconds('synth-varied')} |")
    print(f"| (d) training, 8 epochs | {seconds('train-d')} |")
for seed in (0, 1):
    summary = json.load(open(os.path.join(out, f"c-{seed}", "tracklets.json")))
    labels = json.load(open(os.path.join(out, f"c-{seed}", "round-2", "labels.json")))
    cal = json.load(open(os.path.join(out, f"c-{seed}", "calibration.json")))
    print(f"| site {seed}: rendering (hat-train synth-site) | {seconds(f'site-{seed}')} |")
    print(f"| site {seed}: (c) adapt: {len(summary['tracklets'])} tracklets -> "
          f"{labels['clusters']} pseudo-identities, 2 rounds x 10 epochs of at most 8 batches (the Quick start's settings), threshold "
          f"{cal['threshold']:.3f} | {seconds(f'adapt-{seed}')} |")
    print(f"| site {seed}: (e) varied set on the site's backgrounds | {seconds(f'synth-e-{seed}')} |")
    print(f"| site {seed}: (e) training, 8 epochs | {seconds(f'train-e-{seed}')} |")
    cal = json.load(open(os.path.join(out, f"f-{seed}", "calibration.json")))
    print(f"| site {seed}: (f) adapt, threshold {cal['threshold']:.3f} | {seconds(f'adapt-f-{seed}')} |")
    cal = json.load(open(os.path.join(out, f"g-{seed}", "calibration.json")))
    print(f"| site {seed}: (g) adapt, threshold {cal['threshold']:.3f} | {seconds(f'adapt-g-{seed}')} |")
    cal = json.load(open(os.path.join(out, f"h-{seed}", "calibration.json")))
    print(f"| site {seed}: (h) adapt, threshold {cal['threshold']:.3f} | {seconds(f'adapt-h-{seed}')} |")
PY
