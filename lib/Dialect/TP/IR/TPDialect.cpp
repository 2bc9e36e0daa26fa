//===- TPDialect.cpp - tp dialect registration and attribute checks -------===//

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tp;

#include "tp-mlir/Dialect/TP/IR/TPDialect.cpp.inc"

void TPDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tp-mlir/Dialect/TP/IR/TPOps.cpp.inc"
      >();
  registerAttributes();
}

LogicalResult TPDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() == kMeshAttrName) {
    if (!isa<MeshAttr>(attr.getValue()))
      return op->emitError()
             << "expected '" << kMeshAttrName
             << "' to be a #tp.mesh attribute, found " << attr.getValue();
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << kMeshAttrName
                             << "' may only be attached to a builtin.module, "
                                "found on '"
                             << op->getName() << "'";
    return success();
  }
  return op->emitError() << "unknown tp attribute '"
                         << attr.getName().getValue() << "' on '"
                         << op->getName() << "'";
}

LogicalResult TPDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  if (attr.getName() != kNameAttrName)
    return op->emitError() << "unknown tp argument attribute '"
                           << attr.getName().getValue() << "' on argument #"
                           << argIndex;
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name || name.getValue().empty())
    return op->emitError() << "expected '" << kNameAttrName << "' of argument #"
                           << argIndex << " to be a non-empty string, found "
                           << attr.getValue();
  // Checkpoint names identify tensors in a weights file, so they must be
  // unique within a function.
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn)
    return success();
  for (unsigned other = 0; other < argIndex; ++other) {
    auto otherName = fn.getArgAttrOfType<StringAttr>(other, kNameAttrName);
    if (otherName == name)
      return op->emitError()
             << "duplicate " << kNameAttrName << " " << name
             << " on arguments #" << other << " and #" << argIndex;
  }
  return success();
}
