//===- ShardedArguments.h - weight arguments and their manifest -*- C++ -*-===//
//
// Shared by the passes that decide how a weight argument is split.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_SHARDEDARGUMENTS_H
#define TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_SHARDEDARGUMENTS_H

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include <optional>

namespace mlir::tp {

/// Gives `arg` its local type when split along `dim` by the balanced rule
/// (unchanged when `dim` is empty) and returns its manifest entry.
ShardAttr splitArgument(BlockArgument arg, std::optional<int64_t> dim,
                        int64_t numDevices);

/// Records manifest entries (argument number, entry) and rewrites the
/// function type to the entry block's argument types. All entries are set
/// at once: setting argument attributes one by one rebuilds the attribute
/// array each time, which is quadratic in the number of arguments.
void setManifest(FunctionOpInterface fn,
                 ArrayRef<std::pair<unsigned, ShardAttr>> entries);

} // namespace mlir::tp

#endif // TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_SHARDEDARGUMENTS_H
