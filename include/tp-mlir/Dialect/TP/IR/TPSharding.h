//===- TPSharding.h - shards in IR types ------------------------*- C++ -*-===//
//
// The balanced split rule (Support/BalancedSplit.h) applied to tensor types:
// a local dimension is static (S / D) when D divides S and dynamic
// otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPSHARDING_H
#define TP_MLIR_DIALECT_TP_IR_TPSHARDING_H

#include "tp-mlir/Support/BalancedSplit.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cstdint>

namespace mlir::tp {

/// The local extent of a dimension of `size` in IR: size / D when D divides
/// it, dynamic otherwise (also when `size` is dynamic).
int64_t getLocalDimSize(int64_t size, int64_t numDevices);

/// `full` with dimension `dim` replaced by its local extent.
RankedTensorType getLocalType(RankedTensorType full, int64_t dim,
                              int64_t numDevices);

} // namespace mlir::tp

#endif // TP_MLIR_DIALECT_TP_IR_TPSHARDING_H
