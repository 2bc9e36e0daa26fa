#!/usr/bin/env bash
# What tp-overlap-collectives (tp-run --overlap-chunks) saves on the threads
# backend at D = 2, on chains whose collectives are a large share of each
# layer: every chunk count is timed once per round, interleaved, and the
# median over the rounds is reported, with the share of communication
# measured by the per-layer profile of the run without chunks.
#   bash bench/overlap.sh [--rounds N]   (default 5)
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE pin OpenBLAS to a slow kernel on
# some machines; they are unset here, for these runs only.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
rounds=5
if [ "${1:-}" = "--rounds" ]; then rounds=$2; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $rounds rounds"
echo
# layers width batch iterations
shapes="4 256 8192 20
4 1024 2048 10
4 2048 1024 5"
while read -r layers width batch iters; do
  python3 bench/gen_chain.py "$layers" "$width" 2 |
    sed 's/activation([a-z_]*)/activation(relu)/' > "$work/c-$width.mlir"
done <<< "$shapes"
for r in $(seq "$rounds"); do
  while read -r layers width batch iters; do
    for s in row column; do
      for c in 0 2 4 8; do
        out=$(build/bin/tp-run "$work/c-$width.mlir" --devices 2 --strategy $s \
          --batch "$batch" --iterations "$iters" --warmup 2 --overlap-chunks $c)
        ms=$(grep -o 'in [0-9.]* ms per iteration' <<< "$out" | grep -o '[0-9.]*')
        comm=$(grep '^  total' <<< "$out" | awk '{print $2, $3}')
        echo "$layers $width $batch $s $c $ms $comm" >> "$work/results"
      done
    done
  done <<< "$shapes"
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    layers, width, batch, s, c, ms, compute, comm = line.split()
    rows.setdefault((int(layers), int(width), int(batch), s), {}).setdefault(int(c), []).append((float(ms), float(compute), float(comm)))
print("| chain | strategy | comm share (no chunks) | no chunks ms | 2 chunks | 4 chunks | 8 chunks | best / no chunks | saved per layer ms |")
print("|---|---|---|---|---|---|---|---|---|")
for (layers, width, batch, s), by in rows.items():
    med = {c: statistics.median(v[0] for v in runs) for c, runs in by.items()}
    base = by[0]
    share = statistics.median(v[2] / (v[1] + v[2]) for v in base)
    best = min((c for c in med if c), key=lambda c: med[c])
    saved = (med[0] - med[best]) / layers
    print(f"| {layers}x{width} batch {batch} | {s} | {share:.0%} | {med[0]:.1f} | "
          + " | ".join(f"{med[c]:.1f}" for c in (2, 4, 8))
          + f" | {med[best] / med[0]:.3f} ({best}) | {saved:+.2f} |")
PY
