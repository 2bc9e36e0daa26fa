//===- Terminators.h - terminators without the trait's TypeID --*- C++ -*-===//
//-*-===//
//
// A program that links MLIR's static C API (libMLIRCAPIIR.a, as every user
// of tp-mlir's C API does) holds a hidden copy of the TypeIDs of a few
// traits (IsTerminator, IsIsolatedFromAbove, SymbolTable) that the objects
// of that archive instantiate: code compiled into the program that asks
// op.hasTrait<OpTrait::IsTerminator>() reads that copy, which disagrees
// with the one libMLIR.so registered the ops with, and gets false for
// func.return. tp-mlir's own code asks libMLIR.so instead.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_TERMINATORS_H
#define TP_MLIR_SUPPORT_TERMINATORS_H

#include "mlir/IR/Block.h"
#include "mlir/IR/Operation.h"

namespace mlir::tp {

/// Whether `op` is the terminator of its block (Block::mightHaveTerminator
/// is compiled in libMLIR.so, with its copy of the trait's TypeID).
inline bool isBlockTerminator(Operation &op) {
  Block *block = op.getBlock();
  return block && &block->back() == &op && block->mightHaveTerminator();
}

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_TERMINATORS_H
