//===- Plan.cpp - each layer's split from the cost model ------------------===//

#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Planner/Planner.h"

#include "tp-mlir/Support/OptionErrors.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tp {
#define GEN_PASS_DEF_PLAN
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct PlanPass : WithOptionErrors<tp::impl::PlanBase<PlanPass>> {
  using WithOptionErrors::WithOptionErrors;

  void runOnOperation() override {
    if (failed(plan::planModule(getOperation(), batch, memoryLimitMiB, profile,
                                matmul)))
      signalPassFailure();
  }
};
} // namespace
