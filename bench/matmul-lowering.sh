#!/usr/bin/env bash
# BLAS against the generated matmul in whole chains, at D = 1 and D = 2 on
# the threads backend, across batch sizes, and what each costs to compile.
#   bash bench/matmul-lowering.sh [--rounds N]
# Chains (bench/gen_chain.py, every activation cycling): 8 layers of
# 1024 x 1024 at batch 8 to 1024, and 4 layers of 4096 x 4096 at batch 8 to
# 256, row-split. Each configuration runs --matmul blas and --matmul codegen
# alternately, N rounds (default 2); the best time of each is reported, as
# ms per iteration, with blas / codegen (above 1: codegen is faster). Then
# the full compile (partition, lowering, JIT) of a 300-layer chain of
# 64 x 64 with each lowering. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE pin
# OpenBLAS to a slow kernel on some machines; they are unset here, for
# these runs only.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: bash bench/matmul-lowering.sh [--rounds N]" >&2; exit 2 ;;
  esac
done
run=build/bin/tp-run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $rounds rounds"
python3 bench/gen_chain.py 8 1024 2 > "$work/w1024.mlir"
python3 bench/gen_chain.py 4 4096 2 > "$work/w4096.mlir"
python3 bench/gen_chain.py 300 64 2 > "$work/deep.mlir"

# ms per iteration of one run.
time_run() {
  "$run" "$1" --devices "$2" --batch "$3" --matmul "$4" --strategy row \
    --iterations "$5" --warmup 1 |
    sed -n 's/^ran on .* in \([0-9.]*\) ms per iteration.*/\1/p'
}

echo
echo "| chain | batch | D | blas ms | codegen ms | blas / codegen |"
echo "|---|---|---|---|---|---|"
for spec in "w1024 8 20" "w1024 32 20" "w1024 64 10" "w1024 128 10" \
            "w1024 256 5" "w1024 1024 3" "w4096 8 5" "w4096 64 3" \
            "w4096 256 2"; do
  set -- $spec
  for d in 1 2; do
    best_b="" best_c=""
    for _ in $(seq "$rounds"); do
      b=$(time_run "$work/$1.mlir" "$d" "$2" blas "$3")
      c=$(time_run "$work/$1.mlir" "$d" "$2" codegen "$3")
      best_b=$(python3 -c "print(min(x for x in [$b, ${best_b:-$b}]))")
      best_c=$(python3 -c "print(min(x for x in [$c, ${best_c:-$c}]))")
    done
    width=${1#w}
    python3 -c "print('| %s x %s | $2 | $d | %.2f | %.2f | %.3f |' % (
      '8' if '$width' == '1024' else '4', '$width', $best_b, $best_c,
      $best_b / $best_c))"
  done
done

echo
echo "| 300 layers of 64 x 64, D = 2 | full compile s |"
echo "|---|---|"
for m in blas codegen; do
  start=$(date +%s.%N)
  "$run" "$work/deep.mlir" --devices 2 --batch 8 --matmul "$m" > /dev/null
  end=$(date +%s.%N)
  python3 -c "print('| --matmul $m | %.1f |' % ($end - $start))"
done
