#!/usr/bin/env bash
# The MPI backend's benchmarks, on a built tree with bench/ (bench/run.sh
# builds it and calls this; alone: bash bench/mpi.sh):
#   - both chains on MPI D = 2 against threads D = 2 and D = 1, interleaved
#     (no core binding: rank 0 also runs the threads baselines);
#   - its collectives at 16 MiB and 4 KiB against MPI_Allreduce and
#     MPI_Allgather called directly in the same job, and memcpy;
#   - peak memory per process at D = 1, 2 and 4 (bench/mpi-memory.sh).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE pin OpenBLAS to a slow kernel on
# some machines; they are unset here, for these runs only.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
mpirun --bind-to none -np 2 build/bin/tp-bench mpi-chains
echo
mpirun -np 2 build/bin/tp-bench mpi-collectives
echo
bash bench/mpi-memory.sh
