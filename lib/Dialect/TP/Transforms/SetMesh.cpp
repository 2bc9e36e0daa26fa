//===- SetMesh.cpp - attach the device mesh to a module -------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "tp-mlir/Support/OptionErrors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "tp-mlir/Support/Limits.h"

namespace mlir::tp {
#define GEN_PASS_DEF_SETMESH
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
struct SetMeshPass : WithOptionErrors<tp::impl::SetMeshBase<SetMeshPass>> {
  using WithOptionErrors::WithOptionErrors;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (devices < 1 || devices > kMaxDevices) {
      module.emitError() << "tp-set-mesh: expected a device count from 1 to "
                         << kMaxDevices << ", found " << devices.getValue();
      return signalPassFailure();
    }
    // Partitioned functions hold manifests for their mesh; a new device
    // count would contradict them.
    for (auto fn : module.getOps<FunctionOpInterface>())
      if (fn->hasAttr(TPDialect::kSPMDAttrName)) {
        MeshAttr mesh = lookupMesh(module);
        fn.emitError() << "is already partitioned"
                       << (mesh ? " for " +
                                      std::to_string(mesh.getNumDevices()) +
                                      " devices"
                                : std::string())
                       << "; tp-set-mesh changes the device count of a "
                          "model-level module only";
        return signalPassFailure();
      }
    module->setAttr(TPDialect::kMeshAttrName,
                    MeshAttr::get(&getContext(), {devices.getValue()}));
  }
};
} // namespace
