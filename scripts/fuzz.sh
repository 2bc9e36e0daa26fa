#!/usr/bin/env bash
# Runs the libFuzzer targets, each for a bounded time, from the committed seed
# corpus (fuzz/corpus/<target>) and the regression inputs
# (fuzz/regressions/<target>), on the sanitizer build (ASan + UBSan).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 600 s; ir,
#                                                  safetensors and npy)
#
# New interesting inputs go to a scratch corpus, not into the repository. A
# crash (or, for ir, a partitioned result outside the rounding bounds)
# leaves its input in fuzz/crashes/; copy it into fuzz/regressions/<target>
# once fixed, and the suite replays it. The last line of each target gives
# the executions and the coverage (edges, features) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(ir safetensors npy)
bash scripts/build.sh --sanitize >/dev/null
mkdir -p fuzz/crashes
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
status=0
for t in "${targets[@]}"; do
  scratch=$(mktemp -d)
  log=$(mktemp)
  echo "== $t: ${seconds} s"
  if ! build-asan/bin/tp-fuzz-"$t" "$scratch" "fuzz/corpus/$t" \
      "fuzz/regressions/$t" -max_total_time="$seconds" -timeout=30 \
      -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="fuzz/crashes/$t-" >"$log" 2>&1; then
    status=1
    echo "   FOUND A FAILURE; the input is in fuzz/crashes/:"
    grep -E "ERROR|error|differs|==[0-9]+==" "$log" | head -5
  fi
  # The last status line holds the coverage: "#N ... cov: E ft: F corp: C/S".
  last=$(grep -E "^#[0-9]+.* cov: " "$log" | tail -1 || true)
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
  cov=$(echo "$last" | sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/\1 edges, \2 features, \3 inputs in the corpus/p')
  echo "   executions: ${runs:-?}; coverage at the end: ${cov:-?}"
  echo "   new inputs found: $(ls "$scratch" | wc -l)"
  rm -rf "$scratch" "$log"
done
exit $status
