//===- Limits.h - the largest numbers tp-mlir honours -----------*- C++ -*-===//
//
// Header-only and free of LLVM, so that the runtime can use it too.
//
// Every number a user gives (in IR, on the command line, in a file header or
// in the environment) is checked against these before it sizes anything, so
// that a number too large is a clear error that names the limit, never an
// overflow, an allocation that cannot succeed, or a wait that ends at once.
// docs/limits.md lists them with the reasons.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_LIMITS_H
#define TP_MLIR_SUPPORT_LIMITS_H

#include <cstdint>
#include <optional>

namespace mlir::tp {

/// Devices of a mesh. Every weight's manifest holds a slice per device and
/// every backend starts a rank per device; 65,536 is far past any tensor-
/// parallel group and keeps manifests small.
inline constexpr int64_t kMaxDevices = 65536;

/// Ranks as threads of one process: beyond this, thread stacks alone take
/// gigabytes, and a machine has far fewer cores. Use MPI for more.
inline constexpr int64_t kMaxThreadRanks = 1024;

/// Elements of one tensor: 2^40 (4 TiB of f32). Element counts, byte sizes
/// and offsets then stay far from int64 overflow everywhere.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

/// A memory limit per device, MiB: 2^40 MiB (an exbibyte) keeps the limit
/// in bytes far from uint64 overflow.
inline constexpr int64_t kMaxMemoryLimitMiB = int64_t(1) << 40;

/// Timed iterations, and warm-up runs, of tp-run.
inline constexpr int64_t kMaxIterations = 1000000000;

/// The collective timeout, TP_RT_TIMEOUT_MS: 1 ms to 7 days.
inline constexpr int64_t kMaxTimeoutMs = int64_t(7) * 24 * 3600 * 1000;

/// Nesting of brackets in IR the tools read. MLIR's parser recurses once
/// per level; a model nests a few levels, and this bound keeps a hostile
/// file from overflowing the stack.
inline constexpr int64_t kMaxNestingDepth = 256;

/// Asynchronous collectives one device may have in flight at once (started
/// and not yet waited for): the runtimes keep this many, and the verifier
/// of the start ops holds programs to it. Chunked overlap needs two.
inline constexpr int64_t kMaxCollectivesInFlight = 3;

/// Bytes of constant tensors that compiled code may embed, 1.5 GiB: x86-64's
/// small code model reaches data within 2 GiB of the code (an object of
/// 2 GiB of constants no longer links: relocations truncated), and LLVM
/// holds a constant several times over while it compiles (4.5 GiB of
/// memory and 42 s for 2 GiB). Weights this large are arguments
/// (tp.name), loaded from a file.
inline constexpr int64_t kMaxEmbeddedConstantBytes = int64_t(3) << 29;

/// The number of elements of `shape` (any range of int64_t), or nullopt
/// when a dimension is negative or the product exceeds kMaxTensorElements
/// (checked without overflowing). Free of LLVM, like the runtime that uses
/// these limits.
template <typename Shape>
std::optional<int64_t> getCheckedNumElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > kMaxTensorElements / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_LIMITS_H
