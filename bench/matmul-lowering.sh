#!/usr/bin/env bash
# The three lowerings of the local matmuls in whole chains, at D = 1 and
# D = 2 on the threads backend, across widths and batch sizes, and what
# each costs to compile.
#   bash bench/matmul-lowering.sh [--rounds N]
# Chains (bench/gen_chain.py, every activation cycling), row-split: 8
# layers of 64 x 64 and 256 x 256 at batch 8 and 256, of 1024 x 1024 at
# batch 8 to 1024, and 4 layers of 4096 x 4096 at batch 8 to 256. Each
# configuration runs --matmul blas, codegen and auto in turn, N rounds
# (default 2); the best time of each is reported, as ms per iteration,
# with blas / codegen and blas / auto (above 1: faster than BLAS). Then
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
for w in 64 256 1024; do
  python3 bench/gen_chain.py 8 "$w" 2 > "$work/w$w.mlir"
done
python3 bench/gen_chain.py 4 4096 2 > "$work/w4096.mlir"
python3 bench/gen_chain.py 300 64 2 > "$work/deep.mlir"

# ms per iteration of one run.
time_run() {
  "$run" "$1" --devices "$2" --batch "$3" --matmul "$4" --strategy row \
    --iterations "$5" --warmup 1 |
    sed -n 's/^ran on .* in \([0-9.]*\) ms per iteration.*/\1/p'
}
lowest() { python3 -c "import sys; print(min(map(float, sys.argv[1:])))" "$@"; }

echo
echo "| chain | batch | D | blas ms | codegen ms | auto ms | blas / codegen | blas / auto |"
echo "|---|---|---|---|---|---|---|---|"
for spec in "w64 8 200" "w64 256 50" "w256 8 100" "w256 256 20" \
            "w1024 8 20" "w1024 32 20" "w1024 64 10" "w1024 128 10" \
            "w1024 256 5" "w1024 1024 3" "w4096 8 5" "w4096 64 3" \
            "w4096 256 2"; do
  set -- $spec
  for d in 1 2; do
    b=() c=() a=()
    for _ in $(seq "$rounds"); do
      b+=("$(time_run "$work/$1.mlir" "$d" "$2" blas "$3")")
      c+=("$(time_run "$work/$1.mlir" "$d" "$2" codegen "$3")")
      a+=("$(time_run "$work/$1.mlir" "$d" "$2" auto "$3")")
    done
    width=${1#w}
    python3 -c "
b, c, a = $(lowest "${b[@]}"), $(lowest "${c[@]}"), $(lowest "${a[@]}")
print('| %s x %s | $2 | $d | %.3f | %.3f | %.3f | %.3f | %.3f |' % (
    '4' if '$width' == '4096' else '8', '$width', b, c, a, b / c, b / a))"
  done
done

echo
echo "| 300 layers of 64 x 64, D = 2 | full compile s |"
echo "|---|---|"
for m in blas codegen auto; do
  start=$(date +%s.%N)
  "$run" "$work/deep.mlir" --devices 2 --batch 8 --matmul "$m" > /dev/null
  end=$(date +%s.%N)
  python3 -c "print('| --matmul $m | %.1f |' % ($end - $start))"
done
