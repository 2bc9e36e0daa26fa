#!/usr/bin/env bash
# Configures (once) and builds tp-mlir with CMake and Ninja:
#   scripts/build.sh             build/, Release, with the system compiler;
#   scripts/build.sh --sanitize  build-asan/, clang-22 with AddressSanitizer
#                                and UndefinedBehaviorSanitizer on every
#                                project library, tool and test, and the
#                                libFuzzer targets (fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
common=(-G Ninja -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit)
if [[ "${1:-}" == "--sanitize" ]]; then
  if [[ ! -f build-asan/build.ninja ]]; then
    # -O1 keeps sanitized code fast enough; NDEBUG matches Debian's LLVM.
    cmake -S . -B build-asan "${common[@]}" \
      -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
      -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_FLAGS_RELEASE="-O1 -g -DNDEBUG" \
      -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g -DNDEBUG" \
      -DTP_SANITIZE=ON -DTP_BUILD_FUZZERS=ON >/dev/null
  fi
  cmake --build build-asan
  exit 0
fi
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build "${common[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build
