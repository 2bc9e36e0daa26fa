//===- SetMesh.cpp - attach the device mesh to a module -------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tp {
#define GEN_PASS_DEF_SETMESH
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct SetMeshPass : tp::impl::SetMeshBase<SetMeshPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (devices < 1) {
      module.emitError() << "tp-set-mesh: expected a positive device count, "
                            "found "
                         << devices.getValue();
      return signalPassFailure();
    }
    module->setAttr(TPDialect::kMeshAttrName,
                    MeshAttr::get(&getContext(), {devices.getValue()}));
  }
};
} // namespace
