//===- BalancedSplit.h - the one rule that decides every shard --*- C++ -*-===//
//
// A dimension of size S split over D devices gives rank r
//
//   size(r)   = S / D + (r < S mod D ? 1 : 0)
//   offset(r) = r * (S / D) + min(r, S mod D)
//
// so the first S mod D ranks hold one more element, and a rank may hold none
// when S < D. Header-only and free of MLIR, so that the compiler, the
// evaluator and the runtime share it.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_BALANCEDSPLIT_H
#define TP_MLIR_SUPPORT_BALANCEDSPLIT_H

#include <algorithm>
#include <cstdint>

namespace mlir::tp {

inline int64_t getShardSize(int64_t size, int64_t numDevices, int64_t rank) {
  return size / numDevices + (rank < size % numDevices ? 1 : 0);
}

inline int64_t getShardOffset(int64_t size, int64_t numDevices, int64_t rank) {
  return rank * (size / numDevices) + std::min(rank, size % numDevices);
}

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_BALANCEDSPLIT_H
