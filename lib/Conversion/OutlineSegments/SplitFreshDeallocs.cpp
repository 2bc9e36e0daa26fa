//===- SplitFreshDeallocs.cpp - deallocations in time linear in depth -----===//
//
// Splits each `bufferization.dealloc` whose buffers are distinct fresh
// allocations into plain `memref.dealloc`s, in one linear pass.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"

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

/// Replaces `op` when every buffer it frees is the result of a distinct
/// `memref.alloc`, under a condition that is constant true, and every value
/// it retains is the result of a `memref.alloc` too. Distinct allocations
/// never alias, so each buffer that is not retained is freed, and a
/// retained value is owned exactly when it is one of the buffers.
LogicalResult split(bufferization::DeallocOp op) {
  llvm::SmallPtrSet<Value, 16> buffers;
  for (auto [buffer, condition] :
       llvm::zip(op.getMemrefs(), op.getConditions()))
    if (!buffer.getDefiningOp<memref::AllocOp>() ||
        !matchPattern(condition, m_One()) || !buffers.insert(buffer).second)
      return failure();
  llvm::SmallPtrSet<Value, 4> retained;
  for (Value value : op.getRetained()) {
    if (!value.getDefiningOp<memref::AllocOp>())
      return failure();
    retained.insert(value);
  }
  OpBuilder builder(op);
  Location loc = op.getLoc();
  for (Value buffer : op.getMemrefs())
    if (!retained.contains(buffer))
      memref::DeallocOp::create(builder, loc, buffer);
  for (auto [value, owned] :
       llvm::zip(op.getRetained(), op.getUpdatedConditions()))
    owned.replaceAllUsesWith(arith::ConstantOp::create(
        builder, loc, builder.getBoolAttr(buffers.contains(value))));
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
