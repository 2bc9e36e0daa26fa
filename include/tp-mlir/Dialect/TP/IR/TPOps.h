//===- TPOps.h - tp dialect operations --------------------------*- C++ -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPOPS_H
#define TP_MLIR_DIALECT_TP_IR_TPOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"

#define GET_OP_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPOps.h.inc"

#endif // TP_MLIR_DIALECT_TP_IR_TPOPS_H
