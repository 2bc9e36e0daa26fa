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
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/SourceMgr.h"

#include <functional>

using namespace mlir;
using namespace mlir::tp;

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// y = act(x W^T + b), accumulated in double: the oracle should be more
/// accurate than any f32 code it judges.
static Tensor linearKernel(const Tensor &x, const Tensor &w, const Tensor *b,
                           ActivationKind act) {
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

/// s^2 contributed by an activation: the input's, scaled by the Lipschitz
/// constant, plus the allowance of the compiled activation and of the
/// reference's, and the reference's roundings of its argument and result.
static double activationVariance(ActivationKind act, double inputVariance,
                                 double x, double sigma) {
  const double u = kF32UnitRoundoff;
  ActivationErrorModel m = getActivationErrorModel(act);
  double allowance = m.ulps * u * (std::fabs(sigma) + std::fabs(x));
  double argument = m.lipschitz * u * std::fabs(x);
  double result = u * std::fabs(sigma);
  return m.lipschitz * m.lipschitz * inputVariance + 2 * allowance * allowance +
         argument * argument + result * result;
}

/// linearKernel, and s of each element given s of the input (`sx`, null:
/// exact). A dot product of K terms plus a bias, summed in f32 in any order,
/// rounds K products (each by at most u |x_k w_k|) and makes K additions
/// (each by at most u times a partial sum, which is at most the sum of the
/// magnitudes); an input error reaches the element scaled by |w_k|.
static std::pair<Tensor, Tensor>
linearWithBounds(const Tensor &x, const Tensor *sx, const Tensor &w,
                 const Tensor *b, ActivationKind act) {
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
      : numRanks(numRanks), tensors(numRanks), indices(numRanks) {}

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
                          ActivationKind act);
  LogicalResult runBiasActivation(BiasActivationOp op);
  LogicalResult runActivation(ActivationOp op);
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
                                     ActivationKind act) {
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
      y.data[i] = applyActivation(op.getActivation(), v);
    }
    return bind(op.getResult(), r, std::move(y));
  });
}

LogicalResult Interpreter::runActivation(ActivationOp op) {
  return perRank([&](int64_t r) {
    const Tensor &x = get(op.getInput(), r);
    Tensor y = x;
    for (float &v : y.data)
      v = applyActivation(op.getKind(), v);
    if (withBounds) {
      const Tensor *sx = getBound(op.getInput());
      Tensor e(y.shape);
      for (size_t i = 0; i < e.data.size(); ++i) {
        double in = sx ? double(sx->data[i]) : 0.0;
        e.data[i] = static_cast<float>(std::sqrt(
            activationVariance(op.getKind(), in * in, x.data[i], y.data[i])));
      }
      bounds[op.getResult()] = std::move(e);
    }
    return bind(op.getResult(), r, std::move(y));
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
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!dense || !type || !type.getElementType().isF32())
    return op.emitOpError()
           << "the reference evaluator supports only dense f32 tensor "
              "constants, found "
           << op.getType();
  std::vector<float> values;
  values.reserve(type.getNumElements());
  for (float v : dense.getValues<float>())
    values.push_back(v);
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

LogicalResult Interpreter::run(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](LinearOp op) {
        return runLinear(op, op.getInput(), op.getWeight(), op.getBias(),
                         op.getActivation());
      })
      .Case([&](LocalLinearOp op) {
        return runLinear(op, op.getInput(), op.getWeight(), op.getBias(),
                         op.getActivation());
      })
      .Case([&](BiasActivationOp op) { return runBiasActivation(op); })
      .Case([&](ActivationOp op) { return runActivation(op); })
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
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
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
    for (Value operand : op.getOperands())
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
    if (!fn)
      module.emitError() << "no function named '" << name << "' in the module";
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
