//===- MatmulToBLAS.cpp - bufferized matmuls to BLAS sgemm ----------------===//

#include "../RuntimeCalls.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Runtime/EntryPoints.h"

#include "mlir/IR/BuiltinTypes.h"

namespace mlir::tp {
#define GEN_PASS_DEF_MATMULTOBLAS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
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
    func::FuncOp callee = getOrInsertRuntimeFunc(
        builder, module, rt::entry::kMatmulNT,
        builder.getFunctionType({strided, strided, strided}, {}),
        /*cInterface=*/true);
    for (linalg::MatmulOp op : matmuls) {
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
