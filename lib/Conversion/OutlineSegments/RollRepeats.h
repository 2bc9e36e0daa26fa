//===- RollRepeats.h - loops over repeated runs of ops ----------*- C++ -*-===//
//
// Part of tp-outline-segments: finds the longest run of top-level ops that
// repeats one sequence (a chain's repeated layers) and rolls it into a
// loop, so that the code LLVM compiles no longer grows with the depth of
// the chain.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_CONVERSION_OUTLINESEGMENTS_ROLLREPEATS_H
#define TP_MLIR_LIB_CONVERSION_OUTLINESEGMENTS_ROLLREPEATS_H

#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Block.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::tp {

/// Whether a value of `type` may cross a call: ranked memrefs and scalars
/// lower to plain LLVM arguments and results; an unranked memref's
/// descriptor lives on the stack of the function that made it.
inline bool canCross(Type type) {
  return isa<MemRefType, IndexType, IntegerType, FloatType,
             LLVM::LLVMPointerType>(type);
}

/// Rolls runs of top-level ops of `block` that repeat one sequence of ops
/// at least three times, and replace at least `minOps` ops, into
/// `scf.for` loops, and returns them.
///
/// The first repetition stays in place; a loop runs the others. Values
/// that one repetition passes to the next, or that the code after the run
/// uses, are the loop's iteration arguments; they must be values that can
/// cross a call (not unranked memrefs), so that the caller can move the
/// loop's body into a function, whose stack allocations (an unranked
/// memref's descriptor) are freed on every return. Each repetition must
/// use, from outside the run, the same values, integer constants a fixed
/// stride apart (timer ids), or descriptors loaded from the pointer array
/// `args` (the packed entry of tp-outline-segments; may be null) at slots
/// a fixed stride apart, such as each layer's weight: the loop computes
/// those from its induction variable.
/// Constants, and the ops in `skipped` (those descriptor loads), are not
/// part of any run. `minOps` <= 0 rolls nothing.
SmallVector<scf::ForOp>
rollRepeats(Block &block, Value args,
            const llvm::SmallPtrSetImpl<Operation *> &skipped, int64_t minOps);

} // namespace mlir::tp

#endif // TP_MLIR_LIB_CONVERSION_OUTLINESEGMENTS_ROLLREPEATS_H
