#!/usr/bin/env bash
# scripts/test-fuzz.sh [SECONDS]: every fuzz target of tests/fuzz replays its regression inputs
# (tests/fuzz/regressions/TARGET/: inputs that once found a bug) and then fuzzes from its seed
# corpus for its share of SECONDS in all (default 60), two targets at a time, under ASan and
# UBSan (scripts/fuzz.sh has the limits). Any crash, report, hang or over-limit allocation
# fails the run; its input is saved under build-asan/fuzz-findings/. scripts/test.sh runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-60}
targets=$(scripts/fuzz.sh list)
scripts/build-sanitized.sh fuzz >/dev/null
source scripts/sanitizer-env.sh
status=0
for t in $targets; do
  inputs=(tests/fuzz/regressions/"$t"/*)
  [ -e "${inputs[0]}" ] || continue
  if ! build-asan/tests/fuzz/fuzz_"$t" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    "${inputs[@]}" >build-asan/fuzz-replay-"$t".log 2>&1; then
    echo "fuzz: $t: a regression input fails again (build-asan/fuzz-replay-$t.log):"
    grep -E "ERROR|runtime error|Running:" build-asan/fuzz-replay-"$t".log | tail -3
    status=1
  fi
done
count=$(echo "$targets" | wc -w)
share=$(( (total * 2 + count - 1) / count ))  # two at a time: each gets 2 x total / count
echo "$targets" | tr ' ' '\n' | xargs -P 2 -I{} sh -c \
  "scripts/fuzz.sh {} $share >build-asan/fuzz-{}.log 2>&1; echo \"{} \$?\"" \
  >build-asan/fuzz-results.txt || true
for t in $targets; do
  code=$(sed -n "s/^$t //p" build-asan/fuzz-results.txt)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' build-asan/fuzz-"$t".log | tail -1)
  if [ "$code" = 0 ]; then
    echo "fuzz: $t: ${runs:-?} inputs in ${share} s, no finding"
  else
    echo "fuzz: $t: FINDING (build-asan/fuzz-$t.log, input under build-asan/fuzz-findings/$t/):"
    grep -E "ERROR|runtime error|what\(\)|Test unit" build-asan/fuzz-"$t".log | head -4
    status=1
  fi
done
exit $status
