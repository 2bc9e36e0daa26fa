#!/usr/bin/env bash
# Where matmul=auto's size line falls (bench/matmul-outputs.py): one-layer
# models split along the batch, at D = 2 and D = 1, with each lowering.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE pin OpenBLAS to a slow kernel on
# some machines; they are unset for this command, and only here.
#
# Usage (from the repository root, after scripts/build.sh):
#   bash bench/matmul-outputs.sh [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exec python3 bench/matmul-outputs.py "$@"
