#!/usr/bin/env bash
# The benchmark command: builds tp-mlir with bench/ and runs, in one go,
#   - the machine's FP32 FMA peak on 1 and 2 cores, the ceiling for the rest;
#   - the local GEMM against OpenBLAS cblas_sgemm at 1 thread;
#   - the two chains (4 x 4096 at batch 1024, 8 x 1024 at batch 256, bias and
#     ReLU) on tp-mlir D = 1 and 2 (every strategy and the planner's, with
#     the default `--matmul auto`), OpenBLAS, oneDNN,
#     PyTorch (Debian's python3-torch) and JAX/XLA (PyPI, in bench/.venv)
#     at 1 and 2 threads;
#   - threads all_reduce and all_gather bandwidth on 16 MiB against memcpy,
#     and the latency of a 4 KiB all_reduce;
#   - D=2 against D=1 and against oneDNN at 2 threads, interleaved round by
#     round in one process so that outside load hits all alike;
#   - the generated matmul's weights packed once where they are placed
#     (the default) against packed by every call;
#   - the MPI backend (bench/mpi.sh): both chains on MPI D = 2 against
#     threads D = 2 and D = 1, its collectives against MPI's called
#     directly, and peak memory per process at D = 1, 2 and 4;
#   - compile time against depth (bench/partition-compile-time.sh): tp-opt's
#     partitioning and tp-run's full compile, up to 10,000 layers;
#   - where the two chains' time goes at D = 2 (bench/profile.sh, perf).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE pin OpenBLAS to a slow kernel on some
# machines; they are unset for every run here, and only here. oneDNN's OpenMP
# threads would otherwise keep spinning after each inner product and steal a
# core from tp-mlir's ranks: OMP_WAIT_POLICY=passive.
#
# Usage (as root, from the repository root): bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMP_WAIT_POLICY=passive

bash scripts/install-deps.sh
missing=()
for p in libdnnl-dev python3-torch python3-venv; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ ! -x bench/.venv/bin/python ]]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q "jax[cpu]" numpy
fi

bash scripts/build.sh >/dev/null
cmake -DTP_BUILD_BENCH=ON build >/dev/null
cmake --build build --target tp-bench >/dev/null

echo "# tp-mlir benchmarks"
echo
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
build/bin/tp-bench peak
echo
build/bin/tp-bench gemm
echo
for t in 1 2; do
  OMP_NUM_THREADS=$t build/bin/tp-bench chain --threads "$t"
  /usr/bin/python3 bench/peers.py torch "$t"
  bench/.venv/bin/python bench/peers.py jax "$t"
  echo
done
build/bin/tp-bench ratios
echo
build/bin/tp-bench packed-weights
echo
build/bin/tp-bench collectives
echo
bash bench/mpi.sh
echo
bash bench/partition-compile-time.sh
echo
bash bench/profile.sh --devices 2
echo
bash bench/profile.sh --devices 2 --layers 4 --width 4096 --batch 1024
