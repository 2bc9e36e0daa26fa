//===- Passes.h - tp dialect passes -----------------------------*- C++ -*-===//

#ifndef TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_H
#define TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_H

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace tp {

#define GEN_PASS_DECL
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"

/// Checks that `fn` is a model tp-mlir can partition and compile: one
/// block of tp.linear, tp.activation, f32 arith.constant and func.return,
/// on ranked f32 tensors. The error names the first op or value that is
/// not, and says what is supported.
LogicalResult verifyModelFunction(FunctionOpInterface fn);

/// Refuses a module nested in `module` that holds an op `isTP` matches
/// (`what`: "tp layers"): `pass`, run on `module`, `verb`s ("partitions")
/// the functions of that module only, and the error says how to reach the
/// nested one.
LogicalResult refuseNestedTPModules(ModuleOp module, StringRef what,
                                    StringRef pass, StringRef verb,
                                    function_ref<bool(Operation *)> isTP);

/// Patterns that fuse tp.activation into a single-use producing tp.linear.
void populateFuseActivationPatterns(RewritePatternSet &patterns);

/// The collective rewrites of tp-optimize-collectives.
void populateOptimizeCollectivesPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_H
