//===- Plan.cpp - each layer's split from the cost model ------------------===//

#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Planner/Planner.h"

#include "OptionErrors.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tp {
#define GEN_PASS_DEF_PLAN
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct PlanPass : tp::impl::PlanBase<PlanPass> {
  using Base::Base;

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    return initializeOptionsWithContext(
        *this, options, errorHandler,
        [&](StringRef o, function_ref<LogicalResult(const Twine &)> e) {
          return Base::initializeOptions(o, e);
        });
  }

  void runOnOperation() override {
    if (failed(
            plan::planModule(getOperation(), batch, memoryLimitMiB, profile)))
      signalPassFailure();
  }
};
} // namespace
