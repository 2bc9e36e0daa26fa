//===- LinearToCuBLASLt.cpp - local matmuls to the GPU runtime's cuBLASLt -===//
//
// Before bufferization, like the collectives: the call takes read-only views
// of its operands (bufferization.to_buffer) and a fresh result buffer, and
// its result goes on as a tensor (bufferization.to_tensor restrict), so
// that one-shot bufferization handles everything around it.
//
//===----------------------------------------------------------------------===//

#include "../RuntimeCalls.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Runtime/EntryPoints.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tp {
#define GEN_PASS_DEF_LINEARTOCUBLASLT
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;
using rt::entry::GPUEpilogue;

namespace {
/// The cuBLASLt epilogue that applies `kind`, if there is one.
std::optional<GPUEpilogue> getFusedEpilogue(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::identity:
    return GPUEpilogue::None;
  case ActivationKind::relu:
    return GPUEpilogue::Relu;
  case ActivationKind::gelu_tanh:
    // cuBLASLt's GELU is the tanh approximation.
    return GPUEpilogue::GeluTanh;
  default:
    return std::nullopt;
  }
}

/// A memref type of `rank` dynamic sizes and a fully dynamic strided layout:
/// what the runtime's C-interface functions take.
MemRefType getStridedType(MLIRContext *ctx, int64_t rank) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(
      dynamic, Float32Type::get(ctx),
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, dynamic));
}

template <typename LinearLikeOp>
struct LinearToCall : OpRewritePattern<LinearLikeOp> {
  using OpRewritePattern<LinearLikeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearLikeOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    auto isF32 = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getElementType().isF32();
    };
    if (!isF32(op.getResult()) || !isF32(op.getInput()) ||
        !isF32(op.getWeight()) || (op.getBias() && !isF32(op.getBias())))
      return rewriter.notifyMatchFailure(op, "cuBLASLt runs f32 layers only");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    MemRefType matrix = getStridedType(ctx, 2), vector = getStridedType(ctx, 1);
    auto view = [&](Value tensor, MemRefType type) -> Value {
      return memref::CastOp::create(
          rewriter, loc, type,
          readStridedBuffer(rewriter, loc, tensor, Attribute()));
    };

    SmallVector<Value> sizes;
    if (resultType.isDynamicDim(0))
      sizes.push_back(tensor::DimOp::create(rewriter, loc, op.getInput(), 0));
    if (resultType.isDynamicDim(1))
      sizes.push_back(tensor::DimOp::create(rewriter, loc, op.getWeight(), 0));
    Value out = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(resultType.getShape(), resultType.getElementType()),
        sizes);

    ActivationKind activation = op.getActivation();
    std::optional<GPUEpilogue> fused = getFusedEpilogue(activation);
    SmallVector<Value> args{view(op.getInput(), matrix),
                            view(op.getWeight(), matrix)};
    if (op.getBias())
      args.push_back(view(op.getBias(), vector));
    args.push_back(memref::CastOp::create(rewriter, loc, matrix, out));
    args.push_back(arith::ConstantIntOp::create(
        rewriter, loc, rewriter.getI32Type(),
        static_cast<int64_t>(fused.value_or(GPUEpilogue::None))));
    SmallVector<Type> argTypes;
    for (Value v : args)
      argTypes.push_back(v.getType());
    func::FuncOp callee = getOrInsertRuntimeFunc(
        rewriter, op->template getParentOfType<ModuleOp>(),
        op.getBias() ? rt::entry::kGPUMatmulNTBias : rt::entry::kGPUMatmulNT,
        rewriter.getFunctionType(argTypes, {}), /*cInterface=*/true);
    func::CallOp::create(rewriter, loc, callee, args);
    Value result = bufferization::ToTensorOp::create(
        rewriter, loc, resultType, out, /*restrict=*/true, /*writable=*/true);
    // The activations cuBLASLt lacks follow as a generated kernel.
    if (!fused)
      result = ActivationOp::create(rewriter, loc, resultType,
                                    op.getActivationAttr(),
                                    op.getActivationParamsAttr(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LinearToCuBLASLtPass
    : tp::impl::LinearToCuBLASLtBase<LinearToCuBLASLtPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LinearToCall<LinearOp>, LinearToCall<LocalLinearOp>>(
        &getContext());
    // Each op is rewritten once and nothing else is touched.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
