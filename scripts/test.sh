#!/usr/bin/env bash
# Runs the whole suite (GoogleTest through ctest, then lit) in every built
# tree, build/ and, when scripts/build.sh --sanitize made it, build-asan/
# (AddressSanitizer and UndefinedBehaviorSanitizer), and ends with one line,
# "N passed, N failed", counting everything together (", N skipped" follows
# for tests that need hardware this machine lacks). Exits non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

passed=0 failed=0 skipped=0
run_tree() {
  local tree=$1 name=$2
  echo "=== $name ($tree) ==="
  local start=$SECONDS
  ctest --test-dir "$tree" --output-on-failure -j"$(nproc)" 2>&1 | tee "$log/ctest"
  local ctest_rc=${PIPESTATUS[0]}
  /usr/lib/llvm-22/bin/lit -sv "$tree/test" 2>&1 | tee "$log/lit"
  local lit_rc=${PIPESTATUS[0]}

  # ctest: "100% tests passed, 0 tests failed out of 14"
  local total fails
  total=$(sed -nE 's/.* tests failed out of ([0-9]+).*/\1/p' "$log/ctest" | tail -1)
  fails=$(sed -nE 's/.* ([0-9]+) tests failed out of.*/\1/p' "$log/ctest" | tail -1)
  total=${total:-0}
  fails=${fails:-0}
  # lit: "  Passed: 12 (92.31%)", or "  Passed     : 12 (92.31%)" when a
  # longer label (Unsupported) sets the width.
  count() { sed -nE "s/^ *$1 *: *([0-9]+).*/\1/p" "$log/lit" | tail -1; }
  local lp lf ls
  lp=$(( $(count 'Passed' || true)+0 + $(count 'Expectedly Failed' || true)+0 ))
  lf=$(( $(count 'Failed' || true)+0 + $(count 'Unexpectedly Passed' || true)+0 \
    + $(count 'Unresolved' || true)+0 + $(count 'Timed Out' || true)+0 ))
  ls=$(( $(count 'Unsupported' || true)+0 ))
  local tp=$((total - fails + lp)) tf=$((fails + lf))
  # A runner that died before its summary counts as a failure.
  if [[ $ctest_rc -ne 0 && $fails -eq 0 ]]; then tf=$((tf + 1)); fi
  if [[ $lit_rc -ne 0 && $lf -eq 0 ]]; then tf=$((tf + 1)); fi
  if [[ $tp -eq 0 ]]; then tf=$((tf + 1)); fi
  echo "=== $name: $tp passed, $tf failed, $ls not supported here, in $((SECONDS - start)) s ==="
  passed=$((passed + tp))
  failed=$((failed + tf))
  skipped=$((skipped + ls))
}

run_tree build "Release"
if [[ -f build-asan/build.ninja ]]; then
  run_tree build-asan "ASan + UBSan"
fi

echo
if [[ $skipped -gt 0 ]]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
