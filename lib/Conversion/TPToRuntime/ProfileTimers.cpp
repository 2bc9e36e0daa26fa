//===- ProfileTimers.cpp - time each tp op of partitioned code ------------===//

#include "../RuntimeCalls.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Runtime/EntryPoints.h"
#include "tp-mlir/Support/OptionErrors.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::tp {
#define GEN_PASS_DEF_INSERTPROFILETIMERS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
/// "file:line" of a location, or its full text when it has no file.
std::string describeLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine())).str();
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

/// A collective, or a step of an asynchronous one (its start, its wait).
bool isCommunication(Operation *op) {
  return isa<AllGatherOp, AllToAllOp, AllReduceOp, ReduceScatterOp,
             AllReduceStartOp, AllGatherStartOp, WaitOp>(op);
}

struct InsertProfileTimersPass
    : WithOptionErrors<
          tp::impl::InsertProfileTimersBase<InsertProfileTimersPass>> {
  using WithOptionErrors::WithOptionErrors;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder builder(&getContext());
    auto timerType = builder.getFunctionType({builder.getI64Type()}, {});
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn->hasAttr(TPDialect::kSPMDAttrName) || fn.isExternal())
        continue;
      // Timed already (the pass ran before, by hand or in a pipeline):
      // timing again would nest a second timer in every first one, under
      // ids that tp.profile names once.
      if (fn->hasAttr(TPDialect::kProfileAttrName))
        continue;
      SmallVector<Operation *> ops;
      fn.walk([&](Operation *op) {
        if (isa<LocalLinearOp, BiasActivationOp, ActivationOp, SoftmaxOp,
                LogSoftmaxOp>(op) ||
            isCommunication(op))
          ops.push_back(op);
      });
      if (ops.empty())
        continue;
      bool gpu = runtime == RuntimeTarget::gpu;
      func::FuncOp begin = getOrInsertRuntimeFunc(
          builder, module,
          gpu ? rt::entry::kGPUTimerBegin : rt::entry::kTimerBegin, timerType,
          false);
      func::FuncOp end = getOrInsertRuntimeFunc(
          builder, module, gpu ? rt::entry::kGPUTimerEnd : rt::entry::kTimerEnd,
          timerType, false);
      SmallVector<Attribute> names;
      for (auto [id, op] : llvm::enumerate(ops)) {
        bool comm = isCommunication(op);
        names.push_back(
            builder.getStringAttr((comm ? "communication " : "compute ") +
                                  describeLocation(op->getLoc())));
        Location loc = op->getLoc();
        builder.setInsertionPoint(op);
        Value idValue = arith::ConstantIntOp::create(
            builder, loc, builder.getI64Type(), static_cast<int64_t>(id));
        func::CallOp::create(builder, loc, begin, idValue);
        builder.setInsertionPointAfter(op);
        func::CallOp::create(builder, loc, end, idValue);
      }
      fn->setAttr(TPDialect::kProfileAttrName, builder.getArrayAttr(names));
    }
  }
};
} // namespace
