//===- ShardedArguments.h - weight arguments and their manifest -*- C++ -*-===//
//
// Shared by the passes that decide how a weight argument is split.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_SHARDEDARGUMENTS_H
#define TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_SHARDEDARGUMENTS_H

#include "mlir/Interfaces/FunctionInterfaces.h"

#include <optional>

namespace mlir::tp {

/// Records in the manifest that `arg` is split along `dim` by the balanced
/// rule (replicated when `dim` is empty), and gives it its local type. The
/// function type is not updated; call updateFunctionArgumentTypes after.
void setArgumentSplit(FunctionOpInterface fn, BlockArgument arg,
                      std::optional<int64_t> dim, int64_t numDevices);

/// Rewrites the function type to the entry block's argument types.
void updateFunctionArgumentTypes(FunctionOpInterface fn);

} // namespace mlir::tp

#endif // TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_SHARDEDARGUMENTS_H
