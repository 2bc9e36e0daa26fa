//===- SetStrategy.cpp - one sharding for every unannotated layer ---------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Planner/Planner.h"
#include "tp-mlir/Support/Limits.h"

#include "tp-mlir/Support/OptionErrors.h"

#include "llvm/ADT/StringExtras.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tp {
#define GEN_PASS_DEF_SETSTRATEGY
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

/// The tp.linear whose output reaches `value` through activations only.
static LinearOp producingLayer(Value value) {
  while (auto act = value.getDefiningOp<ActivationOp>())
    value = act.getInput();
  return value.getDefiningOp<LinearOp>();
}

namespace {
struct SetStrategyPass
    : WithOptionErrors<tp::impl::SetStrategyBase<SetStrategyPass>> {
  using WithOptionErrors::WithOptionErrors;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Checked whatever the strategy, so that a wrong number is never
    // silently unused.
    if (batch < 1 || batch > kMaxTensorElements) {
      module.emitError() << "tp-set-strategy: batch must be from 1 to "
                         << kMaxTensorElements << ", got "
                         << static_cast<int64_t>(batch);
      return signalPassFailure();
    }
    if (!lookupMesh(module)) {
      module.emitError() << "tp-set-strategy needs a device mesh: add '"
                         << TPDialect::kMeshAttrName
                         << "' to the module or run tp-set-mesh first";
      return signalPassFailure();
    }
    // The planner's options, where they differ from their defaults (which
    // are what every other strategy assumes).
    SmallVector<std::string> plannerOnly;
    if (batch != kDefaultPlannedBatch)
      plannerOnly.push_back("batch");
    if (memoryLimitMiB != 0)
      plannerOnly.push_back("memory-limit-mib");
    if (!profile.empty())
      plannerOnly.push_back("profile");
    if (matmul != MatmulLowering::automatic)
      plannerOnly.push_back("matmul");
    if (strategy != PartitionStrategy::planned && !plannerOnly.empty()) {
      module.emitError() << llvm::join(ArrayRef(plannerOnly).drop_back(), ", ")
                         << (plannerOnly.size() > 1 ? " and " : "")
                         << plannerOnly.back()
                         << (plannerOnly.size() == 1
                                 ? " is the planner's option: it needs"
                                 : " are the planner's options: they need")
                         << " strategy=auto (the strategy here is "
                         << stringifyPartitionStrategy(strategy) << ")";
      return signalPassFailure();
    }
    if (strategy == PartitionStrategy::planned) {
      if (failed(
              plan::planModule(module, batch, memoryLimitMiB, profile, matmul)))
        signalPassFailure();
      return;
    }
    bool alternate = strategy == PartitionStrategy::alternate;
    ShardingKind uniform = ShardingKind::row;
    if (strategy == PartitionStrategy::column)
      uniform = ShardingKind::column;
    else if (strategy == PartitionStrategy::replicated)
      uniform = ShardingKind::replicated;
    else if (strategy == PartitionStrategy::batch)
      uniform = ShardingKind::batch;
    MLIRContext *ctx = &getContext();
    // Ops are visited in order, so a layer's producer is decided first.
    module.walk([&](LinearOp op) {
      if (op.getSharding())
        return;
      ShardingKind kind = uniform;
      if (alternate) {
        LinearOp producer = producingLayer(op.getInput());
        if (producer && producer.getSharding() == ShardingKind::row)
          kind = ShardingKind::column;
      }
      op.setShardingAttr(ShardingKindAttr::get(ctx, kind));
    });
  }
};
} // namespace
