#!/usr/bin/env bash
# What the activations cost in compiled code on the threads backend at
# D = 2: the polynomial approximations of tanh, erf and exp that LLVM
# vectorizes (tp-approximate-math, the default) against libm calls
# (--libm-math), and optionally against another build's tp-run.
#   bash bench/activations.sh [--rounds N] [--baseline PATH/TO/tp-run]
# Each activation is timed on a batch-split layer of 8 inputs and 1024
# outputs at 2048 rows per rank, whose compute is mostly its epilogue (the
# profile's compute time per output element, GEMM included), and on the
# 8 x 1024 chain at batch 256 with the activations cycling (ms per
# iteration). Configurations alternate within each round; the median over
# the rounds is reported. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE pin
# OpenBLAS to a slow kernel on some machines; they are unset here, for
# these runs only.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
rounds=5
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "usage: bash bench/activations.sh [--rounds N] [--baseline TP_RUN]" >&2; exit 2 ;;
  esac
done
run=build/bin/tp-run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $rounds rounds"
acts="identity relu gelu gelu_tanh sigmoid tanh silu"
for a in $acts; do
  cat > "$work/$a.mlir" <<MLIR
func.func @layer(%x: tensor<?x8xf32>, %w: tensor<1024x8xf32> {tp.name = "w"},
    %b: tensor<1024xf32> {tp.name = "b"}) -> tensor<?x1024xf32> {
  %y = tp.linear %x, %w, %b activation($a) sharding(batch)
      : tensor<?x8xf32>, tensor<1024x8xf32>, tensor<1024xf32> -> tensor<?x1024xf32>
  return %y : tensor<?x1024xf32>
}
MLIR
done
python3 bench/gen_chain.py 8 1024 2 > "$work/chain.mlir"
configs="default libm"
if [ -n "$baseline" ]; then configs="$configs baseline"; fi
flags() {
  case "$1" in
    default) echo "$run" ;;
    libm) echo "$run --libm-math" ;;
    baseline) echo "$baseline" ;;
  esac
}
for r in $(seq "$rounds"); do
  for a in $acts; do
    for c in $configs; do
      # Compute ms of the layer, per output element (2048 x 1024 per rank).
      $(flags "$c") "$work/$a.mlir" --devices 2 --batch 4096 --warmup 2 \
        --iterations 20 | awk -v a="$a" -v c="$c" \
        '/layer \(source\)/ {getline; printf "%s %s %.3f\n", a, c, $2 * 1e6 / (2048 * 1024)}'
    done
  done
  for c in $configs; do
    $(flags "$c") "$work/chain.mlir" --devices 2 --batch 256 --warmup 3 \
      --iterations 20 | sed -n "s/.* in \([0-9.]*\) ms per iteration.*/chain $c \1/p"
  done
done > "$work/times"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo
printf "%-10s" "layer"
for c in $configs; do printf " %12s" "$c"; done
echo "   (ns per output element, compute)"
for a in $acts chain; do
  printf "%-10s" "$a"
  for c in $configs; do
    printf " %12s" "$(awk -v a="$a" -v c="$c" '$1 == a && $2 == c {print $3}' "$work/times" | median)"
  done
  [ "$a" = chain ] && printf "   (8 x 1024 chain at batch 256: ms per iteration)"
  echo
done
