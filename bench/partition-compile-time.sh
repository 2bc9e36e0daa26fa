#!/usr/bin/env bash
# Wall time of tp-opt to partition chains of 10 to 10,000 layers for 4
# devices, for each strategy, with the full partition pipeline (mesh,
# fusion, strategy, partition, collective optimization, canonicalize).
# The time to parse and print the module is included, as a user sees it;
# the pass-only time comes from --mlir-timing.
#
# Then the full compile as tp-run does it (partition, lowering to LLVM, LLVM
# optimization and JIT code generation) for 10 to 10,000 layers on 2
# devices, from tp-run's own "partitioned ... in" and "compiled ... in"
# lines, and the process's wall time.
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

echo
echo "full compile (tp-run, 2 devices, alternate, batch 4):"
printf '%-8s %14s %12s %10s %10s\n' layers "partition ms" "compile ms" "wall s" "ms/layer"
for n in 10 100 1000 10000; do
  python3 bench/gen_chain.py "$n" 64 4 > "$tmp/chain$n.mlir"
  start=$(date +%s%N)
  out=$("$build/bin/tp-run" "$tmp/chain$n.mlir" --devices 2 --batch 4)
  end=$(date +%s%N)
  part=$(sed -n 's/^partitioned .* in \([0-9.]*\) ms.*/\1/p' <<<"$out")
  comp=$(sed -n 's/^compiled .* in \([0-9.]*\) ms.*/\1/p' <<<"$out")
  wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) / 1e9 }')
  printf '%-8s %14s %12s %10s %10.1f\n' "$n" "$part" "$comp" "$wall" \
    "$(awk -v c="$comp" -v n="$n" 'BEGIN { print c / n }')"
done
