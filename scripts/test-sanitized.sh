#!/usr/bin/env bash
# scripts/test-sanitized.sh [--ci | --all | SUITE...]: test suites under AddressSanitizer and
# UndefinedBehaviorSanitizer (the clang build folder build-asan/, scripts/build-sanitized.sh).
#   --ci (default): the suites of the parts that do not compute with LibTorch (base, frame,
#        tracking, detection, gallery, publish, the plugin's GStreamer-free cores and hatmatch's
#        element), what scripts/test.sh runs;
#   --all: every suite (LibTorch's own code is not instrumented; its fixtures are built here
#        too: an hour or more on 2 cores), the run docs/RELIABILITY.md records.
# Every sanitizer report fails its suite (scripts/sanitizer-env.sh); suppressions, in
# tests/sanitizers/, cover only code outside the project, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
ci_suites="json_lines_writer layer_check crop image_file tracking person_detector datasets mot_metrics half_float gallery_store postgres_gallery sighting_index identity_matcher identity_event_json tracked_object_events embed_scheduler gst_match_threads"
mode=${1:---ci}
case "$mode" in
  --ci) suites=$ci_suites ;;
  --all) suites="" ;;
  *) suites="$*" ;;
esac
targets=()
for s in $suites; do targets+=("tests/test_$s"); done
scripts/build-sanitized.sh "${targets[@]:-all}" >/dev/null
source scripts/sanitizer-env.sh
# shellcheck disable=SC2086  # the suite names are words
meson test -C build-asan --no-rebuild --print-errorlogs --num-processes "$(nproc)" \
  --timeout-multiplier 3 $suites
echo "sanitized: ${mode#--} suites passed under AddressSanitizer and UndefinedBehaviorSanitizer"
