#!/usr/bin/env bash
# Peak resident memory per process of the 4 x 4096 chain (batch 1024, bias,
# activations) read from a safetensors file, on D = 1, 2 and 4 MPI processes:
# each process reads only its shards, so the weights' share falls as 1/D.
# The weights are written once with tp-run --save-weights.
#
# Usage (from the repository root, after building): bash bench/mpi-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_chain.py 4 4096 1 > "$tmp/chain.mlir"
build/bin/tp-run "$tmp/chain.mlir" --devices 1 --batch 1024 \
  --save-weights "$tmp/w.safetensors" > /dev/null
weights=$(( $(stat -c %s "$tmp/w.safetensors") / 1048576 ))
echo "## Peak resident memory per process, 4x4096 chain, batch 1024, MPI"
echo
echo "Weights file: $weights MiB. Each row is one run of"
echo "\`mpirun -np D tp-run chain.mlir --backend mpi --devices D --batch 1024 --weights w.safetensors\`."
echo
echo "| D | peak resident MiB per process, each rank (of it since placing the tensors) | weights per process MiB |"
echo "|---|---|---|"
for d in 1 2 4; do
  line=$(mpirun -np "$d" build/bin/tp-run "$tmp/chain.mlir" --backend mpi \
    --devices "$d" --batch 1024 --weights "$tmp/w.safetensors" |
    grep '^peak memory')
  # "rank R X MiB (Y MiB of it since placing the tensors), ..." -> "X (Y), ..."
  # One process: "X MiB resident (one process), Y MiB of it since ...".
  mib=$(echo "$line" | sed -E 's/^peak memory: resident per process: //;
    s/^peak memory: ([0-9.]+) MiB resident \(one process\)(, ([0-9.]+) MiB of it since placing the tensors)?/\1 (\3)/;
    s/rank [0-9]+ ([0-9.]+) MiB( \(([0-9.]+) MiB of it since placing the tensors\))?/\1 (\3)/g;
    s/ \(\)//g')
  echo "| $d | $mib | $(( weights / d )) |"
done
