//===- TPTypes.h - tp dialect types -----------------------------*- C++ -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPTYPES_H
#define TP_MLIR_DIALECT_TP_IR_TPTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPTypes.h.inc"

#endif // TP_MLIR_DIALECT_TP_IR_TPTYPES_H
