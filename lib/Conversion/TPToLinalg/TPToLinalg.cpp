//===- TPToLinalg.cpp - tp compute ops to linalg on tensors ---------------===//

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"
#include <algorithm>
#include <cmath>
#include <type_traits>

namespace mlir::tp {
#define GEN_PASS_DEF_CONVERTTPTOLINALG
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

Value mlir::tp::buildActivation(OpBuilder &b, Location loc,
                                const Activation &act, Value x) {
  Type f32 = b.getF32Type();
  auto constant = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, v));
  };
  auto mul = [&](Value l, Value r) -> Value {
    return arith::MulFOp::create(b, loc, l, r);
  };
  // x where x > 0 (false for NaN, which the other side keeps), else `other`.
  auto positiveOr = [&](Value positive, Value other) -> Value {
    Value isPositive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             x, constant(0.0));
    return arith::SelectOp::create(b, loc, isPositive, positive, other);
  };
  // 1 / (1 + exp(-x))
  auto sigmoid = [&](Value v) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, v));
    return arith::DivFOp::create(
        b, loc, constant(1.0), arith::AddFOp::create(b, loc, constant(1.0), e));
  };
  // log(1 + exp(beta x)) / beta, or x where beta x > threshold.
  auto softplus = [&](float beta, float threshold) -> Value {
    Value scaled = beta == 1.0f ? x : mul(constant(beta), x);
    Value smooth =
        math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, scaled));
    if (beta != 1.0f)
      smooth = arith::DivFOp::create(b, loc, smooth, constant(beta));
    Value linear = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         scaled, constant(threshold));
    return arith::SelectOp::create(b, loc, linear, x, smooth);
  };
  // min(max(v, lo), hi), NaN kept.
  auto clamp = [&](Value v, double lo, double hi) -> Value {
    Value above = arith::MaximumFOp::create(b, loc, v, constant(lo));
    return arith::MinimumFOp::create(b, loc, above, constant(hi));
  };
  // min(max(x + 3, 0), 6), which hardsigmoid and hardswish divide by 6.
  auto shiftedRelu6 = [&]() -> Value {
    return clamp(arith::AddFOp::create(b, loc, x, constant(3.0)), 0.0, 6.0);
  };
  auto [p0, p1] = act.params;
  switch (act.kind) {
  case ActivationKind::identity:
    return x;
  case ActivationKind::relu:
    return arith::MaximumFOp::create(b, loc, x, constant(0.0));
  case ActivationKind::gelu: {
    // 0.5 x (1 + erf(x / sqrt 2))
    Value scaled = mul(x, constant(M_SQRT1_2));
    Value erf = math::ErfOp::create(b, loc, scaled);
    Value onePlus = arith::AddFOp::create(b, loc, constant(1.0), erf);
    return mul(mul(constant(0.5), x), onePlus);
  }
  case ActivationKind::gelu_tanh: {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 = mul(x, mul(x, x));
    Value inner = arith::AddFOp::create(b, loc, x, mul(constant(0.044715), x3));
    Value t =
        math::TanhOp::create(b, loc, mul(constant(0.7978845608028654), inner));
    Value onePlus = arith::AddFOp::create(b, loc, constant(1.0), t);
    return mul(mul(constant(0.5), x), onePlus);
  }
  case ActivationKind::sigmoid:
    return sigmoid(x);
  case ActivationKind::tanh:
    return math::TanhOp::create(b, loc, x);
  case ActivationKind::silu:
    return mul(x, sigmoid(x));
  case ActivationKind::leaky_relu:
    return positiveOr(x, mul(x, constant(p0)));
  // One op built per statement where a call would build two: the order of
  // a call's arguments is unspecified, and the IR would differ between
  // compilers.
  case ActivationKind::elu: {
    Value e = math::ExpM1Op::create(b, loc, x);
    return positiveOr(x, mul(e, constant(p0)));
  }
  case ActivationKind::selu: {
    Value scaled = mul(x, constant(kSeluScale));
    Value e = math::ExpM1Op::create(b, loc, x);
    return positiveOr(scaled, mul(e, constant(kSeluScale * kSeluAlpha)));
  }
  case ActivationKind::softplus:
    return softplus(p0, p1);
  case ActivationKind::mish:
    return mul(
        x, math::TanhOp::create(
               b, loc, softplus(kMishSoftplusBeta, kMishSoftplusThreshold)));
  case ActivationKind::hardtanh:
    return clamp(x, p0, p1);
  case ActivationKind::hardsigmoid:
    return arith::DivFOp::create(b, loc, shiftedRelu6(), constant(6.0));
  case ActivationKind::hardswish:
    // x * hardsigmoid(x): PyTorch's x * relu6(x + 3) / 6 multiplies first,
    // and overflows to inf for x past 5.7e37, where the value is x.
    return mul(x, arith::DivFOp::create(b, loc, shiftedRelu6(), constant(6.0)));
  }
  llvm_unreachable("unknown activation kind");
}

/// sigma(y + b) elementwise over the rank-2 `y`, with the optional `bias`
/// broadcast over rows; writes into `y`'s buffer after bufferization.
static Value buildEpilogue(OpBuilder &b, Location loc, Value y, Value bias,
                           const Activation &act) {
  if (!bias && act.kind == ActivationKind::identity)
    return y;
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<Value> inputs{y};
  SmallVector<AffineMap> maps{identity};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  maps.push_back(identity);
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, y.getType(), inputs, ValueRange{y}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = args[0];
        if (bias)
          v = arith::AddFOp::create(nb, nloc, v, args[1]);
        linalg::YieldOp::create(nb, nloc, buildActivation(nb, nloc, act, v));
      });
  return generic.getResult(0);
}

/// The extent of dimension `dim` of `value` as an index value.
static Value dimOf(OpBuilder &b, Location loc, Value value, int64_t dim) {
  return tensor::DimOp::create(b, loc, value, dim);
}

namespace {
/// tp.linear and tp.local_linear: fill, transposed-B matmul, epilogue.
template <typename LinearLikeOp>
struct LinearToLinalg : OpConversionPattern<LinearLikeOp> {
  using OpConversionPattern<LinearLikeOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearLikeOp op, typename LinearLikeOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(dimOf(rewriter, loc, adaptor.getInput(), 0));
    if (resultType.isDynamicDim(1))
      dynamicSizes.push_back(dimOf(rewriter, loc, adaptor.getWeight(), 0));
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, resultType, dynamicSizes);
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(resultType.getElementType()));
    Value filled =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    Value product = linalg::MatmulTransposeBOp::create(
                        rewriter, loc, TypeRange{resultType},
                        ValueRange{adaptor.getInput(), adaptor.getWeight()},
                        ValueRange{filled})
                        .getResult(0);
    rewriter.replaceOp(op,
                       buildEpilogue(rewriter, loc, product, adaptor.getBias(),
                                     op.getResolvedActivation()));
    return success();
  }
};

struct BiasActivationToLinalg : OpConversionPattern<BiasActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BiasActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildEpilogue(rewriter, op.getLoc(),
                                         adaptor.getInput(), adaptor.getBias(),
                                         op.getResolvedActivation()));
    return success();
  }
};

struct ActivationToLinalg : OpConversionPattern<ActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (op.getKind() == ActivationKind::identity) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    AffineMap identity =
        AffineMap::getMultiDimIdentityMap(type.getRank(), getContext());
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    // A fresh destination: the operand may have other users.
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(
            dimOf(rewriter, op.getLoc(), adaptor.getInput(), d));
    Value empty =
        tensor::EmptyOp::create(rewriter, op.getLoc(), type, dynamicSizes);
    Activation act = op.getResolvedActivation();
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), type, ValueRange{adaptor.getInput()},
        ValueRange{empty}, ArrayRef<AffineMap>{identity, identity}, iterators,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(nb, nloc,
                                  buildActivation(nb, nloc, act, args[0]));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// tp.softmax and tp.log_softmax, a few rows at a time (an scf.for over
/// the rows, into a fresh result: the input may have other users, or be
/// the caller's), so that the rows stay in L1 across their passes: the maximum,
/// exp(x - max), their sum in f64, then each element. The exponentials are a
/// pass of their own, in f32, and the sum another: in one pass, the f64 sum set
/// LLVM's vector width to 4 lanes for the exp too. Softmax keeps each exp(x -
/// max) in its result and divides it in place; log_softmax keeps them in a
/// scratch row and subtracts the log of the sum. The sum's additions may be
/// reassociated, which lets LLVM vectorize it (its lanes each sum a part in
/// f64; the order changes the f64 sum by far less than its rounding to f32).
constexpr int64_t kSoftmaxStepElements = 2048;

template <typename OpT> struct SoftmaxToLinalg : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpT>::OpAdaptor;
  LogicalResult
  matchAndRewrite(OpT op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr bool log = std::is_same_v<OpT, LogSoftmaxOp>;
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    if (type.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "features must be static");
    int64_t n = type.getDimSize(1);
    FloatType f32 = rewriter.getF32Type(), f64 = rewriter.getF64Type();
    // Rows a step: about 2,048 elements (8 KiB), so that a step stays in
    // L1 across its passes, and narrow rows are not a loop of their own
    // each. Below the width that fills a step, the last step takes the
    // rows left (a dynamic size).
    int64_t step =
        std::clamp<int64_t>(kSoftmaxStepElements / std::max<int64_t>(n, 1), 1,
                            kSoftmaxStepElements);
    // What a step needs besides its rows, allocated once outside the loop:
    // each row's maximum, its sum, the sum in f32 (or its log), and for
    // log_softmax the exponentials.
    auto empty = [&](ArrayRef<int64_t> shape, Type element) {
      return tensor::EmptyOp::create(
          rewriter, loc, RankedTensorType::get(shape, element), ValueRange{});
    };
    RowScratch whole{empty({step}, f32), empty({step}, f64), empty({step}, f32),
                     log ? Value(empty({step, n}, f32)) : Value()};
    Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value cStep = arith::ConstantIndexOp::create(rewriter, loc, step);
    Value rows = dimOf(rewriter, loc, x, 0);
    SmallVector<Value> batch;
    if (type.isDynamicDim(0))
      batch.push_back(rows);
    Value result = tensor::EmptyOp::create(rewriter, loc, type, batch);
    auto loop = scf::ForOp::create(
        rewriter, loc, c0, rows, cStep, ValueRange{result},
        [&](OpBuilder &b, Location l, Value i, ValueRange carried) {
          // The rows of this step: `step`, or those left.
          OpFoldResult count = b.getIndexAttr(1);
          int64_t staticCount = 1;
          if (step > 1) {
            Value left = arith::SubIOp::create(b, l, rows, i);
            count = arith::MinSIOp::create(b, l, left, cStep).getResult();
            staticCount = ShapedType::kDynamic;
          }
          auto tileType = RankedTensorType::get({staticCount, n}, f32);
          SmallVector<OpFoldResult> offsets = {i, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes = {count, b.getIndexAttr(n)};
          SmallVector<OpFoldResult> strides = {b.getIndexAttr(1),
                                               b.getIndexAttr(1)};
          Value in = tensor::ExtractSliceOp::create(b, l, tileType, x, offsets,
                                                    sizes, strides);
          Value out = tensor::ExtractSliceOp::create(b, l, tileType, carried[0],
                                                     offsets, sizes, strides);
          // The scratch's first `count` rows.
          auto first = [&](Value t) -> Value {
            if (!t || step == 1)
              return t;
            auto tType = cast<RankedTensorType>(t.getType());
            SmallVector<int64_t> shape(tType.getShape());
            shape[0] = ShapedType::kDynamic;
            SmallVector<OpFoldResult> o(tType.getRank(), b.getIndexAttr(0)), sz,
                st(tType.getRank(), b.getIndexAttr(1));
            sz.push_back(count);
            for (int64_t d = 1; d < tType.getRank(); ++d)
              sz.push_back(b.getIndexAttr(tType.getDimSize(d)));
            return tensor::ExtractSliceOp::create(b, l, tType.clone(shape), t,
                                                  o, sz, st);
          };
          RowScratch scratch{first(whole.max), first(whole.sum),
                             first(whole.rowSum), first(whole.exps)};
          Value done = softmaxRows(b, l, in, out, scratch);
          Value next = tensor::InsertSliceOp::create(b, l, done, carried[0],
                                                     offsets, sizes, strides);
          scf::YieldOp::create(b, l, next);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }

  struct RowScratch {
    Value max, sum, rowSum, exps;
  };

  /// Softmax or log_softmax of `row` (rows x n) into `out`. What is
  /// written and read again is read as the output operand: an input
  /// operand on the same buffer as an output would be copied first.
  static Value softmaxRows(OpBuilder &b, Location loc, Value row, Value out,
                           const RowScratch &scratch) {
    constexpr bool log = std::is_same_v<OpT, LogSoftmaxOp>;
    MLIRContext *ctx = b.getContext();
    auto type = cast<RankedTensorType>(row.getType());
    FloatType f32 = b.getF32Type(), f64 = b.getF64Type();
    auto filled = [&](Value init, double v) {
      auto of = cast<RankedTensorType>(init.getType());
      Value c = arith::ConstantOp::create(
          b, loc, b.getFloatAttr(of.getElementType(), v));
      return linalg::FillOp::create(b, loc, c, init).getResult(0);
    };
    AffineMap elem = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap one = AffineMap::get(2, 0, b.getAffineDimExpr(0), ctx);
    AffineMap oneOnly = AffineMap::getMultiDimIdentityMap(1, ctx);
    SmallVector<utils::IteratorType> reduce = {utils::IteratorType::parallel,
                                               utils::IteratorType::reduction};
    SmallVector<utils::IteratorType> parallel = {utils::IteratorType::parallel,
                                                 utils::IteratorType::parallel};
    auto generic =
        [&](TypeRange results, ValueRange ins, ValueRange outs,
            ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
            function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
          return linalg::GenericOp::create(
                     b, loc, results, ins, outs, maps, iterators,
                     [&](OpBuilder &nb, Location l, ValueRange args) {
                       linalg::YieldOp::create(nb, l,
                                               ValueRange{body(nb, l, args)});
                     })
              .getResult(0);
        };
    Value max = generic(
        scratch.max.getType(), row, filled(scratch.max, -INFINITY), {elem, one},
        reduce, [](OpBuilder &nb, Location l, ValueRange args) {
          return arith::MaximumFOp::create(nb, l, args[0], args[1]);
        });
    // exp(x - max): into the result's row for softmax, into the scratch row
    // for log_softmax.
    Value exps = generic(
        type, ValueRange{row, max}, log ? scratch.exps : out, {elem, one, elem},
        parallel, [](OpBuilder &nb, Location l, ValueRange args) {
          return math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, args[0], args[1]));
        });
    // The sum in f64, rounded to f32 once a row: a sum of many near-equal
    // terms in f32 drifts by up to n ulps, past any bound a check could set
    // for a row of 10^6 logits.
    Value sum = generic(
        scratch.sum.getType(), exps, filled(scratch.sum, 0.0), {elem, one},
        reduce, [&](OpBuilder &nb, Location l, ValueRange args) {
          Value wide = arith::ExtFOp::create(nb, l, f64, args[0]);
          return arith::AddFOp::create(nb, l, args[1], wide,
                                       arith::FastMathFlags::reassoc);
        });
    Value rowSum = generic(scratch.rowSum.getType(), sum, scratch.rowSum,
                           {oneOnly, oneOnly}, utils::IteratorType::parallel,
                           [&](OpBuilder &nb, Location l, ValueRange args) {
                             Value narrow =
                                 arith::TruncFOp::create(nb, l, f32, args[0]);
                             if (log)
                               narrow = math::LogOp::create(nb, l, narrow);
                             return narrow;
                           });
    if (log)
      return generic(
          type, ValueRange{row, max, rowSum}, out, {elem, one, one, elem},
          parallel, [](OpBuilder &nb, Location l, ValueRange args) {
            Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
            return arith::SubFOp::create(nb, l, shifted, args[2]);
          });
    return generic(type, rowSum, exps, {one, elem}, parallel,
                   [](OpBuilder &nb, Location l, ValueRange args) {
                     return arith::DivFOp::create(nb, l, args[1], args[0]);
                   });
  }
};

struct ConvertTPToLinalgPass
    : tp::impl::ConvertTPToLinalgBase<ConvertTPToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    // Only the compute ops are this pass's job; collectives and tp.rank are
    // lowered by convert-tp-to-runtime.
    target.addIllegalOp<LinearOp, LocalLinearOp, BiasActivationOp, ActivationOp,
                        SoftmaxOp, LogSoftmaxOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateTPToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::tp::populateTPToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearToLinalg<LinearOp>, LinearToLinalg<LocalLinearOp>,
               BiasActivationToLinalg, ActivationToLinalg,
               SoftmaxToLinalg<SoftmaxOp>, SoftmaxToLinalg<LogSoftmaxOp>>(
      patterns.getContext());
}
