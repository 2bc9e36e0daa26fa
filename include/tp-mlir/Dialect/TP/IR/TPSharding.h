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

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cstdint>
#include <optional>

namespace mlir::tp {

/// The local extent of a dimension of `size` in IR: size / D when D divides
/// it, dynamic otherwise (also when `size` is dynamic).
int64_t getLocalDimSize(int64_t size, int64_t numDevices);

/// `full` with dimension `dim` replaced by its local extent.
RankedTensorType getLocalType(RankedTensorType full, int64_t dim,
                              int64_t numDevices);

/// The manifest entry of a tensor of `shape` split along `dim` (replicated
/// without one) over `numDevices` under the balanced rule.
ShardAttr getBalancedShard(MLIRContext *context, ArrayRef<int64_t> shape,
                           std::optional<int64_t> dim, int64_t numDevices);

/// The (offset, size) of part `index` of `extent` split into `parts` by the
/// balanced rule, as index arithmetic: for extents and indices known only
/// at run time (a rank, a dynamic batch).
std::pair<Value, Value> buildBalancedShard(OpBuilder &b, Location loc,
                                           Value extent, int64_t parts,
                                           Value index);

} // namespace mlir::tp

#endif // TP_MLIR_DIALECT_TP_IR_TPSHARDING_H
