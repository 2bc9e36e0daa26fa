//===- Evaluator.cpp - reference evaluator for tp functions ---------------===//
//
// One interpreter serves model-level functions (one rank) and partitioned
// functions (D ranks in lockstep). Local ops run rank by rank; a collective
// sees the operands of every rank at once. Lockstep execution is exact for
// SPMD code, which has no control flow that differs between ranks.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Evaluator/Evaluator.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::tp;

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// y = act(x W^T + b), accumulated in double: the oracle should be more
/// accurate than any f32 code it judges.
static Tensor linearKernel(const Tensor &x, const Tensor &w, const Tensor *b,
                           const Activation &act) {
  int64_t batch = x.shape[0], k = x.shape[1], n = w.shape[0];
  Tensor y({batch, n});
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = b ? b->data[j] : 0.0;
      for (int64_t kk = 0; kk < k; ++kk)
        acc += double(x.data[i * k + kk]) * double(w.data[j * k + kk]);
      y.data[i * n + j] = applyActivation(act, static_cast<float>(acc));
    }
  }
  return y;
}

// Error bounds (see BoundedResults). Each value carries, element by element,
// s = sqrt(sum of b_i^2) over every rounding error i that reaches it, where
// b_i bounds that error (after propagation to this element). Under the
// standard model of independent, mean-zero rounding errors (Higham and
// Mary, "A new approach to probabilistic rounding error analysis", SIAM J.
// Sci. Comput. 41(5), 2019), Hoeffding's inequality bounds their sum by
// lambda * s except with probability 2 exp(-lambda^2 / 2).

/// An upper bound on |sigma'| over [lo, hi]: the kind's global Lipschitz
/// constant, or less where the whole interval lies where sigma flattens.
/// ReLU is constant left of 0; sigmoid' <= e^-|x| and tanh' <= 4 e^-2|x|
/// decrease with |x|; left of -10, |GELU'| <= (|x| + 1/|x|) phi(x) (the
/// tanh form's tail is thinner still) and |SiLU'| <= (1 + |x|) e^x, both
/// increasing in x. Without it an input error made huge by a huge
/// pre-activation went through a ReLU that zeroes both the output and the
/// reference, and the bound of every element after it accepted anything.
static double localLipschitz(const Activation &act, double lo, double hi) {
  double global = getActivationErrorModel(act).lipschitz;
  double nearest = lo > 0 ? lo : hi < 0 ? -hi : 0.0; // smallest |x|
  auto [p0, p1] = act.params;
  switch (act.kind) {
  case ActivationKind::relu:
    return hi < 0 ? 0.0 : global;
  case ActivationKind::sigmoid:
    return std::min(global, std::exp(-nearest));
  case ActivationKind::tanh:
    return std::min(global, 4 * std::exp(-2 * nearest));
  case ActivationKind::gelu:
  case ActivationKind::gelu_tanh:
    if (hi > -10)
      return global;
    return std::min(global, (-hi - 1 / hi) * std::exp(-hi * hi / 2) /
                                std::sqrt(2 * M_PI));
  case ActivationKind::silu:
  case ActivationKind::mish: // x tanh(softplus(x)) ~ x e^x there too
    return hi > -10 ? global : std::min(global, (1 - hi) * std::exp(hi));
  case ActivationKind::leaky_relu:
    return hi < 0 ? std::fabs(double(p0)) : lo > 0 ? 1.0 : global;
  case ActivationKind::elu:
    // alpha e^x left of 0.
    return hi < 0   ? std::fabs(double(p0)) * std::exp(hi)
           : lo > 0 ? 1.0
                    : global;
  case ActivationKind::selu:
    return hi < 0 ? global * std::exp(hi) : global;
  case ActivationKind::softplus:
    // sigmoid(beta x) <= e^(beta x), beta > 0, where the whole interval is
    // on the smooth side of the threshold (left of 0 it can be on the
    // linear side, slope 1, when the threshold is negative).
    return hi < 0 && double(p0) * hi <= double(p1)
               ? std::min(global, std::exp(double(p0) * hi))
               : global;
  case ActivationKind::hardtanh:
    return hi < p0 || lo > p1 ? 0.0 : global;
  case ActivationKind::hardsigmoid:
    return hi < -3 || lo > 3 ? 0.0 : global;
  case ActivationKind::hardswish:
    return hi < -3 ? 0.0 : lo > 3 ? 1.0 : global;
  case ActivationKind::identity:
    return global;
  }
  return global;
}

/// The largest jump of sigma over [lo, hi]: softplus switches to x where
/// beta x passes its threshold, a step of log(1 + e^-threshold) / beta
/// (PyTorch's, from a threshold well below 20); the other kinds are
/// continuous.
static double activationJump(const Activation &act, double lo, double hi) {
  if (act.kind != ActivationKind::softplus)
    return 0.0;
  auto [beta, threshold] = act.params;
  double at = double(threshold) / beta;
  if (!(lo <= at && at <= hi))
    return 0.0;
  return std::log1p(std::exp(-double(threshold))) / beta;
}

/// s^2 contributed by an activation: the input's, scaled by a Lipschitz
/// constant valid over x +- lambda s, plus the allowance of the compiled
/// activation and of the reference's, and the reference's roundings of its
/// argument and result.
///
/// The allowance is relative to |sigma(x)|, plus |x| scaled by the slope
/// there for the activations whose formula rounds only through their
/// argument (sigmoid, tanh, SiLU: an error of u |x| in the argument moves
/// sigma by its slope times that), and by 1 for GELU, whose 1 + erf (or
/// 1 + tanh) cancels: an erf a few ulp off near -1 is an error of about
/// |x| u. A floor of a few times the smallest normal f32 covers results
/// that underflow, or that a GPU flushes to zero.
static double activationVariance(const Activation &act, double inputVariance,
                                 double x, double sigma) {
  const double u = kF32UnitRoundoff;
  const double floor = 16 * 0x1p-126;
  ActivationErrorModel m = getActivationErrorModel(act);
  if (!std::isfinite(x)) {
    // An infinite pre-activation is the same infinity in any order of the
    // sums; a saturating activation maps it to its limit, within the
    // allowance of the compiled formula (a clamped tanh). NaN stays NaN.
    if (!std::isfinite(sigma))
      return std::numeric_limits<double>::infinity();
    double allowance = m.ulps ? m.ulps * u * std::fabs(sigma) + floor : 0.0;
    double result = u * std::fabs(sigma);
    return 2 * allowance * allowance + result * result;
  }
  double argumentRounding = u * std::fabs(x);
  double reach = kBoundConfidence *
                 std::sqrt(inputVariance + argumentRounding * argumentRounding);
  double lipschitz = localLipschitz(act, x - reach, x + reach);
  double jump = activationJump(act, x - reach, x + reach);
  bool cancels =
      act.kind == ActivationKind::gelu || act.kind == ActivationKind::gelu_tanh;
  double allowance =
      m.ulps ? m.ulps * u *
                       (std::fabs(sigma) +
                        (cancels ? 1.0 : lipschitz) * std::fabs(x)) +
                   floor
             : 0.0;
  double argument = lipschitz * argumentRounding;
  double result = u * std::fabs(sigma);
  return lipschitz * lipschitz * inputVariance + 2 * allowance * allowance +
         argument * argument + result * result + jump * jump;
}

/// linearKernel, and s of each element given s of the input (`sx`, null:
/// exact). A dot product of K terms plus a bias, summed in f32 in any order,
/// rounds K products (each by at most u |x_k w_k|) and makes K additions
/// (each by at most u times a partial sum, which is at most the sum of the
/// magnitudes); an input error reaches the element scaled by |w_k|.
static std::pair<Tensor, Tensor>
linearWithBounds(const Tensor &x, const Tensor *sx, const Tensor &w,
                 const Tensor *b, const Activation &act) {
  int64_t batch = x.shape[0], k = x.shape[1], n = w.shape[0];
  const double u = kF32UnitRoundoff;
  Tensor y({batch, n}), s({batch, n});
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = b ? b->data[j] : 0.0;
      double magnitude = b ? std::fabs(b->data[j]) : 0.0;
      double products = 0.0, propagated = 0.0;
      for (int64_t kk = 0; kk < k; ++kk) {
        double xv = x.data[i * k + kk], wv = w.data[j * k + kk];
        double p = xv * wv;
        acc += p;
        magnitude += std::fabs(p);
        products += p * p;
        if (sx) {
          double e = double(sx->data[i * k + kk]) * wv;
          propagated += e * e;
        }
      }
      float sigma = applyActivation(act, static_cast<float>(acc));
      y.data[i * n + j] = sigma;
      double rounding =
          u * u * (products + static_cast<double>(k) * magnitude * magnitude);
      s.data[i * n + j] = static_cast<float>(std::sqrt(
          activationVariance(act, propagated + rounding, acc, sigma)));
    }
  }
  return {std::move(y), std::move(s)};
}

/// C + A B for A (M x K) and B given as W = B^T (N x K), and s of each
/// element given s of A, W and C (null: exact): the same analysis as
/// linearWithBounds, with the initial value C as one more term, and
/// errors in either factor carried by the other.
static std::pair<Tensor, Tensor>
contractWithBounds(const Tensor &a, const Tensor *sa, const Tensor &w,
                   const Tensor *sw, const Tensor &c, const Tensor *sc) {
  int64_t m = a.shape[0], k = a.shape[1], n = w.shape[0];
  const double u = kF32UnitRoundoff;
  Tensor y({m, n}), s({m, n});
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double init = c.data[i * n + j];
      double acc = init, magnitude = std::fabs(init), products = 0.0;
      double propagated = sc ? double(sc->data[i * n + j]) : 0.0;
      propagated *= propagated;
      for (int64_t kk = 0; kk < k; ++kk) {
        double av = a.data[i * k + kk], wv = w.data[j * k + kk];
        double p = av * wv;
        acc += p;
        magnitude += std::fabs(p);
        products += p * p;
        double e = (sa ? double(sa->data[i * k + kk]) * std::fabs(wv) : 0.0) +
                   (sw ? double(sw->data[j * k + kk]) * std::fabs(av) : 0.0);
        propagated += e * e;
      }
      y.data[i * n + j] = static_cast<float>(acc);
      double rounding =
          u * u *
          (products + static_cast<double>(k + 1) * magnitude * magnitude);
      s.data[i * n + j] = static_cast<float>(
          std::sqrt(propagated + rounding + u * u * acc * acc));
    }
  }
  return {std::move(y), std::move(s)};
}

/// The transpose of a 2-D tensor.
static Tensor transpose2D(const Tensor &t) {
  int64_t rows = t.shape[0], cols = t.shape[1];
  Tensor out({cols, rows});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      out.data[j * rows + i] = t.data[i * cols + j];
  return out;
}

/// A scalar of a linalg body: its value (in double), and s of its error
/// (see BoundedResults). Comparisons yield 0 or 1.
struct Scalar {
  double value = 0.0;
  double s = 0.0;
};

/// One op of a linalg body on scalars. Errors propagate to first order
/// through each op (the sum of the operands' contributions: conservative
/// when they are correlated), and each op adds its own rounding, u |r|,
/// root-sum-square. The math functions, whose f32 implementations (libm,
/// or the polynomial approximations of tp-approximate-math) may be a few
/// ulp off, add an allowance of 16 u (|r| + |x|), as compiled activations
/// do (getActivationErrorModel).
static FailureOr<Scalar> evaluateScalarOp(Operation *op, ArrayRef<Scalar> in) {
  const double u = kF32UnitRoundoff;
  auto rounded = [&](double r, double propagated, double extra = 0.0) {
    return Scalar{
        r, std::sqrt(propagated * propagated + u * u * r * r + extra * extra)};
  };
  auto unary = [&](double r, double lipschitz) {
    double x = in[0].value;
    double allowance = 16 * u * (std::fabs(r) + std::fabs(x));
    return rounded(r, lipschitz * in[0].s, allowance);
  };
  // A Lipschitz constant valid over x +- lambda s.
  auto reach = [&] { return kBoundConfidence * in[0].s; };
  // The larger or smaller operand: its error alone where the two stay
  // apart over +- lambda s (max(x, 0) of an x far below 0 is exactly 0),
  // else the larger of the two.
  auto extremum = [&](bool larger) {
    double a = larger ? in[0].value : -in[0].value;
    double b = larger ? in[1].value : -in[1].value;
    double ra = kBoundConfidence * in[0].s, rb = kBoundConfidence * in[1].s;
    double s = a - ra > b + rb   ? in[0].s
               : b - rb > a + ra ? in[1].s
                                 : std::max(in[0].s, in[1].s);
    return Scalar{larger ? std::max(in[0].value, in[1].value)
                         : std::min(in[0].value, in[1].value),
                  s};
  };
  return llvm::TypeSwitch<Operation *, FailureOr<Scalar>>(op)
      .Case([&](arith::AddFOp) {
        return rounded(in[0].value + in[1].value, in[0].s + in[1].s);
      })
      .Case([&](arith::SubFOp) {
        return rounded(in[0].value - in[1].value, in[0].s + in[1].s);
      })
      .Case([&](arith::MulFOp) {
        return rounded(in[0].value * in[1].value,
                       std::fabs(in[1].value) * in[0].s +
                           std::fabs(in[0].value) * in[1].s);
      })
      .Case([&](arith::DivFOp) {
        double b = in[1].value;
        return rounded(in[0].value / b,
                       in[0].s / std::fabs(b) +
                           std::fabs(in[0].value) * in[1].s / (b * b));
      })
      .Case([&](arith::NegFOp) {
        return Scalar{-in[0].value, in[0].s};
      })
      .Case([&](math::AbsFOp) {
        return Scalar{std::fabs(in[0].value), in[0].s};
      })
      .Case<arith::MaximumFOp, arith::MaxNumFOp>(
          [&](Operation *) { return extremum(/*larger=*/true); })
      .Case<arith::MinimumFOp, arith::MinNumFOp>(
          [&](Operation *) { return extremum(/*larger=*/false); })
      .Case([&](arith::CmpFOp cmp) -> FailureOr<Scalar> {
        double a = in[0].value, b = in[1].value;
        bool r;
        switch (cmp.getPredicate()) {
        case arith::CmpFPredicate::OGT:
        case arith::CmpFPredicate::UGT:
          r = a > b;
          break;
        case arith::CmpFPredicate::OGE:
        case arith::CmpFPredicate::UGE:
          r = a >= b;
          break;
        case arith::CmpFPredicate::OLT:
        case arith::CmpFPredicate::ULT:
          r = a < b;
          break;
        case arith::CmpFPredicate::OLE:
        case arith::CmpFPredicate::ULE:
          r = a <= b;
          break;
        case arith::CmpFPredicate::OEQ:
        case arith::CmpFPredicate::UEQ:
          r = a == b;
          break;
        case arith::CmpFPredicate::ONE:
        case arith::CmpFPredicate::UNE:
          r = a != b;
          break;
        default:
          return op->emitOpError()
                 << "has a predicate the reference evaluator does not run";
        }
        return Scalar{r ? 1.0 : 0.0, 0.0};
      })
      .Case([&](arith::SelectOp) { return in[0].value != 0.0 ? in[1] : in[2]; })
      .Case([&](math::TanhOp) { return unary(std::tanh(in[0].value), 1.0); })
      .Case([&](math::ErfOp) {
        return unary(std::erf(in[0].value), 2.0 / std::sqrt(M_PI));
      })
      .Case([&](math::ExpOp) {
        return unary(std::exp(in[0].value), std::exp(in[0].value + reach()));
      })
      .Case([&](math::LogOp) -> FailureOr<Scalar> {
        double low = in[0].value - reach();
        if (low <= 0)
          return op->emitOpError()
                 << "takes the log of " << in[0].value
                 << ", too near 0 for the reference evaluator to bound";
        return unary(std::log(in[0].value), 1.0 / low);
      })
      .Case([&](math::SqrtOp) -> FailureOr<Scalar> {
        double low = in[0].value - reach();
        if (low <= 0)
          return op->emitOpError()
                 << "takes the square root of " << in[0].value
                 << ", too near 0 for the reference evaluator to bound";
        return unary(std::sqrt(in[0].value), 0.5 / std::sqrt(low));
      })
      .Default([](Operation *op) -> FailureOr<Scalar> {
        return op->emitOpError() << "is not supported by the reference "
                                    "evaluator in the body of a linalg op";
      });
}

Tensor mlir::tp::sliceTensor(const Tensor &t, int64_t dim, int64_t offset,
                             int64_t size) {
  SmallVector<int64_t> shape(t.shape.begin(), t.shape.end());
  shape[dim] = size;
  Tensor out(shape);
  // View the tensor as [outer, extent, inner] around `dim`.
  int64_t outer = numElements(ArrayRef<int64_t>(t.shape).take_front(dim));
  int64_t inner = numElements(ArrayRef<int64_t>(t.shape).drop_front(dim + 1));
  int64_t extent = t.shape[dim];
  for (int64_t o = 0; o < outer; ++o)
    std::copy_n(t.data.begin() + (o * extent + offset) * inner, size * inner,
                out.data.begin() + o * size * inner);
  return out;
}

/// Concatenation of `parts` along `dim`; the callers check the other dims.
static Tensor concatTensors(ArrayRef<const Tensor *> parts, int64_t dim) {
  SmallVector<int64_t> shape(parts.front()->shape.begin(),
                             parts.front()->shape.end());
  shape[dim] = 0;
  for (const Tensor *p : parts)
    shape[dim] += p->shape[dim];
  Tensor out(shape);
  int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(dim));
  int64_t inner = numElements(ArrayRef<int64_t>(shape).drop_front(dim + 1));
  int64_t offset = 0;
  for (const Tensor *p : parts) {
    int64_t extent = p->shape[dim];
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(p->data.begin() + o * extent * inner, extent * inner,
                  out.data.begin() + (o * shape[dim] + offset) * inner);
    offset += extent;
  }
  return out;
}

static double reduceInit(ReductionKind kind) {
  switch (kind) {
  case ReductionKind::sum:
    return 0.0;
  case ReductionKind::prod:
    return 1.0;
  case ReductionKind::max:
    return -std::numeric_limits<double>::infinity();
  case ReductionKind::min:
    return std::numeric_limits<double>::infinity();
  }
  llvm_unreachable("unknown reduction kind");
}

static double reduceStep(ReductionKind kind, double acc, double v) {
  switch (kind) {
  case ReductionKind::sum:
    return acc + v;
  case ReductionKind::prod:
    return acc * v;
  case ReductionKind::max:
    return std::max(acc, v);
  case ReductionKind::min:
    return std::min(acc, v);
  }
  llvm_unreachable("unknown reduction kind");
}

//===----------------------------------------------------------------------===//
// Interpreter
//===----------------------------------------------------------------------===//

namespace {
/// Checks a runtime shape against a (possibly partly dynamic) tensor type.
bool matchesType(ArrayRef<int64_t> shape, RankedTensorType type) {
  if (static_cast<int64_t>(shape.size()) != type.getRank())
    return false;
  for (auto [size, expected] : llvm::zip(shape, type.getShape()))
    if (!ShapedType::isDynamic(expected) && size != expected)
      return false;
  return true;
}

std::string shapeString(ArrayRef<int64_t> shape) { return formatShape(shape); }

/// Executes one function on `numRanks` ranks in lockstep.
class Interpreter {
public:
  Interpreter(int64_t numRanks)
      : numRanks(numRanks), tensors(numRanks), indices(numRanks),
        scalars(numRanks) {}

  LogicalResult bind(Value value, int64_t rank, Tensor tensor);
  const Tensor &get(Value value, int64_t rank) const {
    auto it = tensors[rank].find(value);
    assert(it != tensors[rank].end() && "value used before it was defined");
    return it->second;
  }
  LogicalResult run(Operation *op);
  /// Forgets `value` on every rank.
  void drop(Value value) {
    for (auto &map : tensors)
      map.erase(value);
    for (auto &map : indices)
      map.erase(value);
    for (auto &map : scalars)
      map.erase(value);
    bounds.erase(value);
  }

  /// Also bound the error of every value (one rank, model ops only).
  bool withBounds = false;
  SmallVector<Tensor> resultBounds;
  int64_t longestReduction = 0;
  bool isBound(Value value) const { return tensors[0].count(value); }

  RankTensors results;

private:
  /// Runs `fn` for every rank; stops at the first failure.
  LogicalResult perRank(const std::function<LogicalResult(int64_t)> &fn) {
    for (int64_t r = 0; r < numRanks; ++r)
      if (failed(fn(r)))
        return failure();
    return success();
  }

  LogicalResult runLinear(Operation *op, Value x, Value w, Value b,
                          const Activation &act);
  LogicalResult runBiasActivation(BiasActivationOp op);
  LogicalResult runActivation(ActivationOp op);
  /// tp.softmax, or tp.log_softmax with `log`.
  LogicalResult runSoftmax(Operation *op, Value input, bool log);
  LogicalResult runConstant(arith::ConstantOp op);
  LogicalResult runAllGather(AllGatherOp op);
  LogicalResult runAllToAll(AllToAllOp op);
  /// Every rank's shard of `input` concatenated along `dim`, checked
  /// against `size` when there is one.
  FailureOr<Tensor> gatherShards(Operation *op, Value input, int64_t dim,
                                 Value size);
  LogicalResult runDim(tensor::DimOp op);
  /// Checks a gathering collective's `size` operand against the extent the
  /// shards really make.
  LogicalResult checkSize(Operation *op, Value size, int64_t extent);
  LogicalResult runReduce(Operation *op, Value input, ReductionKind kind,
                          std::optional<int64_t> scatterDim);
  LogicalResult runAllSlice(AllSliceOp op);
  LogicalResult runEmpty(tensor::EmptyOp op);
  /// Any linalg op on f32 tensors: a matmul with the contraction kernel,
  /// anything else by running its body at every point of its loops.
  LogicalResult runLinalg(linalg::LinalgOp op);
  LogicalResult runMatmul(linalg::MatmulOp op, bool transposedB);
  LogicalResult runLinalgBody(linalg::LinalgOp op);

  /// The bound of `value`; null for an exact one (an argument, a
  /// constant).
  const Tensor *getBound(Value value) const {
    auto it = bounds.find(value);
    return it == bounds.end() ? nullptr : &it->second;
  }

  int64_t numRanks;
  SmallVector<llvm::DenseMap<Value, Tensor>> tensors;
  /// Index values (sizes of dynamic dimensions), per rank.
  SmallVector<llvm::DenseMap<Value, int64_t>> indices;
  /// f32 scalars (the operands of linalg.fill, say), per rank.
  SmallVector<llvm::DenseMap<Value, double>> scalars;
  llvm::DenseMap<Value, Tensor> bounds;
};
} // namespace

LogicalResult Interpreter::bind(Value value, int64_t rank, Tensor tensor) {
  // Every value is checked against its static type, so that a partitioning
  // bug that makes a shard of the wrong size is caught where it happens.
  auto type = cast<RankedTensorType>(value.getType());
  if (!matchesType(tensor.shape, type)) {
    InFlightDiagnostic diag =
        emitError(value.getLoc())
        << "at run time on rank " << rank << ": produced a tensor of shape "
        << tensor.shapeString() << ", but its type is " << type;
    return diag;
  }
  tensors[rank][value] = std::move(tensor);
  return success();
}

LogicalResult Interpreter::runLinear(Operation *op, Value x, Value w, Value b,
                                     const Activation &act) {
  return perRank([&](int64_t r) -> LogicalResult {
    const Tensor &xt = get(x, r), &wt = get(w, r);
    const Tensor *bt = b ? &get(b, r) : nullptr;
    if (xt.shape[1] != wt.shape[1])
      return op->emitOpError()
             << "at run time on rank " << r << ": input has " << xt.shape[1]
             << " in_features but weight has " << wt.shape[1];
    if (bt && bt->shape[0] != wt.shape[0])
      return op->emitOpError()
             << "at run time on rank " << r << ": bias has " << bt->shape[0]
             << " elements but weight has " << wt.shape[0] << " rows";
    if (withBounds) {
      longestReduction = std::max(longestReduction, xt.shape[1] + 1);
      auto [y, e] = linearWithBounds(xt, getBound(x), wt, bt, act);
      bounds[op->getResult(0)] = std::move(e);
      return bind(op->getResult(0), r, std::move(y));
    }
    return bind(op->getResult(0), r, linearKernel(xt, wt, bt, act));
  });
}

LogicalResult Interpreter::runBiasActivation(BiasActivationOp op) {
  return perRank([&](int64_t r) -> LogicalResult {
    Tensor y = get(op.getInput(), r);
    int64_t n = y.shape[1];
    const Tensor *b = op.getBias() ? &get(op.getBias(), r) : nullptr;
    if (b && b->shape[0] != n)
      return op.emitOpError()
             << "at run time on rank " << r << ": bias has " << b->shape[0]
             << " elements for " << n << " features";
    for (size_t i = 0; i < y.data.size(); ++i) {
      float v = b ? y.data[i] + b->data[i % n] : y.data[i];
      y.data[i] = applyActivation(op.getResolvedActivation(), v);
    }
    return bind(op.getResult(), r, std::move(y));
  });
}

LogicalResult Interpreter::runActivation(ActivationOp op) {
  return perRank([&](int64_t r) {
    const Tensor &x = get(op.getInput(), r);
    Tensor y = x;
    for (float &v : y.data)
      v = applyActivation(op.getResolvedActivation(), v);
    if (withBounds) {
      const Tensor *sx = getBound(op.getInput());
      Tensor e(y.shape);
      for (size_t i = 0; i < e.data.size(); ++i) {
        double in = sx ? double(sx->data[i]) : 0.0;
        e.data[i] = static_cast<float>(std::sqrt(activationVariance(
            op.getResolvedActivation(), in * in, x.data[i], y.data[i])));
      }
      bounds[op.getResult()] = std::move(e);
    }
    return bind(op.getResult(), r, std::move(y));
  });
}

/// Softmax (or log-softmax) of each row of `x`, in double, rounded to f32
/// at the end; with `sx`, also s of each element. The input's errors reach
/// y_i through the Jacobian, y_i (delta_ij - y_j) (for the log, delta_ij -
/// p_j), with each y_j (p_j) allowed to grow by exp(2 reach), the most a
/// perturbation of reach moves it. The compiled formula rounds x_j - m and
/// the quotient (or the difference), calls exp (and log) within their
/// allowance, and sums N terms. Non-finite results get an infinite s.
static std::pair<Tensor, Tensor> softmaxWithBounds(const Tensor &x,
                                                   const Tensor *sx, bool log,
                                                   bool withBounds) {
  int64_t batch = x.shape[0], n = x.shape[1];
  const double u = kF32UnitRoundoff;
  // exp is the polynomial approximation of the activations (16 ulps, as
  // theirs); log is one too (tp-approximate-math, for log1p) or libm's
  // logf with --libm-math, within 1 ulp (4 allowed).
  const double ulps = 16.0, logUlps = 4.0;
  const double floor = 16 * 0x1p-126;
  Tensor y(x.shape), s;
  if (withBounds)
    s = Tensor(x.shape);
  SmallVector<double> p(n);
  for (int64_t i = 0; i < batch; ++i) {
    const float *row = x.data.data() + i * n;
    // The maximum as arith.maximumf takes it: NaN wins.
    double m = row[0];
    for (int64_t j = 1; j < n; ++j)
      if (std::isnan(double(row[j])) || row[j] > m)
        m = std::isnan(m) ? m : double(row[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j)
      sum += p[j] = std::exp(double(row[j]) - m);
    double logSum = std::log(sum);
    for (int64_t j = 0; j < n; ++j) {
      double v = log ? (double(row[j]) - m) - logSum : p[j] / sum;
      y.data[i * n + j] = static_cast<float>(v);
      p[j] /= sum;
    }
    if (!withBounds)
      continue;
    double reach = 0.0;
    if (sx)
      for (int64_t j = 0; j < n; ++j)
        if (p[j] > 0)
          reach = std::max(reach, double(sx->data[i * n + j]));
    double grow = std::exp(2 * kBoundConfidence * reach);
    // sum_j p_j^2 s_j^2, and the relative variance of the sum of exps: each
    // term's exp within its allowance and its argument's rounding, summed in
    // f64 (at most n 2^-53) and rounded to f32 once. A term of -inf (or one
    // that underflows) is an exact 0 and moves nothing.
    double f64Sum = double(n) * 0x1p-53 / u;
    double spread = 0.0, sumVariance = ulps * ulps + 1.0 + f64Sum * f64Sum;
    for (int64_t j = 0; j < n; ++j) {
      if (p[j] == 0)
        continue;
      double pj = std::min(1.0, p[j] * grow);
      double sj = sx ? double(sx->data[i * n + j]) : 0.0;
      spread += pj * pj * sj * sj;
      double arg = double(row[j]) - m;
      sumVariance += p[j] * p[j] * arg * arg;
    }
    sumVariance *= u * u;
    for (int64_t j = 0; j < n; ++j) {
      double v = y.data[i * n + j];
      if (!std::isfinite(v)) {
        s.data[i * n + j] = std::numeric_limits<float>::infinity();
        continue;
      }
      if (!log && p[j] == 0) {
        // exp of -inf, or of an argument below the smallest f32: 0, or a
        // flushed denormal.
        s.data[i * n + j] = static_cast<float>(floor);
        continue;
      }
      double sj = sx ? double(sx->data[i * n + j]) : 0.0;
      double arg = double(row[j]) - m;
      double variance;
      if (log) {
        double logRounding = logUlps * u * std::fabs(logSum) + floor;
        variance = sj * sj + spread + u * u * arg * arg +
                   logRounding * logRounding + sumVariance + u * u * v * v;
      } else {
        double yj = std::min(1.0, p[j] * grow);
        double relative = u * u * (arg * arg + ulps * ulps + 1.0) + sumVariance;
        variance = yj * yj * (sj * sj + spread + relative) + floor * floor;
      }
      s.data[i * n + j] = static_cast<float>(std::sqrt(variance));
    }
  }
  return {std::move(y), std::move(s)};
}

LogicalResult Interpreter::runSoftmax(Operation *op, Value input, bool log) {
  return perRank([&](int64_t r) {
    const Tensor &x = get(input, r);
    auto [y, s] = softmaxWithBounds(x, withBounds ? getBound(input) : nullptr,
                                    log, withBounds);
    if (withBounds) {
      longestReduction = std::max(longestReduction, x.shape[1]);
      bounds[op->getResult(0)] = std::move(s);
    }
    return bind(op->getResult(0), r, std::move(y));
  });
}

LogicalResult Interpreter::runDim(tensor::DimOp op) {
  return perRank([&](int64_t r) -> LogicalResult {
    auto it = indices[r].find(op.getIndex());
    const Tensor &t = get(op.getSource(), r);
    if (it == indices[r].end() || it->second < 0 || it->second >= t.getRank())
      return op.emitOpError()
             << "the reference evaluator needs a constant dimension index "
                "within the tensor's rank";
    indices[r][op.getResult()] = t.shape[it->second];
    return success();
  });
}

LogicalResult Interpreter::checkSize(Operation *op, Value size,
                                     int64_t extent) {
  if (!size)
    return success();
  return perRank([&](int64_t r) -> LogicalResult {
    auto it = indices[r].find(size);
    if (it == indices[r].end())
      return op->emitOpError() << "the reference evaluator cannot tell the "
                                  "value of its 'size' operand";
    if (it->second != extent)
      return op->emitOpError()
             << "at run time on rank " << r << ": 'size' is " << it->second
             << " but the shards make " << extent;
    return success();
  });
}

LogicalResult Interpreter::runConstant(arith::ConstantOp op) {
  if (auto attr = dyn_cast<IntegerAttr>(op.getValue());
      attr && op.getType().isIndex())
    return perRank([&](int64_t r) {
      indices[r][op.getResult()] = attr.getInt();
      return success();
    });
  if (auto attr = dyn_cast<FloatAttr>(op.getValue());
      attr && op.getType().isF32())
    return perRank([&](int64_t r) {
      scalars[r][op.getResult()] = attr.getValueAsDouble();
      return success();
    });
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  auto sparse = dyn_cast<SparseElementsAttr>(op.getValue());
  auto resource = dyn_cast<DenseF32ResourceElementsAttr>(op.getValue());
  std::optional<ArrayRef<float>> blob =
      resource ? resource.tryGetAsArrayRef() : std::nullopt;
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!type || !type.getElementType().isF32() ||
      !(dense || sparse ||
        (blob && int64_t(blob->size()) == type.getNumElements())))
    return op.emitOpError()
           << "the reference evaluator supports f32 tensor constants written "
              "as dense<...>, sparse<...> or dense_resource<...> (with a blob "
              "of their size), found "
           << op.getValue().getAbstractAttribute().getName() << " of "
           << op.getType();
  std::vector<float> values;
  values.reserve(type.getNumElements());
  if (dense)
    for (float v : dense.getValues<float>())
      values.push_back(v);
  else if (sparse)
    for (float v : sparse.getValues<float>())
      values.push_back(v);
  else
    values.assign(blob->begin(), blob->end());
  Tensor t(type.getShape(), std::move(values));
  return perRank([&](int64_t r) { return bind(op.getResult(), r, t); });
}

FailureOr<Tensor> Interpreter::gatherShards(Operation *op, Value input,
                                            int64_t dim, Value size) {
  SmallVector<const Tensor *> parts;
  for (int64_t r = 0; r < numRanks; ++r) {
    const Tensor &t = get(input, r);
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (r > 0 && d != dim && t.shape[d] != parts[0]->shape[d])
        return op->emitOpError()
               << "at run time: rank " << r << " contributes a shard of shape "
               << t.shapeString() << ", which does not fit rank 0's "
               << parts[0]->shapeString() << " outside dim " << dim;
    parts.push_back(&t);
  }
  Tensor full = concatTensors(parts, dim);
  if (failed(checkSize(op, size, full.shape[dim])))
    return failure();
  return full;
}

LogicalResult Interpreter::runAllGather(AllGatherOp op) {
  FailureOr<Tensor> full =
      gatherShards(op, op.getInput(), op.getDim(), op.getSize());
  if (failed(full))
    return failure();
  return perRank([&](int64_t r) { return bind(op.getResult(), r, *full); });
}

LogicalResult Interpreter::runAllToAll(AllToAllOp op) {
  FailureOr<Tensor> whole =
      gatherShards(op, op.getInput(), op.getConcat(), op.getSize());
  if (failed(whole))
    return failure();
  // Runtimes read each rank's shard as its balanced share of the whole.
  int64_t concat = op.getConcat(), total = whole->shape[concat];
  for (int64_t r = 0; r < numRanks; ++r) {
    int64_t extent = get(op.getInput(), r).shape[concat];
    if (extent != getShardSize(total, numRanks, r))
      return op.emitOpError()
             << "at run time: rank " << r << " holds " << extent << " of dim "
             << concat << ", not its balanced share of " << total;
  }
  int64_t split = op.getSplit();
  int64_t extent = whole->shape[split];
  return perRank([&](int64_t r) {
    return bind(op.getResult(), r,
                sliceTensor(*whole, split, getShardOffset(extent, numRanks, r),
                            getShardSize(extent, numRanks, r)));
  });
}

LogicalResult Interpreter::runReduce(Operation *op, Value input,
                                     ReductionKind kind,
                                     std::optional<int64_t> scatterDim) {
  const Tensor &first = get(input, 0);
  for (int64_t r = 1; r < numRanks; ++r)
    if (get(input, r).shape != first.shape)
      return op->emitOpError()
             << "at run time: rank " << r << " contributes shape "
             << get(input, r).shapeString() << " but rank 0 contributes "
             << first.shapeString();
  Tensor reduced(first.shape);
  for (size_t i = 0; i < reduced.data.size(); ++i) {
    double acc = reduceInit(kind);
    for (int64_t r = 0; r < numRanks; ++r)
      acc = reduceStep(kind, acc, get(input, r).data[i]);
    reduced.data[i] = static_cast<float>(acc);
  }
  return perRank([&](int64_t r) {
    if (!scatterDim)
      return bind(op->getResult(0), r, reduced);
    int64_t extent = reduced.shape[*scatterDim];
    return bind(op->getResult(0), r,
                sliceTensor(reduced, *scatterDim,
                            getShardOffset(extent, numRanks, r),
                            getShardSize(extent, numRanks, r)));
  });
}

LogicalResult Interpreter::runAllSlice(AllSliceOp op) {
  int64_t dim = op.getDim();
  return perRank([&](int64_t r) {
    const Tensor &t = get(op.getInput(), r);
    int64_t extent = t.shape[dim];
    return bind(op.getResult(), r,
                sliceTensor(t, dim, getShardOffset(extent, numRanks, r),
                            getShardSize(extent, numRanks, r)));
  });
}

LogicalResult Interpreter::runEmpty(tensor::EmptyOp op) {
  return perRank([&](int64_t r) -> LogicalResult {
    SmallVector<int64_t> shape;
    unsigned next = 0;
    for (int64_t size : op.getType().getShape()) {
      if (!ShapedType::isDynamic(size)) {
        shape.push_back(size);
        continue;
      }
      auto it = indices[r].find(op.getDynamicSizes()[next++]);
      if (it == indices[r].end() || it->second < 0)
        return op.emitOpError()
               << "has a size the reference evaluator cannot tell";
      shape.push_back(it->second);
    }
    return bind(op.getResult(), r, Tensor(shape));
  });
}

/// Whether `op` is C += A B (false) or C += A B^T (true) on 2-D operands;
/// nullopt for any other indexing.
static std::optional<bool> getMatmulLayout(linalg::MatmulOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  auto map = [&](AffineExpr a, AffineExpr b) {
    return AffineMap::get(3, 0, {a, b}, ctx);
  };
  if (maps.size() != 3 || maps[0] != map(m, k) || maps[2] != map(m, n))
    return std::nullopt;
  if (maps[1] == map(k, n))
    return false;
  if (maps[1] == map(n, k))
    return true;
  return std::nullopt;
}

LogicalResult Interpreter::runLinalg(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics())
    return op->emitOpError() << "works on buffers; the reference evaluator "
                                "runs linalg ops on tensors";
  for (Value operand : op->getOperands())
    if (!getElementTypeOrSelf(operand.getType()).isF32())
      return op->emitOpError() << "has an operand of type " << operand.getType()
                               << "; the reference evaluator runs f32 only";
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation()))
    if (std::optional<bool> transposedB = getMatmulLayout(matmul))
      return runMatmul(matmul, *transposedB);
  return runLinalgBody(op);
}

LogicalResult Interpreter::runMatmul(linalg::MatmulOp op, bool transposedB) {
  Value a = op.getInputs()[0], b = op.getInputs()[1], c = op.getOutputs()[0];
  return perRank([&](int64_t r) -> LogicalResult {
    const Tensor &at = get(a, r), &bt = get(b, r), &ct = get(c, r);
    Tensor w = transposedB ? bt : transpose2D(bt);
    if (at.shape[1] != w.shape[1] || ct.shape[0] != at.shape[0] ||
        ct.shape[1] != w.shape[0])
      return op.emitOpError()
             << "at run time on rank " << r << ": cannot multiply "
             << at.shapeString() << " by " << bt.shapeString() << " into "
             << ct.shapeString();
    const Tensor *sb = getBound(b);
    std::optional<Tensor> sw;
    if (sb)
      sw = transposedB ? *sb : transpose2D(*sb);
    auto [y, e] = contractWithBounds(at, getBound(a), w, sw ? &*sw : nullptr,
                                     ct, getBound(c));
    if (withBounds) {
      longestReduction = std::max(longestReduction, at.shape[1] + 1);
      bounds[op->getResult(0)] = std::move(e);
    }
    return bind(op->getResult(0), r, std::move(y));
  });
}

LogicalResult Interpreter::runLinalgBody(linalg::LinalgOp op) {
  Operation *raw = op.getOperation();
  Block *body = op.getBlock();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap toLoops = op.getShapesToLoopsMap();
  if (!body || !toLoops || body->getNumArguments() != raw->getNumOperands())
    return op->emitOpError()
           << "has loops the reference evaluator cannot infer";
  unsigned numInputs = op.getNumDpsInputs();
  return perRank([&](int64_t r) -> LogicalResult {
    SmallVector<const Tensor *> operands;
    SmallVector<int64_t> shapes;
    for (Value v : raw->getOperands()) {
      if (!isa<RankedTensorType>(v.getType())) {
        operands.push_back(nullptr);
        continue;
      }
      operands.push_back(&get(v, r));
      llvm::append_range(shapes, operands.back()->shape);
    }
    SmallVector<int64_t> ranges = toLoops.compose(shapes);
    // Every access must stay inside its operand.
    for (auto [i, t] : llvm::enumerate(operands)) {
      if (!t)
        continue;
      SmallVector<int64_t> last(ranges);
      bool empty = llvm::any_of(ranges, [](int64_t n) { return n <= 0; });
      for (int64_t &x : last)
        x = std::max<int64_t>(x - 1, 0);
      SmallVector<int64_t> reach = maps[i].compose(last);
      for (auto [d, extent] : llvm::enumerate(t->shape))
        if (!empty && (reach[d] < 0 || reach[d] >= extent))
          return op->emitOpError()
                 << "at run time on rank " << r << ": operand #" << i
                 << " of shape " << t->shapeString()
                 << " does not cover the loops [" << ranges << "]";
    }
    SmallVector<Tensor> outs, outBounds;
    for (unsigned i = numInputs; i < raw->getNumOperands(); ++i) {
      outs.push_back(*operands[i]);
      const Tensor *e = getBound(raw->getOperand(i));
      outBounds.push_back(e ? *e : Tensor(operands[i]->shape));
    }
    auto offsetOf = [&](unsigned i, ArrayRef<int64_t> point) {
      SmallVector<int64_t> index = maps[i].compose(point);
      int64_t offset = 0;
      for (auto [d, extent] : llvm::enumerate(operands[i]->shape))
        offset = offset * extent + index[d];
      return offset;
    };
    llvm::DenseMap<Value, Scalar> env;
    auto lookup = [&](Value v) -> FailureOr<Scalar> {
      if (auto it = env.find(v); it != env.end())
        return it->second;
      if (auto it = scalars[r].find(v); it != scalars[r].end())
        return Scalar{it->second, 0.0};
      return op->emitOpError()
             << "uses a value in its body that the reference evaluator "
                "cannot tell";
    };
    int64_t points = 1, reduced = 1;
    for (auto [n, iterator] : llvm::zip(ranges, op.getIteratorTypesArray())) {
      points *= std::max<int64_t>(n, 0);
      if (iterator == utils::IteratorType::reduction)
        reduced *= std::max<int64_t>(n, 0);
    }
    if (withBounds && op.getNumReductionLoops() > 0)
      longestReduction = std::max(longestReduction, reduced + 1);
    SmallVector<int64_t> point(ranges.size(), 0);
    for (int64_t p = 0; p < points; ++p) {
      env.clear();
      for (unsigned i = 0; i < raw->getNumOperands(); ++i) {
        Value v = raw->getOperand(i);
        if (!operands[i]) {
          FailureOr<Scalar> x = lookup(v);
          if (failed(x))
            return failure();
          env[body->getArgument(i)] = *x;
          continue;
        }
        int64_t offset = offsetOf(i, point);
        const Tensor &t = i < numInputs ? *operands[i] : outs[i - numInputs];
        const Tensor *e =
            i < numInputs ? getBound(v) : &outBounds[i - numInputs];
        env[body->getArgument(i)] = {t.data[offset],
                                     e ? double(e->data[offset]) : 0.0};
      }
      for (Operation &inner : body->without_terminator()) {
        if (auto constant = dyn_cast<arith::ConstantOp>(inner)) {
          auto value = dyn_cast<FloatAttr>(constant.getValue());
          if (!value)
            return constant.emitOpError() << "is not an f32 constant, which "
                                             "is all the reference evaluator "
                                             "runs in a linalg body";
          env[constant.getResult()] = {value.getValueAsDouble(), 0.0};
          continue;
        }
        if (inner.getNumResults() != 1)
          return inner.emitOpError() << "is not supported by the reference "
                                        "evaluator in the body of a linalg op";
        SmallVector<Scalar> in;
        for (Value operand : inner.getOperands()) {
          FailureOr<Scalar> x = lookup(operand);
          if (failed(x))
            return failure();
          in.push_back(*x);
        }
        FailureOr<Scalar> result = evaluateScalarOp(&inner, in);
        if (failed(result))
          return failure();
        env[inner.getResult(0)] = *result;
      }
      for (auto [j, yielded] :
           llvm::enumerate(body->getTerminator()->getOperands())) {
        FailureOr<Scalar> x = lookup(yielded);
        if (failed(x))
          return failure();
        int64_t offset = offsetOf(numInputs + j, point);
        outs[j].data[offset] = static_cast<float>(x->value);
        outBounds[j].data[offset] = static_cast<float>(x->s);
      }
      for (int64_t d = ranges.size() - 1; d >= 0; --d) {
        if (++point[d] < ranges[d])
          break;
        point[d] = 0;
      }
    }
    for (auto [j, result] : llvm::enumerate(raw->getResults())) {
      if (withBounds)
        bounds[result] = std::move(outBounds[j]);
      if (failed(bind(result, r, std::move(outs[j]))))
        return failure();
    }
    return success();
  });
}

LogicalResult Interpreter::run(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](LinearOp op) {
        return runLinear(op, op.getInput(), op.getWeight(), op.getBias(),
                         op.getResolvedActivation());
      })
      .Case([&](LocalLinearOp op) {
        return runLinear(op, op.getInput(), op.getWeight(), op.getBias(),
                         op.getResolvedActivation());
      })
      .Case([&](BiasActivationOp op) { return runBiasActivation(op); })
      .Case([&](ActivationOp op) { return runActivation(op); })
      .Case([&](SoftmaxOp op) {
        return runSoftmax(op, op.getInput(), /*log=*/false);
      })
      .Case([&](LogSoftmaxOp op) {
        return runSoftmax(op, op.getInput(), /*log=*/true);
      })
      .Case([&](arith::ConstantOp op) { return runConstant(op); })
      .Case([&](RankOp op) -> LogicalResult {
        // The evaluator holds tensors only; partitioned code derives every
        // rank-dependent size itself, so a used rank means code it cannot
        // run.
        if (!op->use_empty())
          return op.emitOpError()
                 << "has uses; the reference evaluator runs tensor code only";
        return success();
      })
      .Case([&](AllGatherOp op) { return runAllGather(op); })
      .Case([&](AllToAllOp op) { return runAllToAll(op); })
      .Case([&](tensor::DimOp op) { return runDim(op); })
      .Case([&](AllSliceOp op) { return runAllSlice(op); })
      .Case([&](tensor::EmptyOp op) { return runEmpty(op); })
      .Case([&](linalg::LinalgOp op) { return runLinalg(op); })
      .Case([&](shard::ShardOp op) {
        // An annotation: the value is the same, wherever it lives.
        if (const Tensor *e = getBound(op.getSrc()))
          bounds[op.getResult()] = *e;
        return perRank([&](int64_t r) {
          return bind(op.getResult(), r, get(op.getSrc(), r));
        });
      })
      .Case([&](shard::ShardingOp) { return success(); })
      .Case([&](AllReduceOp op) {
        return runReduce(op, op.getInput(), op.getKind(), std::nullopt);
      })
      .Case([&](ReduceScatterOp op) {
        return runReduce(op, op.getInput(), op.getKind(), op.getDim());
      })
      .Case([&](func::ReturnOp op) {
        for (int64_t r = 0; r < numRanks; ++r) {
          SmallVector<Tensor> out;
          for (Value v : op.getOperands())
            out.push_back(get(v, r));
          results.push_back(std::move(out));
        }
        if (withBounds)
          for (Value v : op.getOperands()) {
            const Tensor *e = getBound(v);
            Tensor bound = e ? *e : Tensor(get(v, 0).shape);
            for (float &b : bound.data)
              b = static_cast<float>(kBoundConfidence * b * (1 + 0x1p-20)) +
                  std::numeric_limits<float>::denorm_min();
            resultBounds.push_back(std::move(bound));
          }
        return success();
      })
      .Default([](Operation *op) {
        return op->emitOpError()
               << "is not supported by the reference evaluator";
      });
}

/// Checks that argument `index` of `fn` can take `t` on `rank` (of
/// `numRanks`).
static LogicalResult checkArgument(FunctionOpInterface fn, BlockArgument arg,
                                   const Tensor &t, int64_t rank,
                                   int64_t numRanks) {
  unsigned index = arg.getArgNumber();
  auto type = dyn_cast<RankedTensorType>(arg.getType());
  if (!type || !type.getElementType().isF32())
    return fn.emitError() << "argument #" << index << " has type "
                          << arg.getType()
                          << "; the evaluator accepts f32 tensors only";
  if (!matchesType(t.shape, type))
    return fn.emitError() << "argument #" << index
                          << (numRanks > 1 ? " of rank " + std::to_string(rank)
                                           : std::string())
                          << ": expected a tensor matching " << type
                          << ", got shape " << t.shapeString();
  return success();
}

/// Runs `fn` with `rankArgs.size()` ranks, or, with `load`, on one rank
/// whose arguments are loaded when first used. Every value is dropped after
/// its last use.
static FailureOr<RankTensors> interpret(FunctionOpInterface fn,
                                        ArrayRef<SmallVector<Tensor>> rankArgs,
                                        ArgumentLoader load = nullptr,
                                        BoundedResults *bounded = nullptr) {
  if (fn.isExternal())
    return fn.emitError() << "cannot evaluate a function without a body";
  Region &body = fn.getFunctionBody();
  if (!body.hasOneBlock())
    return fn.emitError()
           << "the reference evaluator needs a single-block function, found "
           << body.getBlocks().size() << " blocks";
  Block &block = body.front();
  int64_t numRanks = load ? 1 : rankArgs.size();
  Interpreter interp(numRanks);
  interp.withBounds = bounded != nullptr;
  if (!load) {
    for (auto [rank, args] : llvm::enumerate(rankArgs)) {
      if (args.size() != block.getNumArguments())
        return fn.emitError()
               << "expected " << block.getNumArguments() << " arguments, got "
               << args.size()
               << (rankArgs.size() > 1 ? " for rank " + std::to_string(rank)
                                       : std::string());
      for (auto [index, arg] : llvm::enumerate(block.getArguments())) {
        if (failed(checkArgument(fn, arg, args[index], rank, numRanks)))
          return failure();
        (void)interp.bind(arg, rank, args[index]);
      }
    }
  }
  // The last op of the block that uses each value.
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : block)
    op.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        lastUse[operand] = &op;
    });
  for (Operation &op : block) {
    if (load) {
      for (Value operand : op.getOperands()) {
        auto arg = dyn_cast<BlockArgument>(operand);
        if (!arg || arg.getOwner() != &block || interp.isBound(arg))
          continue;
        llvm::Expected<Tensor> t = load(arg.getArgNumber());
        if (!t)
          return fn.emitError() << "argument #" << arg.getArgNumber() << ": "
                                << llvm::toString(t.takeError());
        if (failed(checkArgument(fn, arg, *t, 0, 1)))
          return failure();
        (void)interp.bind(arg, 0, std::move(*t));
      }
    }
    if (failed(interp.run(&op)))
      return failure();
    SmallVector<Value> used;
    op.walk([&](Operation *nested) {
      llvm::append_range(used, nested->getOperands());
    });
    for (Value operand : used)
      if (lastUse.lookup(operand) == &op)
        interp.drop(operand);
  }
  if (bounded) {
    bounded->bounds = std::move(interp.resultBounds);
    bounded->longestReduction = interp.longestReduction;
  }
  return std::move(interp.results);
}

FailureOr<SmallVector<Tensor>> mlir::tp::evaluate(FunctionOpInterface fn,
                                                  ArrayRef<Tensor> args) {
  if (fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "is partitioned: run it on every device with "
                             "evaluateSPMD";
  SmallVector<SmallVector<Tensor>> rankArgs{SmallVector<Tensor>(args)};
  FailureOr<RankTensors> results = interpret(fn, rankArgs);
  if (failed(results))
    return failure();
  return std::move(results->front());
}

FailureOr<SmallVector<Tensor>>
mlir::tp::evaluateStreaming(FunctionOpInterface fn, ArgumentLoader load) {
  if (fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "is partitioned: run it on every device with "
                             "evaluateSPMD";
  FailureOr<RankTensors> results = interpret(fn, {}, load);
  if (failed(results))
    return failure();
  return std::move(results->front());
}

FailureOr<BoundedResults> mlir::tp::evaluateWithBounds(FunctionOpInterface fn,
                                                       ArgumentLoader load) {
  if (fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "is partitioned: run it on every device with "
                             "evaluateSPMD";
  BoundedResults bounded;
  FailureOr<RankTensors> results = interpret(fn, {}, load, &bounded);
  if (failed(results))
    return failure();
  bounded.values = std::move(results->front());
  return bounded;
}

FailureOr<RankTensors>
mlir::tp::evaluateSPMD(FunctionOpInterface fn,
                       ArrayRef<SmallVector<Tensor>> rankArgs) {
  MeshAttr mesh = lookupMesh(fn);
  if (!mesh)
    return fn.emitError() << "has no enclosing module with a '"
                          << TPDialect::kMeshAttrName << "' attribute";
  if (static_cast<int64_t>(rankArgs.size()) != mesh.getNumDevices())
    return fn.emitError() << "is partitioned for " << mesh.getNumDevices()
                          << " devices, but arguments for " << rankArgs.size()
                          << " ranks were given";
  return interpret(fn, rankArgs);
}

FailureOr<RankTensors> mlir::tp::shardArguments(FunctionOpInterface fn,
                                                ArrayRef<Tensor> fullArgs) {
  MeshAttr mesh = lookupMesh(fn);
  if (!mesh)
    return fn.emitError() << "has no enclosing module with a '"
                          << TPDialect::kMeshAttrName << "' attribute";
  if (fullArgs.size() != fn.getNumArguments())
    return fn.emitError() << "expected " << fn.getNumArguments()
                          << " arguments, got " << fullArgs.size();
  int64_t devices = mesh.getNumDevices();
  RankTensors rankArgs(devices);
  for (auto [index, full] : llvm::enumerate(fullArgs)) {
    auto shard =
        fn.getArgAttrOfType<ShardAttr>(index, TPDialect::kShardAttrName);
    if (shard && ArrayRef<int64_t>(full.shape) != shard.getShape())
      return fn.emitError()
             << "argument #" << index << ": the manifest expects "
             << shapeString(shard.getShape()) << ", got shape "
             << full.shapeString();
    for (int64_t r = 0; r < devices; ++r) {
      if (!shard || shard.isReplicated()) {
        rankArgs[r].push_back(full);
        continue;
      }
      rankArgs[r].push_back(sliceTensor(
          full, *shard.getDim(), shard.getOffsets()[r], shard.getSizes()[r]));
    }
  }
  return rankArgs;
}

//===----------------------------------------------------------------------===//
// Files and entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> mlir::tp::parseModel(MLIRContext &context,
                                           llvm::SourceMgr &sourceMgr) {
  ParserConfig config(&context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, config);
  if (!module || failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> mlir::tp::parseModelFile(MLIRContext &context,
                                               StringRef path) {
  std::string error;
  auto buffer = openInputFile(path, &error);
  if (!buffer) {
    emitError(UnknownLoc::get(&context)) << error;
    return nullptr;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  return parseModel(context, sourceMgr);
}

FunctionOpInterface mlir::tp::lookupEntry(ModuleOp module, StringRef name) {
  if (!name.empty()) {
    auto fn = dyn_cast_or_null<FunctionOpInterface>(module.lookupSymbol(name));
    if (fn)
      return fn;
    // The functions it could have meant, the first few.
    SmallVector<std::string> names;
    for (auto other : module.getOps<FunctionOpInterface>())
      if (!other.isExternal())
        names.push_back("'" + other.getName().str() + "'");
    InFlightDiagnostic diag = module.emitError() << "no function named '"
                                                 << name << "' in the module";
    if (names.empty())
      diag << ", which defines no function";
    else
      diag << "; it defines " << llvm::join(ArrayRef(names).take_front(8), ", ")
           << (names.size() > 8 ? ", ..." : "");
    return fn;
  }
  FunctionOpInterface found;
  for (auto fn : module.getOps<FunctionOpInterface>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    if (found) {
      module.emitError() << "the module has several public functions ('"
                         << found.getName() << "', '" << fn.getName()
                         << "'); name the entry function";
      return nullptr;
    }
    found = fn;
  }
  if (!found)
    module.emitError() << "the module has no public function with a body";
  return found;
}

FailureOr<SmallVector<Tensor>> mlir::tp::evaluateFile(MLIRContext &context,
                                                      StringRef path,
                                                      StringRef entry,
                                                      ArrayRef<Tensor> args) {
  OwningOpRef<ModuleOp> module = parseModelFile(context, path);
  if (!module)
    return failure();
  FunctionOpInterface fn = lookupEntry(*module, entry);
  if (!fn)
    return failure();
  return evaluate(fn, args);
}
