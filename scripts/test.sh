#!/usr/bin/env bash
# Runs the whole suite (GoogleTest through ctest, then lit) on a built tree and
# ends with one line, "N passed, N failed", counting both together. Exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

ctest --test-dir build --output-on-failure -j"$(nproc)" 2>&1 | tee "$log/ctest"
ctest_rc=${PIPESTATUS[0]}
/usr/lib/llvm-22/bin/lit -sv build/test 2>&1 | tee "$log/lit"
lit_rc=${PIPESTATUS[0]}

# ctest: "100% tests passed, 0 tests failed out of 14"
ctest_total=$(sed -nE 's/.* tests failed out of ([0-9]+).*/\1/p' "$log/ctest" | tail -1)
ctest_failed=$(sed -nE 's/.* ([0-9]+) tests failed out of.*/\1/p' "$log/ctest" | tail -1)
ctest_total=${ctest_total:-0}
ctest_failed=${ctest_failed:-0}
ctest_passed=$((ctest_total - ctest_failed))

# lit: "  Passed: 12 (92.31%)", "  Failed: 1 (7.69%)", ...
count() { sed -nE "s/^ *$1: *([0-9]+).*/\1/p" "$log/lit" | tail -1; }
lit_passed=$(( $(count 'Passed' || true)+0 + $(count 'Expectedly Failed' || true)+0 ))
lit_failed=$(( $(count 'Failed' || true)+0 + $(count 'Unexpectedly Passed' || true)+0 \
  + $(count 'Unresolved' || true)+0 + $(count 'Timed Out' || true)+0 ))

passed=$((ctest_passed + lit_passed))
failed=$((ctest_failed + lit_failed))
# A runner that died before its summary counts as a failure.
if [[ $ctest_rc -ne 0 && $ctest_failed -eq 0 ]]; then failed=$((failed + 1)); fi
if [[ $lit_rc -ne 0 && $lit_failed -eq 0 ]]; then failed=$((failed + 1)); fi
if [[ $passed -eq 0 ]]; then failed=$((failed + 1)); fi

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
