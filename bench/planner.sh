#!/usr/bin/env bash
# The planner's validation benchmark (bench/planner.py): on a dozen chains,
# --strategy auto against every uniform strategy and hand-picked mixes,
# measured on the threads backend at D = 2; the auto plan's predicted time
# per layer against the measured one; and a memory limit that forces a
# different plan, with peak RSS per MPI rank. OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE pin OpenBLAS to a slow kernel on some machines; they are
# unset for this command, and only here.
#
# Usage (from the repository root, after scripts/build.sh):
#   bash bench/planner.sh [--rounds N] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
exec python3 bench/planner.py "$@"
