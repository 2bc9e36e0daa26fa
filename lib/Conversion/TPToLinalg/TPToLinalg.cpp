//===- TPToLinalg.cpp - tp compute ops to linalg on tensors ---------------===//

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"
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

/// tp.softmax and tp.log_softmax: the maximum of each row, the sum of
/// exp(x - max) in f64, then each element. Softmax writes exp(x - max) in
/// the pass that sums it and divides in place after, so that exp runs once
/// an element; log_softmax takes log of the sum once a row and subtracts.
/// The sum's additions may be reassociated, which lets LLVM vectorize the
/// row (its lanes each sum a part in f64; the order changes the f64 sum by
/// far less than its rounding to f32).
template <typename OpT> struct SoftmaxToLinalg : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpT>::OpAdaptor;
  LogicalResult
  matchAndRewrite(OpT op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr bool log = std::is_same_v<OpT, LogSoftmaxOp>;
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    FloatType f32 = rewriter.getF32Type(), f64 = rewriter.getF64Type();
    SmallVector<Value> batch;
    if (type.isDynamicDim(0))
      batch.push_back(dimOf(rewriter, loc, x, 0));
    auto rowType = RankedTensorType::get({type.getDimSize(0)}, f32);
    auto sumType = RankedTensorType::get({type.getDimSize(0)}, f64);
    auto filledRow = [&](RankedTensorType rowOf, double v) {
      Value init = tensor::EmptyOp::create(rewriter, loc, rowOf, batch);
      Value c = arith::ConstantOp::create(
          rewriter, loc, rewriter.getFloatAttr(rowOf.getElementType(), v));
      return linalg::FillOp::create(rewriter, loc, c, init).getResult(0);
    };
    AffineMap elem = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, rewriter.getAffineDimExpr(0), ctx);
    AffineMap rowOnly = AffineMap::getMultiDimIdentityMap(1, ctx);
    SmallVector<utils::IteratorType> reduce = {utils::IteratorType::parallel,
                                               utils::IteratorType::reduction};
    SmallVector<utils::IteratorType> parallel = {utils::IteratorType::parallel,
                                                 utils::IteratorType::parallel};
    Value max =
        linalg::GenericOp::create(
            rewriter, loc, rowType, ValueRange{x},
            ValueRange{filledRow(rowType, -INFINITY)},
            ArrayRef<AffineMap>{elem, row}, reduce,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(b, l,
                                      ValueRange{arith::MaximumFOp::create(
                                          b, l, args[0], args[1])});
            })
            .getResult(0);
    // The sum in f64, rounded to f32 once a row: a sum of many near-equal
    // terms in f32 drifts by up to n ulps, past any bound a check could set
    // for a row of 10^6 logits. Softmax also keeps each exp(x - max) in its
    // result, which the division below overwrites.
    Value empty = tensor::EmptyOp::create(rewriter, loc, type, batch);
    SmallVector<Type> sumResults;
    SmallVector<Value> sumInits;
    SmallVector<AffineMap> sumMaps = {elem, row};
    if (!log) {
      sumResults.push_back(type);
      sumInits.push_back(empty);
      sumMaps.push_back(elem);
    }
    sumResults.push_back(sumType);
    sumInits.push_back(filledRow(sumType, 0.0));
    sumMaps.push_back(row);
    auto sumPass = linalg::GenericOp::create(
        rewriter, loc, sumResults, ValueRange{x, max}, sumInits, sumMaps,
        reduce, [&](OpBuilder &b, Location l, ValueRange args) {
          Value e = math::ExpOp::create(
              b, l, arith::SubFOp::create(b, l, args[0], args[1]));
          Value wide = arith::ExtFOp::create(b, l, f64, e);
          Value sum = arith::AddFOp::create(b, l, args.back(), wide,
                                            arith::FastMathFlags::reassoc);
          if (log)
            linalg::YieldOp::create(b, l, ValueRange{sum});
          else
            linalg::YieldOp::create(b, l, ValueRange{e, sum});
        });
    // Once a row: the sum in f32, or its log.
    Value rowSum =
        linalg::GenericOp::create(
            rewriter, loc, rowType, ValueRange{sumPass.getResults().back()},
            ValueRange{tensor::EmptyOp::create(rewriter, loc, rowType, batch)},
            ArrayRef<AffineMap>{rowOnly, rowOnly},
            {utils::IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value narrow = arith::TruncFOp::create(b, l, f32, args[0]);
              if (log)
                narrow = math::LogOp::create(b, l, narrow);
              linalg::YieldOp::create(b, l, ValueRange{narrow});
            })
            .getResult(0);
    linalg::GenericOp result;
    if (log) {
      result = linalg::GenericOp::create(
          rewriter, loc, type, ValueRange{x, max, rowSum}, ValueRange{empty},
          ArrayRef<AffineMap>{elem, row, row, elem}, parallel,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
            linalg::YieldOp::create(
                b, l,
                ValueRange{arith::SubFOp::create(b, l, shifted, args[2])});
          });
    } else {
      // In place: the exponentials are the division's output operand.
      result = linalg::GenericOp::create(
          rewriter, loc, type, ValueRange{rowSum},
          ValueRange{sumPass.getResult(0)}, ArrayRef<AffineMap>{row, elem},
          parallel, [&](OpBuilder &b, Location l, ValueRange args) {
            linalg::YieldOp::create(
                b, l,
                ValueRange{arith::DivFOp::create(b, l, args[1], args[0])});
          });
    }
    rewriter.replaceOp(op, result.getResult(0));
    return success();
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
