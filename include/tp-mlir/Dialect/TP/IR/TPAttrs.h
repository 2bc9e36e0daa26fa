//===- TPAttrs.h - tp dialect attributes and enums --------------*- C++ -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPATTRS_H
#define TP_MLIR_DIALECT_TP_IR_TPATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "tp-mlir/Dialect/TP/IR/TPEnums.h.inc"

#include "tp-mlir/Dialect/TP/IR/TPActivation.h"

#define GET_ATTRDEF_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPAttrs.h.inc"

namespace mlir {
class Operation;
namespace tp {
/// The mesh of the closest enclosing op that carries `tp.mesh`, or null.
MeshAttr lookupMesh(Operation *op);
} // namespace tp
} // namespace mlir

#endif // TP_MLIR_DIALECT_TP_IR_TPATTRS_H
