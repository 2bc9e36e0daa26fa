#!/usr/bin/env bash
# Installs the Debian 12 packages tp-mlir builds and tests with. Idempotent:
# when everything is present it prints nothing and touches nothing.
set -euo pipefail

packages=(
  # LLVM/MLIR 22 (from bookworm-security): headers, libMLIR.so, mlir-tblgen,
  # mlir-opt, lit, FileCheck, not.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools lld-22
  # The host toolchain and build system.
  g++ cmake ninja-build python3
  # Libraries: formatting, unit tests.
  libfmt-dev libgtest-dev
  # BLAS for the local matmuls of compiled code (the runtime calls sgemm).
  libopenblas-dev
  # The MPI backend (ranks as processes) and mpirun for its tests.
  libopenmpi-dev openmpi-bin
  # Network namespaces, for the tests that simulate several hosts.
  iproute2
  # clang 22 and its runtimes: the sanitizer build (ASan + UBSan) that the
  # suite also runs, and the libFuzzer targets.
  clang-22 libclang-rt-22-dev
  # PyTorch (CPU) for /usr/bin/python3: the exporter and its test.
  python3-torch
  # Graphviz's dot: the test renders the planner's --explain-dot picture.
  graphviz
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
