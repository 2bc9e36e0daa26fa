//===- Evaluator.h - reference evaluator for tp functions -------*- C++ -*-===//
//
// A deliberately simple interpreter for model-level tp functions: naive loops,
// f32 throughout, no partitioning. It is the oracle that every partitioning
// and backend path is checked against, so it favours obviousness over speed.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_EVALUATOR_EVALUATOR_H
#define TP_MLIR_EVALUATOR_EVALUATOR_H

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"
#include "tp-mlir/Evaluator/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir {
class MLIRContext;
namespace tp {

/// sigma(x) for one element.
float applyActivation(const Activation &act, float x);

/// The unit roundoff of f32: 2^-24.
inline constexpr double kF32UnitRoundoff = 0x1p-24;

/// How far an f32 implementation of an activation may be from the exact
/// function: its Lipschitz constant, and an error allowance in units of f32
/// rounding, relative to |sigma(x)| + |x|, that covers the math library
/// (erff, tanhf, expf: at most 2 ulp) and the few roundings of the formula.
struct ActivationErrorModel {
  double lipschitz;
  double ulps;
};
ActivationErrorModel getActivationErrorModel(const Activation &act);

/// Runs the model-level function `fn` on `args` and returns its results.
/// Argument shapes must match the function's argument types (a dynamic dim
/// accepts any size). On failure a diagnostic naming the offending op or
/// argument has been emitted.
FailureOr<SmallVector<Tensor>> evaluate(FunctionOpInterface fn,
                                        ArrayRef<Tensor> args);

/// Supplies argument `index` of a function on demand.
using ArgumentLoader =
    llvm::function_ref<llvm::Expected<Tensor>(unsigned index)>;

/// evaluate(), with each argument loaded when its first user runs and every
/// value dropped after its last use: a chain holds one layer's weights at a
/// time, so the reference of a model too large to hold whole still runs.
FailureOr<SmallVector<Tensor>> evaluateStreaming(FunctionOpInterface fn,
                                                 ArgumentLoader load);

/// The confidence factor lambda of the bounds: a correct program exceeds an
/// element's bound with probability below 2 exp(-lambda^2 / 2) = 4e-22
/// under the standard model of independent rounding errors.
inline constexpr double kBoundConfidence = 10.0;

/// A model's outputs and, element by element, a bound on how far any f32
/// implementation of the model may be from them, whatever the order of its
/// sums: lambda times the root of the sum of squares of every rounding
/// error's worst case (each product and each addition of every reduction,
/// every activation's allowance, the reference's own f32 roundings),
/// carried through the following layers by the weights and the
/// activations' Lipschitz constants. This is Higham and Mary's
/// probabilistic rounding error analysis (2019), which gives sqrt(K) u
/// where the worst case gives K u; the worst case is too loose to catch a
/// wrong program. Partitioning only regroups sums, so a correct partitioned
/// program stays within the bound; a wrong one (a missing term, a bias added
/// twice) does not.
struct BoundedResults {
  SmallVector<Tensor> values;
  SmallVector<Tensor> bounds;
  /// The longest reduction of the model: its largest in_features, plus one
  /// for the bias.
  int64_t longestReduction = 0;
};

/// evaluateStreaming, with the bounds.
FailureOr<BoundedResults> evaluateWithBounds(FunctionOpInterface fn,
                                             ArgumentLoader load);

/// Per-rank tensors: element r belongs to rank r.
using RankTensors = SmallVector<SmallVector<Tensor>>;

/// Runs a partitioned (SPMD) function on D simulated devices in lockstep,
/// collectives included; D is the mesh's device count and `rankArgs[r]` holds
/// rank r's (local) arguments. Returns each rank's results.
FailureOr<RankTensors> evaluateSPMD(FunctionOpInterface fn,
                                    ArrayRef<SmallVector<Tensor>> rankArgs);

/// Slices full (checkpoint) tensors into each rank's arguments, following the
/// `tp.shard` manifest of `fn`; arguments without one are replicated.
FailureOr<RankTensors> shardArguments(FunctionOpInterface fn,
                                      ArrayRef<Tensor> fullArgs);

/// The slice [offset, offset + size) of `t` along `dim`.
Tensor sliceTensor(const Tensor &t, int64_t dim, int64_t offset, int64_t size);

/// Parses and verifies the main buffer of `sourceMgr` into `context`, which
/// must have the tp, func and arith dialects loaded or registered.
/// Diagnostics go to the context's handler.
OwningOpRef<ModuleOp> parseModel(MLIRContext &context,
                                 llvm::SourceMgr &sourceMgr);

/// parseModel on the .mlir file at `path`.
OwningOpRef<ModuleOp> parseModelFile(MLIRContext &context, StringRef path);

/// The function named `name` in `module`, or, when `name` is empty, its only
/// non-private function. Emits an error and returns null when there is none.
FunctionOpInterface lookupEntry(ModuleOp module, StringRef name);

/// parseModelFile + lookupEntry + evaluate.
FailureOr<SmallVector<Tensor>> evaluateFile(MLIRContext &context,
                                            StringRef path, StringRef entry,
                                            ArrayRef<Tensor> args);

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_EVALUATOR_EVALUATOR_H
