//===- TPSharding.h - the balanced split rule -------------------*- C++ -*-===//
//
// One rule decides every shard in tp-mlir: a dimension of size S split over D
// devices gives rank r
//
//   size(r)   = S / D + (r < S mod D ? 1 : 0)
//   offset(r) = r * (S / D) + min(r, S mod D)
//
// so the first S mod D ranks hold one more element, and a rank may hold none
// when S < D. In IR a local dimension is static (S / D) when D divides S and
// dynamic otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPSHARDING_H
#define TP_MLIR_DIALECT_TP_IR_TPSHARDING_H

#include "mlir/IR/BuiltinTypes.h"

#include <cstdint>

namespace mlir::tp {

int64_t getShardSize(int64_t size, int64_t numDevices, int64_t rank);
int64_t getShardOffset(int64_t size, int64_t numDevices, int64_t rank);

/// The local extent of a dimension of `size` in IR: size / D when D divides
/// it, dynamic otherwise (also when `size` is dynamic).
int64_t getLocalDimSize(int64_t size, int64_t numDevices);

/// `full` with dimension `dim` replaced by its local extent.
RankedTensorType getLocalType(RankedTensorType full, int64_t dim,
                              int64_t numDevices);

} // namespace mlir::tp

#endif // TP_MLIR_DIALECT_TP_IR_TPSHARDING_H
