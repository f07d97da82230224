#!/usr/bin/env bash
# scripts/fuzz.sh TARGET [SECONDS] [LIBFUZZER ARGS...]: runs one libFuzzer target of tests/fuzz
# (model_file, npy, labels_tsv, dataset_folder, train_config, detector_output, gallery_file,
# http_api, mqtt_events; "list" names them) for SECONDS (default 600) from its committed seed
# corpus, under AddressSanitizer and UndefinedBehaviorSanitizer, with a 2 GB memory limit and a
# 10 s limit per input. New coverage goes to build-asan/fuzz-corpus/TARGET (not committed); a
# crash, a sanitizer report, an uncaught exception, a hang or an allocation over the limit stops
# the run with the input saved as build-asan/fuzz-findings/TARGET/crash-* (or timeout-*, oom-*):
# fix it and commit the input to tests/fuzz/regressions/TARGET/ (scripts/test-fuzz.sh replays
# every one). Builds the targets first (scripts/build-sanitized.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [LIBFUZZER ARGS...]}
seconds=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
targets="model_file npy labels_tsv dataset_folder train_config detector_output gallery_file http_api mqtt_events"
if [ "$target" = list ]; then echo "$targets"; exit 0; fi
case " $targets " in *" $target "*) ;; *) echo "fuzz.sh: no target '$target' (one of: $targets)" >&2; exit 2 ;; esac
scripts/build-sanitized.sh "tests/fuzz/fuzz_$target" >/dev/null
source scripts/sanitizer-env.sh
limit=2048
corpus=build-asan/fuzz-corpus/$target findings=build-asan/fuzz-findings/$target
mkdir -p "$corpus" "$findings"
exec build-asan/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -rss_limit_mb=$limit \
  -malloc_limit_mb=$limit -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/" "$@" \
  "$corpus" "tests/fuzz/corpus/$target"
