#!/usr/bin/env bash
# Packs what a lent GPU machine (the device tool: CUDA, PyTorch, no GStreamer/OpenCV libraries, no
# package registry) needs to run this build's GPU tests and benchmarks: the tools, the test
# binaries that hold GPU tests, and every shared library they load that is neither glibc,
# libstdc++, LibTorch nor CUDA (the device's own PyTorch provides those: the same 2.11 wheel).
# The GStreamer test binary stays behind: with GStreamer's libraries the kit would pass the
# device tool's 64 MiB limit. Writes .device-kit/kit.tar.xz (git-ignored); carry .device-kit and
# run scripts/device-run.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --all
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
binaries=(inference/hat-model train/hat-train tests/test_preprocess_gpu tests/test_mixed_precision
          tests/test_embedding_engine tests/test_trainer)
for b in "${binaries[@]}"; do
  cp "build/$b" "$stage/bin/"
  strip --strip-unneeded "$stage/bin/$(basename "$b")"
done
for b in "${binaries[@]}"; do ldd "build/$b"; done | awk '/=> \// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libdl|librt|libpthread|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so' |
  grep -v -E 'site-packages/(torch|nvidia)/|/libcuda\.so|/libnvidia' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
mkdir -p .device-kit
tar -C "$stage" -cf - bin lib | xz -T0 -9 >.device-kit/kit.tar.xz.tmp
mv .device-kit/kit.tar.xz.tmp .device-kit/kit.tar.xz
size=$(stat -c %s .device-kit/kit.tar.xz)
if [ "$size" -gt $((60 * 1024 * 1024)) ]; then
  echo "device-kit: .device-kit/kit.tar.xz is $((size >> 20)) MiB, over what a device call can carry" >&2
  exit 1
fi
echo "wrote .device-kit/kit.tar.xz ($(du -h .device-kit/kit.tar.xz | cut -f1)):" \
  "$(ls "$stage/bin" | wc -l) binaries, $(ls "$stage/lib" | wc -l) libraries"
