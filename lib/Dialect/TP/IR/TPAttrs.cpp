//===- TPAttrs.cpp - tp dialect attributes --------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tp;

#include "tp-mlir/Dialect/TP/IR/TPEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPAttrs.cpp.inc"

void TPDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tp-mlir/Dialect/TP/IR/TPAttrs.cpp.inc"
      >();
}

LogicalResult MeshAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<int64_t> shape) {
  if (shape.empty())
    return emitError() << "expected a mesh with one axis, found none";
  if (shape.size() != 1)
    return emitError() << "expected a 1-D mesh, found " << shape.size()
                       << " axes (2-D meshes are not supported yet)";
  for (auto [axis, devices] : llvm::enumerate(shape))
    if (devices < 1)
      return emitError() << "expected a positive device count on mesh axis "
                         << axis << ", found " << devices;
  return success();
}

int64_t MeshAttr::getNumDevices() const {
  int64_t n = 1;
  for (int64_t d : getShape())
    n *= d;
  return n;
}

MeshAttr mlir::tp::lookupMesh(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto mesh = op->getAttrOfType<MeshAttr>(TPDialect::kMeshAttrName))
      return mesh;
  return {};
}
