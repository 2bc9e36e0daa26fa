//===- GPUDeviceCopies.cpp - buffer copies as kernels ---------------------===//

#include "tp-mlir/Conversion/Passes.h"

namespace mlir::tp {
#define GEN_PASS_DEF_GPUDEVICECOPIES
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct GPUDeviceCopiesPass
    : tp::impl::GPUDeviceCopiesBase<GPUDeviceCopiesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Host memory is an error, before anything is rewritten.
    WalkResult hostMemory = module.walk([&](memref::GetGlobalOp op) {
      op.emitError() << "reads the constant '" << op.getName()
                     << "' from host memory, which GPU kernels cannot "
                        "read; the GPU lowering supports no dense constants";
      return WalkResult::interrupt();
    });
    if (hostMemory.wasInterrupted())
      return signalPassFailure();
    SmallVector<memref::CopyOp> copies;
    module.walk([&](memref::CopyOp op) { copies.push_back(op); });
    OpBuilder builder(&getContext());
    for (memref::CopyOp op : copies) {
      builder.setInsertionPoint(op);
      linalg::CopyOp::create(builder, op.getLoc(), op.getSource(),
                             op.getTarget());
      op.erase();
    }
  }
};
} // namespace
