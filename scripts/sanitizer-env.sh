# Sourced by the sanitized runs (scripts/test-sanitized.sh, fuzz.sh, test-fuzz.sh): every report
# is fatal, with a stack trace; suppressions (tests/sanitizers/) cover code outside the project,
# each with its reason. GLib's slice allocator would hide GStreamer's buffers from the leak
# checker; plain malloc shows them.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:suppressions=$root/tests/sanitizers/asan.supp ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$root/tests/sanitizers/ubsan.supp ${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0 ${LSAN_OPTIONS:-}"
export G_SLICE=always-malloc G_DEBUG=gc-friendly
