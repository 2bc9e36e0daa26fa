//===- ApproximateMath.cpp - activations without libm calls ---------------===//

#include "tp-mlir/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tp {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct ApproximateMathPass
    : tp::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    // The approximations convert a scaled input to an integer (arith.fptosi)
    // for the exponent's bits, and a NaN converts to poison: where the
    // input is a constant, LLVM folds that into an arbitrary finite result.
    // A NaN input therefore gives its NaN back by a select around each
    // function, which the constant folds away and which costs a compare
    // and a blend per vector otherwise.
    getOperation()->walk([](Operation *op) {
      if (!isa<math::TanhOp, math::ErfOp, math::ExpOp, math::ExpM1Op,
               math::Log1pOp>(op) ||
          !getElementTypeOrSelf(op->getResult(0)).isF32())
        return;
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(op);
      Value input = op->getOperand(0), result = op->getResult(0);
      Value isNaN = arith::CmpFOp::create(
          b, op->getLoc(), arith::CmpFPredicate::UNO, input, input);
      auto select =
          arith::SelectOp::create(b, op->getLoc(), isNaN, input, result);
      result.replaceAllUsesExcept(select, select);
    });
    RewritePatternSet patterns(&getContext());
    // The math functions buildActivation emits, and log, through which
    // expm1 and log1p are approximated (Kahan's forms: exp and log of the
    // argument, corrected for its rounding); the patterns themselves leave
    // anything but f32 alone.
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name == math::TanhOp::getOperationName() ||
             name == math::ErfOp::getOperationName() ||
             name == math::ExpOp::getOperationName() ||
             name == math::ExpM1Op::getOperationName() ||
             name == math::Log1pOp::getOperationName() ||
             name == math::LogOp::getOperationName();
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
