#!/usr/bin/env bash
# Wall time of tp-opt to partition chains of 10 to 10,000 layers for 4
# devices, for each strategy, with the full partition pipeline (mesh,
# fusion, strategy, partition, collective optimization, canonicalize).
# The time to parse and print the module is included, as a user sees it;
# the pass-only time comes from --mlir-timing.
#
# Usage: bench/partition-compile-time.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-8s %-11s %10s %10s %8s\n' layers strategy "wall ms" "passes ms" "ms/layer"
for n in 10 100 1000 10000; do
  python3 bench/gen_chain.py "$n" 64 4 > "$tmp/chain$n.mlir"
  for s in alternate row column; do
    start=$(date +%s%N)
    "$build/bin/tp-opt" "$tmp/chain$n.mlir" \
      --tp-partition-pipeline="strategy=$s" -o "$tmp/out.mlir"
    end=$(date +%s%N)
    wall=$(( (end - start) / 1000000 ))
    # Pass time = total - parser - output, from the timing report.
    passes=$("$build/bin/tp-opt" "$tmp/chain$n.mlir" \
      --tp-partition-pipeline="strategy=$s" -o /dev/null --mlir-timing 2>&1 |
      awk '/Total Execution Time/ { total = $4 }
           $NF == "Parser" || $NF == "Output" { io += $1 }
           END { printf "%.0f", (total - io) * 1000 }')
    printf '%-8s %-11s %10s %10s %8.3f\n' "$n" "$s" "$wall" "$passes" \
      "$(awk -v w="$wall" -v n="$n" 'BEGIN { print w / n }')"
  done
done
