//===- FuseActivations.cpp - fuse tp.activation into tp.linear ------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tp {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct FuseActivationIntoLinear : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivationOp act,
                                PatternRewriter &rewriter) const override {
    auto linear = act.getInput().getDefiningOp<LinearOp>();
    if (!linear)
      return rewriter.notifyMatchFailure(act, "operand is not a tp.linear");
    if (linear.getActivation() != ActivationKind::identity)
      return rewriter.notifyMatchFailure(act, "linear already has one");
    if (!linear->hasOneUse())
      return rewriter.notifyMatchFailure(act, "linear result has other uses");
    rewriter.modifyOpInPlace(linear, [&] {
      linear.setActivation(act.getKind());
      linear.setActivationParamsAttr(act.getParamsAttr());
    });
    rewriter.replaceOp(act, linear.getResult());
    return success();
  }
};

struct FuseActivationsPass
    : tp::impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseActivationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::tp::populateFuseActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseActivationIntoLinear>(patterns.getContext());
}
