#!/usr/bin/env bash
# Benchmark (not a test) of clean-build wall time, for one or more git revisions measured in the
# same run, so that their ratio holds on a shared machine:
#
#   scripts/bench-build.sh [REV[:MESON_OPTION] ...]    (default: HEAD)
#   e.g. `scripts/bench-build.sh 3795e06 HEAD`, or `scripts/bench-build.sh HEAD:-Dtorch_pch=false HEAD`
#   QUICK_ONLY=1 skips the whole-tree builds.
#
# For each revision it exports the tree (git archive) into a scratch folder that borrows this
# checkout's .venv, then times, each from a clean build folder:
#   1. the Quick start's build: the revision's own `scripts/build.sh` (what scripts/quickstart.sh
#      builds before it trains the default model);
#   2. the whole tree: `ninja` of every default target (tools, plugin, test programs).
# Configuration (meson setup) is timed apart. Needs .venv (scripts/install-deps.sh) and an
# otherwise idle machine: the other core's load changes the times, not the step counts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -x .venv/bin/python ] || { echo "bench-build: .venv missing: run scripts/install-deps.sh" >&2; exit 1; }
revs=("$@")
((${#revs[@]})) || revs=(HEAD)
scratch=$(mktemp -d /tmp/hat-bench-build.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# seconds LOG CMD...: runs CMD with its output in LOG, prints its wall time in seconds.
seconds() {
  local log=$1 t0=$SECONDS
  shift
  "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; return 1; }
  echo $((SECONDS - t0))
}
# The number of build steps ninja ran, from its "[n/total]" lines.
steps() { grep -o '^\[[0-9]*/[0-9]*\]' "$1" | tail -1 | sed 's/.*\///; s/\]//'; }

rows=()
for spec in "${revs[@]}"; do
  rev=${spec%%:*}
  option=""
  [ "$spec" = "$rev" ] || option=${spec#*:}
  sha=$(git rev-parse --short "$rev")
  src="$scratch/$sha"
  mkdir -p "$src"
  git archive "$rev" | tar -x -C "$src"
  ln -s "$root/.venv" "$src/.venv"
  echo "== $rev ($sha) $option: Quick start build (scripts/build.sh)" >&2
  t_setup=$( (cd "$src" && seconds "$scratch/setup.log" meson setup build $option) )
  t_quick=$( (cd "$src" && seconds "$scratch/quick.log" scripts/build.sh) )
  quick_steps=$(steps "$scratch/quick.log")
  if [ -n "${QUICK_ONLY:-}" ]; then
    t_all="-"
    all_steps="-"
  elif [ "$(ninja -C "$src/build" -n | grep -c '^\[')" = 0 ]; then
    # That revision's Quick start already builds every default target: one build is both.
    t_all="$t_quick (the same build)"
    all_steps=$quick_steps
  else
    echo "== $rev ($sha): whole tree (ninja, clean)" >&2
    rm -rf "$src/build"
    (cd "$src" && meson setup build $option >"$scratch/setup.log" 2>&1)
    t_all=$( (cd "$src" && seconds "$scratch/all.log" ninja -C build) )
    all_steps=$(steps "$scratch/all.log")
  fi
  rows+=("| $rev ($sha)${option:+ $option} | $t_setup | $t_quick | $quick_steps | $t_all | $all_steps |")
  rm -rf "$src"
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo "| revision | meson setup (s) | Quick start build (s) | its steps | whole tree, clean (s) | its steps |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
