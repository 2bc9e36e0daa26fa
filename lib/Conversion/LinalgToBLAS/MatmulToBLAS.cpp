//===- MatmulToBLAS.cpp - bufferized matmuls to BLAS sgemm ----------------===//

#include "../RuntimeCalls.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Runtime/EntryPoints.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tp {
#define GEN_PASS_DEF_MATMULTOBLAS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
/// The linalg.fill of 0 that last wrote `op`'s output before it, in the
/// same block, with nothing in between that touches the buffer or could
/// alias it; null if there is none.
linalg::FillOp getZeroFillBefore(linalg::MatmulOp op) {
  Value out = op.getDpsInits()[0];
  // Only a fresh buffer is reached by its uses alone, and only while it
  // has no view made before the matmul (which could be written between the
  // two unseen). Any other buffer (an argument, which could be written
  // through another name) needs nothing between the two that touches
  // memory at all.
  bool fresh = out.getDefiningOp<memref::AllocOp>() &&
               llvm::none_of(out.getUsers(), [&](Operation *user) {
                 return isa<ViewLikeOpInterface>(user) &&
                        (user->getBlock() != op->getBlock() ||
                         user->isBeforeInBlock(op));
               });
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.hasPureBufferSemantics() && fill.getDpsInits()[0] == out) {
      auto zero = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
      return value && value.getValue().isPosZero() ? fill : nullptr;
    }
    bool touches =
        fresh ? llvm::is_contained(prev->getOperands(), out) && !isPure(prev)
              : !isMemoryEffectFree(prev);
    if (touches || prev->getNumRegions() > 0)
      return nullptr;
  }
  return nullptr;
}

struct MatmulToBLASPass : tp::impl::MatmulToBLASBase<MatmulToBLASPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder builder(ctx);
    auto f32 = Float32Type::get(ctx);
    auto strided = MemRefType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, f32,
        StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                               {ShapedType::kDynamic, ShapedType::kDynamic}));
    SmallVector<linalg::MatmulOp> matmuls;
    module.walk([&](linalg::MatmulOp op) {
      if (isa<linalg::MatmulTransposeBOp>(op.getOperation()) &&
          op.hasPureBufferSemantics() &&
          llvm::all_of(op->getOperandTypes(), [&](Type t) {
            return cast<MemRefType>(t).getElementType() == f32;
          }))
        matmuls.push_back(op);
    });
    if (matmuls.empty())
      return;
    auto type = builder.getFunctionType({strided, strided, strided}, {});
    for (linalg::MatmulOp op : matmuls) {
      // A zero fill just before is sgemm's beta = 0: the output is written
      // once instead of zeroed and then read back.
      linalg::FillOp fill = getZeroFillBefore(op);
      if (fill)
        fill.erase();
      func::FuncOp callee = getOrInsertRuntimeFunc(
          builder, module,
          fill ? rt::entry::kMatmulNTOverwrite : rt::entry::kMatmulNT, type,
          /*cInterface=*/true);
      builder.setInsertionPoint(op);
      SmallVector<Value> args;
      for (Value operand : op->getOperands())
        args.push_back(
            memref::CastOp::create(builder, op.getLoc(), strided, operand));
      func::CallOp::create(builder, op.getLoc(), callee, args);
      op.erase();
    }
  }
};
} // namespace
