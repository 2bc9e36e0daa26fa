//===- OptimizeCollectives.cpp - remove and cheapen collectives -----------===//
//
// Local rewrites on partitioned code. Every rule keeps each device's values
// unchanged; together they find Megatron's pairing (row then column needs no
// collective) and turn all-reduce + slice into reduce-scatter.
//
// A rewritten op keeps the location of the op whose work it does: the
// reduce_scatter that of the all_reduce, the all_to_all that of the gather,
// the bias and activation their own. A per-layer profile (tp-run's report,
// grouped by location) then charges a layer's collective and its deferred
// epilogue to that layer, as the planner's explanation does, and not to the
// layer whose input slice asked for them.
//
//===----------------------------------------------------------------------===//

#include "ShardedArguments.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tp {
#define GEN_PASS_DEF_OPTIMIZECOLLECTIVES
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
/// all_slice(all_gather(x, d), d) -> x. Both follow the balanced rule, so
/// the slice a device keeps is exactly the shard it contributed.
struct CancelGatherSlice : OpRewritePattern<AllSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto gather = slice.getInput().getDefiningOp<AllGatherOp>();
    if (!gather || gather.getDim() != slice.getDim())
      return rewriter.notifyMatchFailure(slice, "not a gather on this dim");
    if (gather.getInput().getType() != slice.getType())
      return rewriter.notifyMatchFailure(slice, "shard types differ");
    rewriter.replaceOp(slice, gather.getInput());
    return success();
  }
};

/// all_slice(all_gather(x, c), s) -> all_to_all(x, split s, concat c) for
/// c != s: each device then receives only the part of the others' shards
/// that its slice keeps (1/D of the gather's traffic). This is the move
/// between a batch-split and a feature-split activation.
struct GatherSliceToAllToAll : OpRewritePattern<AllSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto gather = slice.getInput().getDefiningOp<AllGatherOp>();
    if (!gather || gather.getDim() == slice.getDim())
      return rewriter.notifyMatchFailure(slice, "not a gather on another dim");
    // The all_to_all's result keeps the gathered dim as the slice has it;
    // its full extent comes from the gather's `size` when it is dynamic.
    int64_t concat = gather.getDim();
    if (slice.getType().isDynamicDim(concat) !=
        gather.getType().isDynamicDim(concat))
      return rewriter.notifyMatchFailure(slice, "static and dynamic extents");
    rewriter.replaceOp(
        slice, AllToAllOp::create(rewriter, gather.getLoc(), slice.getType(),
                                  gather.getInput(), slice.getDimAttr(),
                                  gather.getDimAttr(), gather.getSize()));
    return success();
  }
};

/// all_slice(all_reduce(x), d) -> reduce_scatter(x, d) when the all_reduce
/// has no other user: with one, it stays, and a reduce_scatter beside it
/// would be a second collective where the slice is local.
struct SliceOfReduceToReduceScatter : OpRewritePattern<AllSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto reduce = slice.getInput().getDefiningOp<AllReduceOp>();
    if (!reduce || !reduce->hasOneUse())
      return rewriter.notifyMatchFailure(slice, "not a single-use all_reduce");
    rewriter.replaceOp(
        slice, ReduceScatterOp::create(rewriter, reduce.getLoc(),
                                       slice.getType(), reduce.getKindAttr(),
                                       reduce.getInput(), slice.getDimAttr()));
    return success();
  }
};

/// all_slice(activation(y), d) -> activation(all_slice(y, d)): slicing
/// commutes with elementwise ops, and the activation then runs on 1/D of the
/// data. Only where the slice is the activation's one user: with another,
/// the whole activation stays, and a second one on the slice would add
/// work (and a collective, where the slice reaches an all_reduce).
struct SliceBeforeActivation : OpRewritePattern<AllSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto act = slice.getInput().getDefiningOp<ActivationOp>();
    if (!act || !act->hasOneUse())
      return rewriter.notifyMatchFailure(slice, "not a single-use activation");
    Value inner = AllSliceOp::create(rewriter, slice.getLoc(), slice.getType(),
                                     act.getInput(), slice.getDimAttr());
    rewriter.replaceOp(slice, ActivationOp::create(rewriter, act.getLoc(),
                                                   act.getKindAttr(),
                                                   act.getParamsAttr(), inner));
    return success();
  }
};

/// all_slice(bias_activation(y, b), 1) ->
///   bias_activation(all_slice(y, 1), all_slice(b, 0)), and
/// all_slice(bias_activation(y, b), 0) -> bias_activation(all_slice(y, 0), b)
/// (a slice of the batch keeps the whole bias). Only where the slice is the
/// op's one user, as for SliceBeforeActivation.
struct SliceBeforeBiasActivation : OpRewritePattern<AllSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto op = slice.getInput().getDefiningOp<BiasActivationOp>();
    if (!op || !op->hasOneUse())
      return rewriter.notifyMatchFailure(slice,
                                         "not a single-use bias_activation");
    if (slice.getDim() == 0) {
      Value input =
          AllSliceOp::create(rewriter, slice.getLoc(), slice.getType(),
                             op.getInput(), slice.getDimAttr());
      rewriter.replaceOp(slice, BiasActivationOp::create(
                                    rewriter, op.getLoc(), slice.getType(),
                                    input, op.getBias(), op.getActivationAttr(),
                                    op.getActivationParamsAttr()));
      return success();
    }
    MeshAttr mesh = slice.getMesh();
    Location loc = slice.getLoc();
    Value input = AllSliceOp::create(rewriter, loc, slice.getType(),
                                     op.getInput(), slice.getDimAttr());
    Value bias = op.getBias();
    if (bias) {
      auto biasType = cast<RankedTensorType>(bias.getType());
      bias = AllSliceOp::create(rewriter, loc,
                                getLocalType(biasType, 0, mesh.getNumDevices()),
                                bias, rewriter.getI64IntegerAttr(0));
    }
    rewriter.replaceOp(
        slice, BiasActivationOp::create(rewriter, op.getLoc(), slice.getType(),
                                        input, bias, op.getActivationAttr(),
                                        op.getActivationParamsAttr()));
    return success();
  }
};

/// activation(all_gather(x, d)) -> all_gather(activation(x), d) when the
/// gather has no other user: the activation then runs on the shards.
struct ActivationBeforeGather : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActivationOp act,
                                PatternRewriter &rewriter) const override {
    auto gather = act.getInput().getDefiningOp<AllGatherOp>();
    if (!gather || !gather->hasOneUse())
      return rewriter.notifyMatchFailure(act, "not a single-use gather");
    Value local =
        ActivationOp::create(rewriter, act.getLoc(), act.getKindAttr(),
                             act.getParamsAttr(), gather.getInput());
    rewriter.replaceOp(
        act, AllGatherOp::create(rewriter, gather.getLoc(), act.getType(),
                                 local, gather.getDimAttr(), gather.getSize()));
    return success();
  }
};

/// rowop(all_gather(x, 0)) -> all_gather(rowop(x), 0) when the gather has
/// no other user, for the row-wise ops (tp.softmax, tp.log_softmax): a
/// shard of the batch holds whole rows, so each device normalizes its own.
template <typename RowOp>
struct RowOpBeforeBatchGather : OpRewritePattern<RowOp> {
  using OpRewritePattern<RowOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(RowOp op,
                                PatternRewriter &rewriter) const override {
    auto gather = op.getInput().template getDefiningOp<AllGatherOp>();
    if (!gather || gather.getDim() != 0 || !gather->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a single-use batch gather");
    Value local = RowOp::create(rewriter, op.getLoc(), gather.getInput());
    rewriter.replaceOp(
        op, AllGatherOp::create(rewriter, gather.getLoc(), op.getType(), local,
                                gather.getDimAttr(), gather.getSize()));
    return success();
  }
};

/// all_slice(rowop(y), 0) -> rowop(all_slice(y, 0)): the slice of the batch
/// keeps whole rows, and the row-wise op then runs on 1/D of them.
struct SliceBeforeRowOp : OpRewritePattern<AllSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllSliceOp slice,
                                PatternRewriter &rewriter) const override {
    Operation *op = slice.getInput().getDefiningOp();
    if (slice.getDim() != 0 || !isa_and_nonnull<SoftmaxOp, LogSoftmaxOp>(op))
      return rewriter.notifyMatchFailure(slice,
                                         "not a batch slice of a row op");
    // With another user the whole op stays, and its input too: slicing
    // that input would add a collective and a second op.
    if (!op->hasOneUse())
      return rewriter.notifyMatchFailure(slice, "the row op has other users");
    Value inner = AllSliceOp::create(rewriter, slice.getLoc(), slice.getType(),
                                     op->getOperand(0), slice.getDimAttr());
    OperationState state(op->getLoc(), op->getName(), ValueRange{inner},
                         TypeRange{slice.getType()}, op->getAttrs());
    rewriter.replaceOp(slice, rewriter.create(state)->getResults());
    return success();
  }
};

/// tensor.dim of a tp op's result -> the same extent taken before the op,
/// where the op keeps it, or the op's `size` operand for a gathered
/// dynamic dimension. The batch split asks for the batch by tensor.dim of
/// the layer's input, which is often a gather; this lets that gather go
/// when nothing else needs it.
struct DimOfTPOp : OpRewritePattern<tensor::DimOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::DimOp dimOp,
                                PatternRewriter &rewriter) const override {
    std::optional<int64_t> index = dimOp.getConstantIndex();
    Operation *def = dimOp.getSource().getDefiningOp();
    if (!index || !def)
      return rewriter.notifyMatchFailure(dimOp, "not a constant dim of an op");
    int64_t i = *index;
    // The same extent on the operand `from` (null: none known).
    Value from, size;
    if (auto op = dyn_cast<AllGatherOp>(def)) {
      if (i == static_cast<int64_t>(op.getDim()))
        size = op.getSize();
      else
        from = op.getInput();
    } else if (auto op = dyn_cast<AllToAllOp>(def)) {
      if (i == static_cast<int64_t>(op.getConcat()))
        size = op.getSize();
      else if (i != static_cast<int64_t>(op.getSplit()))
        from = op.getInput();
    } else if (auto op = dyn_cast<AllSliceOp>(def)) {
      if (i != static_cast<int64_t>(op.getDim()))
        from = op.getInput();
    } else if (auto op = dyn_cast<ReduceScatterOp>(def)) {
      if (i != static_cast<int64_t>(op.getDim()))
        from = op.getInput();
    } else if (isa<AllReduceOp, ActivationOp, BiasActivationOp, SoftmaxOp,
                   LogSoftmaxOp>(def)) {
      from = def->getOperand(0);
    } else if (auto op = dyn_cast<LocalLinearOp>(def)) {
      if (i == 0)
        from = op.getInput();
    }
    if (size) {
      rewriter.replaceOp(dimOp, size);
      return success();
    }
    if (!from)
      return rewriter.notifyMatchFailure(dimOp, "the op changes this extent");
    rewriter.replaceOpWithNewOp<tensor::DimOp>(dimOp, from, dimOp.getIndex());
    return success();
  }
};

/// A replicated weight argument that every device only ever slices along
/// one dim is better loaded as that slice: the manifest entry becomes a split,
/// the argument takes the local type, and the all_slice ops disappear. This
/// is what makes the biases of column-sharded layers cost 1/D of memory once
/// their bias_activation runs on slices.
static void shardSlicedArguments(FunctionOpInterface fn) {
  MeshAttr mesh = lookupMesh(fn);
  if (!mesh || fn.isExternal())
    return;
  // The rewrite changes the function's signature: a function that is
  // called keeps its callers' types.
  Operation *symbolTable = SymbolTable::getNearestSymbolTable(fn);
  if (!symbolTable || !SymbolTable::symbolKnownUseEmpty(fn, symbolTable))
    return;
  int64_t devices = mesh.getNumDevices();
  SmallVector<std::pair<unsigned, ShardAttr>> manifest;
  for (BlockArgument arg : fn.getArguments()) {
    auto shard = fn.getArgAttrOfType<ShardAttr>(arg.getArgNumber(),
                                                TPDialect::kShardAttrName);
    if (!shard || !shard.isReplicated() || arg.use_empty())
      continue;
    std::optional<int64_t> dim;
    bool onlySlices = llvm::all_of(arg.getUsers(), [&](Operation *user) {
      auto slice = dyn_cast<AllSliceOp>(user);
      if (!slice || (dim && *dim != static_cast<int64_t>(slice.getDim())))
        return false;
      dim = slice.getDim();
      return true;
    });
    if (!onlySlices)
      continue;
    auto full = cast<RankedTensorType>(arg.getType());
    RankedTensorType local = getLocalType(full, *dim, devices);
    if (llvm::any_of(arg.getUsers(), [&](Operation *user) {
          return user->getResult(0).getType() != local;
        }))
      continue;
    manifest.push_back({arg.getArgNumber(), splitArgument(arg, dim, devices)});
    for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
      user->getResult(0).replaceAllUsesWith(arg);
      user->erase();
    }
  }
  setManifest(fn, manifest);
}

struct OptimizeCollectivesPass
    : tp::impl::OptimizeCollectivesBase<OptimizeCollectivesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateOptimizeCollectivesPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation()->walk([](FunctionOpInterface fn) {
      if (fn->hasAttr(TPDialect::kSPMDAttrName))
        shardSlicedArguments(fn);
    });
  }
};
} // namespace

void mlir::tp::populateOptimizeCollectivesPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<CancelGatherSlice, GatherSliceToAllToAll,
               SliceOfReduceToReduceScatter, SliceBeforeActivation,
               SliceBeforeBiasActivation, ActivationBeforeGather, DimOfTPOp,
               RowOpBeforeBatchGather<SoftmaxOp>,
               RowOpBeforeBatchGather<LogSoftmaxOp>, SliceBeforeRowOp>(ctx);
  // The greedy driver also applies the collectives' folds (the identity on
  // a one-device mesh) and removes collectives left without users; an
  // asynchronous pair on a one-device mesh goes the same way.
  WaitOp::getCanonicalizationPatterns(patterns, ctx);
}
