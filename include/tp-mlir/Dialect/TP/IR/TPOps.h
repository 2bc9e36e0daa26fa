//===- TPOps.h - tp dialect operations --------------------------*- C++ -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPOPS_H
#define TP_MLIR_DIALECT_TP_IR_TPOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPTypes.h"

namespace mlir::tp {
/// Whether `op` is inside a partitioned (`tp.spmd`) function; an error
/// naming the op otherwise.
LogicalResult verifySPMDOnly(Operation *op);

/// The op trait of per-device ops (TP_SPMDOnly in TPOps.td).
template <typename ConcreteType>
class SPMDOnly : public OpTrait::TraitBase<ConcreteType, SPMDOnly> {
public:
  static LogicalResult verifyTrait(Operation *op) { return verifySPMDOnly(op); }
};

/// The dialect's tensor policy: f32 elements, no zero-sized dimension, at
/// most kMaxTensorElements elements. `what` names the value.
LogicalResult verifyTensorPolicy(Operation *op, StringRef what,
                                 RankedTensorType type);
} // namespace mlir::tp

#define GET_OP_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPOps.h.inc"

#endif // TP_MLIR_DIALECT_TP_IR_TPOPS_H
