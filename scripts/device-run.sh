#!/usr/bin/env bash
# Runs on a lent GPU machine, from the repository root, with .device-kit carried (made here by
# scripts/device-kit.sh). `tests`: the GPU tests (kernel vs CPU preprocessing, reduced precision
# and CUDA graphs vs fp32, training on CUDA); `bench`: scripts/bench-gpu.sh.
# Logs and JSON go to $OUT (the device tool's folder that comes back), else runs/device.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-tests}
out=${OUT:-runs/device}
mkdir -p "$out"
kit=/tmp/hat-kit
if [ ! -x $kit/bin/hat-model ]; then
  mkdir -p $kit && tar -xJf .device-kit/kit.tar.xz -C $kit || exit 1
fi
torch_dir=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
export LD_LIBRARY_PATH=$kit/lib:$torch_dir/lib:$torch_dir/../nvidia/cu13/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
missing=$(ldd $kit/bin/* 2>&1 | grep "not found" | sort -u)
if [ -n "$missing" ]; then
  echo "libraries not found on this machine:"
  echo "$missing"
  exit 1
fi
export HAT_BIN=$kit/bin HAT_TEST_DATA=$kit/data HAT_FIXTURES=$PWD/tests/fixtures \
  HAT_SOURCE_ROOT=$PWD HAT_MODEL_TOOL=$kit/bin/hat-model HAT_TRAIN_TOOL=$kit/bin/hat-train \
  OMP_NUM_THREADS=8
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
head -15 "$out/nvidia-smi.txt"

case $what in
  tests)
    mkdir -p $kit/data
    if [ ! -f $kit/data/synthetic-reid-model.hat ]; then
      # The tests' trained model (tiny preset, synthetic people), made as the CPU build makes it.
      HAT_TRAIN_THREADS=8 tests/oracles/train_synthetic_model.sh $kit/bin/hat-train \
        $kit/data/synthetic-reid-model.hat || exit 1
    fi
    status=0
    for t in "test_preprocess_gpu:*" "test_mixed_precision:*" "test_embedding_engine:Engine.*" \
      "test_trainer:Trainer.LearnsOnCudaWithMixedPrecision"; do
      bin=${t%%:*} filter=${t#*:}
      $kit/bin/$bin --gtest_filter="$filter" >"$out/$bin.txt" 2>&1 || status=1
      grep -E "^\[ +(OK|FAILED|SKIPPED) +\] .*\([0-9]+ ms\)$|cosine|mAP" "$out/$bin.txt"
      # On this machine a skipped GPU test means the tests could not see the GPU: a failure.
      if grep -q "SKIPPED: no CUDA" "$out/$bin.txt"; then
        echo "$bin: GPU tests skipped on a GPU machine (CUDA not visible to them)"
        status=1
      fi
    done
    exit $status
    ;;
  bench)
    scripts/bench-gpu.sh "$out" "${2:-10}"
    ;;
  *)
    echo "usage: scripts/device-run.sh tests|bench [SECONDS]" >&2
    exit 2
    ;;
esac
