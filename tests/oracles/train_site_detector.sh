#!/usr/bin/env bash
# The site detector of the detector tests: `hat-train detector` on the sample video, shortened
# (two composite scenes, 160 + 60 iterations; about two minutes on 2 cores). Writes the ONNX
# file and its summary.json (validation precision and recall) beside it.
set -euo pipefail
# The build runs this beside the compilers and the other fixtures: OpenMP's waiting threads sleep
# instead of spinning on cores that others need (same arithmetic, the same model; measured at
# half the CPU time of a training run beside another busy process).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
train=$1 onnx=$2 summary=$3 root=$4
work="$onnx.work"
rm -rf "$work"
OMP_NUM_THREADS=${HAT_TRAIN_THREADS:-2} "$train" detector --video "$root/data/vtest.avi" \
  --output "$work" --pretrained "$root/data/pretrained/mobilenetv2-imagenet.pth" \
  --iterations 160 --self-training-iterations 60 --set composites.scenes=2 \
  --set composites.frames=120 --seed 3 --quiet >/dev/null
cp "$work/summary.json" "$summary.tmp"
cp "$work/detector.onnx" "$onnx.tmp"
mv "$summary.tmp" "$summary"
mv "$onnx.tmp" "$onnx"
rm -rf "$work"
