//===- MatmulCodegen.cpp - tile, vectorize and lower local matmuls --------===//
//
// The code-generation path of the local matmuls, as two transform-dialect
// schedules run by the transform interpreter: one on tensors (tiling and
// vectorization), one after bufferization (hoisting and vector lowering).
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"

#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Parser/Parser.h"

namespace mlir::tp {
#define GEN_PASS_DEF_TILEMATMULS
#define GEN_PASS_DEF_LOWERMATMULVECTORS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
/// Cache tiles 64 x 256 x 256 (M, N, K); register tiles 4 x 16 x 1: eight
/// 8-wide AVX2 accumulators plus the operands fit the 16 vector registers,
/// and 4 and 16 divide the cache tile, so full tiles need no masks. (6 x 16
/// and 8 x 16 measured 3x and 1.8x slower on this machine: masked partial
/// tiles, and spills.)
constexpr const char *kTileSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root
        : (!transform.any_op) -> !transform.any_op
    %t1, %l1:3 = transform.structured.tile_using_for %mm tile_sizes [64, 256, 256]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %t2, %l2:3 = transform.structured.tile_using_for %t1 tile_sizes [4, 16, 1]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %t2 vector_sizes [4, 16, 1] : !transform.any_op
    transform.yield
  }
}
)mlir";

constexpr const char *kLowerSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root
        : (!transform.any_op) -> !transform.any_op
    // Masks first: later rewrites (alias folding, lowerings) turn one masked
    // op into several, which a vector.mask region cannot hold.
    transform.apply_patterns to %f {
      transform.apply_patterns.vector.lower_masked_transfers
      transform.apply_patterns.vector.lower_masks
    } : !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.memref.fold_memref_alias_ops
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_cse to %f : !transform.any_op
    %h = transform.structured.hoist_redundant_vector_transfers %f
        : (!transform.any_op) -> !transform.any_op
    // Canonicalization runs apart from the vector lowerings: together, some
    // of their rewrites undo each other and the driver never settles.
    transform.apply_patterns to %h {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.lower_broadcast
      transform.apply_patterns.vector.lower_shape_cast
    } : !transform.any_op
    transform.apply_patterns to %h {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

/// Parses `source` and runs its `__transform_main` on `payload`.
LogicalResult runSchedule(ModuleOp payload, const char *source) {
  OwningOpRef<ModuleOp> schedule =
      parseSourceString<ModuleOp>(source, payload.getContext());
  if (!schedule)
    return payload.emitError() << "internal error: a matmul schedule does not "
                                  "parse";
  Operation *entry = transform::detail::findTransformEntryPoint(
      payload, *schedule, "__transform_main");
  if (!entry)
    return failure();
  return transform::applyTransformNamedSequence(payload, entry, *schedule,
                                                transform::TransformOptions());
}

/// y = x W^T becomes WT = transpose(W); y = x WT, so that the register tile
/// reads contiguous rows of WT.
void transposeWeights(ModuleOp module) {
  SmallVector<linalg::MatmulOp> matmuls;
  module.walk([&](linalg::MatmulOp op) {
    if (isa<linalg::MatmulTransposeBOp>(op.getOperation()) &&
        op.hasPureTensorSemantics())
      matmuls.push_back(op);
  });
  IRRewriter rewriter(module.getContext());
  for (linalg::MatmulOp op : matmuls) {
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    Value w = op.getDpsInputs()[1];
    auto wType = cast<RankedTensorType>(w.getType());
    SmallVector<OpFoldResult> sizes = {
        wType.isDynamicDim(1)
            ? OpFoldResult(tensor::DimOp::create(rewriter, loc, w, 1))
            : rewriter.getIndexAttr(wType.getDimSize(1)),
        wType.isDynamicDim(0)
            ? OpFoldResult(tensor::DimOp::create(rewriter, loc, w, 0))
            : rewriter.getIndexAttr(wType.getDimSize(0))};
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, sizes, wType.getElementType());
    Value wt = linalg::TransposeOp::create(rewriter, loc, w, empty,
                                           ArrayRef<int64_t>{1, 0})
                   .getResult()[0];
    auto plain = linalg::MatmulOp::create(rewriter, loc, op.getResultTypes(),
                                          ValueRange{op.getDpsInputs()[0], wt},
                                          op.getDpsInits());
    rewriter.replaceOp(op, plain.getResults());
  }
}

struct TileMatmulsPass : tp::impl::TileMatmulsBase<TileMatmulsPass> {
  void runOnOperation() override {
    transposeWeights(getOperation());
    if (failed(runSchedule(getOperation(), kTileSchedule)))
      signalPassFailure();
  }
};

struct LowerMatmulVectorsPass
    : tp::impl::LowerMatmulVectorsBase<LowerMatmulVectorsPass> {
  void runOnOperation() override {
    if (failed(runSchedule(getOperation(), kLowerSchedule)))
      signalPassFailure();
  }
};
} // namespace
