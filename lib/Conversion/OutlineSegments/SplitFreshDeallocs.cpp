//===- SplitFreshDeallocs.cpp - deallocations in time linear in depth -----===//
//
// Splits each `bufferization.dealloc` whose buffers are distinct fresh
// allocations into plain `memref.dealloc`s, in one linear pass.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Support/Terminators.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

namespace mlir::tp {
#define GEN_PASS_DEF_SPLITFRESHDEALLOCS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {

/// The allocation `value` is, or is the base buffer of: the memref.alloc
/// behind at most one memref.extract_strided_metadata; null otherwise.
memref::AllocOp getAllocation(Value value) {
  if (auto metadata = value.getDefiningOp<memref::ExtractStridedMetadataOp>())
    if (value == metadata.getBaseBuffer())
      value = metadata.getSource();
  return value.getDefiningOp<memref::AllocOp>();
}

/// The last op of `block` that uses `alloc` or a value derived from it (any
/// memref an op makes from one of them counts as derived), `ignore` aside;
/// null if none.
Operation *getLastUse(memref::AllocOp alloc, Block *block, Operation *ignore) {
  Operation *last = nullptr;
  SmallVector<Value> worklist{alloc.getResult()};
  llvm::SmallPtrSet<Value, 8> seen{alloc.getResult()};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      // The dealloc, and what only feeds it (the base buffer's extraction).
      if (user == ignore ||
          (user->getNumResults() > 0 &&
           llvm::all_of(user->getUsers(),
                        [&](Operation *next) { return next == ignore; })))
        continue;
      Operation *inBlock = block->findAncestorOpInBlock(*user);
      if (!inBlock)
        return nullptr; // used outside the block: keep the dealloc where it is
      if (!last || last->isBeforeInBlock(inBlock))
        last = inBlock;
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()) && seen.insert(result).second)
          worklist.push_back(result);
    }
  }
  return last;
}

/// Replaces `op` when every buffer it frees under a condition that is
/// constant true is a distinct allocation (a memref.alloc, or its base
/// buffer), every other buffer's condition is constant false, and every
/// value it retains is an allocation too. Distinct allocations never
/// alias, so each allocation that is not retained is freed, right after
/// its last use in the block, and a retained value is owned exactly when
/// it is one of the freed buffers.
LogicalResult split(bufferization::DeallocOp op) {
  SmallVector<memref::AllocOp> freed;
  llvm::SmallPtrSet<Operation *, 16> owned;
  for (auto [buffer, condition] :
       llvm::zip(op.getMemrefs(), op.getConditions())) {
    if (matchPattern(condition, m_Zero()))
      continue;
    memref::AllocOp alloc = getAllocation(buffer);
    if (!alloc || !matchPattern(condition, m_One()) ||
        !owned.insert(alloc).second)
      return failure();
    freed.push_back(alloc);
  }
  llvm::SmallPtrSet<Operation *, 4> retained;
  for (Value value : op.getRetained()) {
    memref::AllocOp alloc = getAllocation(value);
    if (!alloc)
      return failure();
    retained.insert(alloc);
  }
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Block *block = op->getBlock();
  for (memref::AllocOp alloc : freed) {
    if (retained.contains(alloc))
      continue;
    Operation *last =
        alloc->getBlock() == block ? getLastUse(alloc, block, op) : nullptr;
    if (last && !isBlockTerminator(*last))
      builder.setInsertionPointAfter(last);
    else
      builder.setInsertionPoint(op);
    memref::DeallocOp::create(builder, loc, alloc.getResult());
  }
  builder.setInsertionPoint(op);
  for (auto [value, condition] :
       llvm::zip(op.getRetained(), op.getUpdatedConditions()))
    condition.replaceAllUsesWith(arith::ConstantOp::create(
        builder, loc,
        builder.getBoolAttr(owned.contains(getAllocation(value)))));
  op.erase();
  return success();
}

struct SplitFreshDeallocs
    : public tp::impl::SplitFreshDeallocsBase<SplitFreshDeallocs> {
  void runOnOperation() override {
    SmallVector<bufferization::DeallocOp> deallocs;
    getOperation()->walk(
        [&](bufferization::DeallocOp op) { deallocs.push_back(op); });
    for (bufferization::DeallocOp op : deallocs)
      (void)split(op);
  }
};

} // namespace
