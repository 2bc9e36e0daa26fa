//===- TPSharding.h - shards in IR types ------------------------*- C++ -*-===//
//
// The balanced split rule (Support/BalancedSplit.h) applied to tensor types:
// a local dimension is static (S / D) when D divides S and dynamic
// otherwise. And what a layer's sharding splits of its weight and bias
// arguments: tp-partition applies it, and the planner plans by it.
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

/// The dimension of a layer's weight W (out x in features) that `kind`
/// splits: 0 (row), 1 (column), none (replicated, batch).
std::optional<int64_t> getWeightSplitDim(ShardingKind kind);

/// The dimension of a layer's bias that `kind` splits: 0 (row), else none;
/// a column layer adds its whole bias once, after the reduction.
std::optional<int64_t> getBiasSplitDim(ShardingKind kind);

/// The first use of the function argument `arg` other than as a
/// tp.linear's weight or bias (as a layer's input, by any other op, by a
/// return), or null. Layers may split their weight and bias arguments only
/// where there is none, since every user receives the shard.
OpOperand *findNonParameterUse(BlockArgument arg);

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
