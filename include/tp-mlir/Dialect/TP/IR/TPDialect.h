//===- TPDialect.h - tp dialect declaration ---------------------*- C++ -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPDIALECT_H
#define TP_MLIR_DIALECT_TP_IR_TPDIALECT_H

#include "mlir/IR/Dialect.h"

#include "tp-mlir/Dialect/TP/IR/TPDialect.h.inc"

#endif // TP_MLIR_DIALECT_TP_IR_TPDIALECT_H
