//===- ShardToTP.cpp - upstream shard IR onto tp's backends ---------------===//
//
// Two passes bridge upstream's `shard` dialect to tp. tp-prepare-shard runs
// between sharding-propagation and shard-partition: it checks the shardings
// against what tp (and shard-partition in LLVM 22) can run, and records each
// argument's sharding while the argument still has its full type.
// convert-shard-to-tp then turns the partitioned program's grid,
// collectives and process queries into tp's, and the recorded shardings
// into the weight manifest.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Support/Limits.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>
#include <optional>

namespace mlir::tp {
#define GEN_PASS_DEF_PREPARESHARDFORTP
#define GEN_PASS_DEF_CONVERTSHARDTOTP
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {

/// The module's only grid, checked to be 1-D with a static size that tp
/// can run, with its size and name.
struct OnlyGrid {
  shard::GridOp op;
  int64_t numDevices;
  StringRef name;
};
FailureOr<shard::GridOp> getOnlyGridOp(ModuleOp module);
FailureOr<OnlyGrid> getOnlyGrid(ModuleOp module) {
  FailureOr<shard::GridOp> grid = getOnlyGridOp(module);
  if (failed(grid))
    return failure();
  return OnlyGrid{*grid, grid->getShape()[0], grid->getSymName()};
}

FailureOr<shard::GridOp> getOnlyGridOp(ModuleOp module) {
  SmallVector<shard::GridOp> grids(module.getOps<shard::GridOp>());
  if (grids.empty())
    return module.emitError()
           << "has no shard.grid: there is no shard program to convert";
  if (grids.size() > 1) {
    InFlightDiagnostic diag =
        grids[1].emitOpError()
        << "is a second grid; tp runs a program on one 1-D mesh";
    diag.attachNote(grids[0].getLoc()) << "the first grid is here";
    return diag;
  }
  shard::GridOp grid = grids.front();
  ArrayRef<int64_t> shape = grid.getShape();
  if (shape.size() != 1 || ShapedType::isDynamic(shape[0]) || shape[0] < 1 ||
      shape[0] > kMaxDevices) {
    std::string sizes;
    for (int64_t size : shape)
      sizes += (sizes.empty() ? "" : ", ") +
               (ShapedType::isDynamic(size) ? "?" : std::to_string(size));
    return grid.emitOpError()
           << "has " << shape.size() << " axes of sizes [" << sizes
           << "]; tp runs a 1-D mesh of 1 to " << kMaxDevices
           << " devices, so the grid must have one static axis";
  }
  // One description of the partitioning, not two.
  if (MeshAttr mesh = lookupMesh(module);
      mesh && mesh.getNumDevices() != shape[0])
    return module.emitError()
           << "has a tp.mesh of " << mesh.getNumDevices()
           << " devices and a shard.grid of " << shape[0]
           << "; a shard program is sized by its grid: drop the tp.mesh";
  if (failed(verifyNoTPLayersInShardProgram(module)))
    return failure();
  return grid;
}

/// The balanced shard sizes of `extent` over `numDevices`, for messages:
/// each rank's up to 8 ranks ("[3, 3, 2, 2]"), else how many ranks get
/// which size ("2 to each of 4 ranks and 1 to each of 12 ranks").
std::string balancedSizes(int64_t extent, int64_t numDevices) {
  if (numDevices > 8) {
    auto to = [](int64_t size, int64_t ranks) {
      return std::to_string(size) +
             (ranks == 1 ? " to 1 rank"
                         : " to each of " + std::to_string(ranks) + " ranks");
    };
    int64_t larger = extent % numDevices, size = extent / numDevices;
    std::string out = to(size, numDevices - larger);
    if (larger)
      out = to(size + 1, larger) + " and " + out;
    return out;
  }
  std::string out = "[";
  for (int64_t r = 0; r < numDevices; ++r)
    out +=
        (r ? ", " : "") + std::to_string(getShardSize(extent, numDevices, r));
  return out + "]";
}

/// The tensor dimension a sharding splits along the grid's only axis, or
/// nullopt when it replicates; an error for a split tp cannot run.
FailureOr<std::optional<int64_t>> getSplitDim(Operation *op,
                                              const shard::Sharding &sharding,
                                              RankedTensorType type,
                                              int64_t numDevices) {
  std::optional<int64_t> dim;
  for (auto [d, axes] : llvm::enumerate(sharding.getSplitAxes())) {
    if (axes.empty())
      continue;
    for (int16_t axis : axes.asArrayRef())
      if (axis != 0)
        return op->emitOpError() << "splits dim " << d << " along grid axis "
                                 << axis << "; the grid has one axis, 0";
    if (dim || axes.size() != 1)
      return op->emitOpError()
             << "splits more than one dimension; on a 1-D grid a tensor is "
                "split along one dimension at most";
    dim = d;
  }
  if (!sharding.getStaticHaloSizes().empty() ||
      !sharding.getDynamicHaloSizes().empty())
    return op->emitOpError() << "has halos, which tp does not run";
  if (!sharding.getStaticShardedDimsOffsets().empty() ||
      !sharding.getDynamicShardedDimsOffsets().empty())
    return op->emitOpError()
           << "gives explicit sharded_dims_offsets, which shard-partition in "
              "LLVM 22 cannot partition (it crashes on them); tp splits "
              "every dimension by its balanced rule";
  if (!dim)
    return dim;
  if (*dim >= type.getRank())
    return op->emitOpError() << "splits dim " << *dim << " of a rank-"
                             << type.getRank() << " tensor";
  int64_t extent = type.getDimSize(*dim);
  if (ShapedType::isDynamic(extent))
    return op->emitOpError()
           << "splits dim " << *dim << " of " << type
           << ", which is dynamic; tp needs the full size of a split "
              "dimension to give each device its shard";
  if (extent % numDevices != 0)
    return op->emitOpError()
           << "splits dim " << *dim << " of " << type << " (" << extent
           << ") over " << numDevices
           << " devices, which does not divide it: shard-partition in LLVM 22 "
              "would give every device "
           << extent / numDevices << " and drop the remaining "
           << extent % numDevices << " (tp's balanced rule gives "
           << balancedSizes(extent, numDevices)
           << "); use a size the grid divides, or let tp partition the "
              "model in the tp dialect, which splits unevenly";
  return dim;
}

/// The shard.shard that gives argument `arg` its sharding: shard-partition
/// reads an argument's local type from its one use, which must be one.
FailureOr<shard::ShardOp> getArgumentAnnotation(BlockArgument arg) {
  auto fn = cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
  if (!arg.hasOneUse() || !isa<shard::ShardOp>(*arg.getUsers().begin()))
    return fn.emitError()
           << "argument #" << arg.getArgNumber()
           << " must have exactly one use, a shard.shard that gives its "
              "sharding (as sharding-propagation leaves it): shard-partition "
              "reads the argument's local type from it; "
           << (arg.use_empty() ? "it has none"
                               : "annotate the argument once, with "
                                 "shard.shard ... annotate_for_users, and use "
                                 "that value everywhere");
  return cast<shard::ShardOp>(*arg.getUsers().begin());
}

/// The dimension a value's annotation for its users splits, if any.
std::optional<int64_t> getUserSplitDim(Value value) {
  auto annotation = value.getDefiningOp<shard::ShardOp>();
  if (!annotation || !annotation.getAnnotateForUsers())
    return std::nullopt;
  for (auto [d, axes] : llvm::enumerate(
           shard::Sharding(annotation.getSharding()).getSplitAxes()))
    if (!axes.empty())
      return d;
  return std::nullopt;
}

/// The loops of a linalg op that shard-partition splits: those that an
/// operand's split dimension (as its users see it) or a result's reads.
llvm::SmallDenseSet<unsigned> getSplitLoops(linalg::LinalgOp op) {
  llvm::SmallDenseSet<unsigned> loops;
  auto add = [&](AffineMap map, std::optional<int64_t> dim) {
    if (!dim || *dim >= map.getNumResults())
      return;
    if (auto loop = dyn_cast<AffineDimExpr>(map.getResult(*dim)))
      loops.insert(loop.getPosition());
  };
  for (OpOperand &operand : op->getOpOperands())
    add(op.getMatchingIndexingMap(&operand), getUserSplitDim(operand.get()));
  for (OpResult result : op->getResults())
    for (Operation *user : result.getUsers()) {
      auto annotation = dyn_cast<shard::ShardOp>(user);
      if (!annotation || annotation.getAnnotateForUsers())
        continue;
      for (auto [d, axes] : llvm::enumerate(
               shard::Sharding(annotation.getSharding()).getSplitAxes()))
        if (!axes.empty())
          add(op.getIndexingMapMatchingResult(result), d);
    }
  return loops;
}

/// Whether a linalg op's operands split one of its reduction loops.
bool splitsReduction(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (OpOperand &operand : op->getOpOperands()) {
    std::optional<int64_t> dim = getUserSplitDim(operand.get());
    if (!dim)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto loop = dyn_cast<AffineDimExpr>(map.getResult(*dim));
    if (loop && iterators[loop.getPosition()] == utils::IteratorType::reduction)
      return true;
  }
  return false;
}

/// shard-partition in LLVM 22 leaves a split reduction's body using the
/// values it captured from the unpartitioned function, which it then
/// erases (a crash in the verifier). Constants, which the canonicalizer
/// hoists out of such bodies, are cloned back in; any other captured value
/// is refused.
LogicalResult sinkCapturedConstants(linalg::LinalgOp op) {
  Region &body = op->getRegion(0);
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(body, captured);
  OpBuilder builder = OpBuilder::atBlockBegin(&body.front());
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (!def || !def->hasTrait<OpTrait::ConstantLike>())
      return op->emitOpError()
             << "splits a reduction loop, and its body uses a value defined "
                "outside it that is not a constant: shard-partition in LLVM "
                "22 cannot partition such a body; pass the value as an "
                "operand";
    replaceAllUsesInRegionWith(value, builder.clone(*def)->getResult(0), body);
  }
  return success();
}

/// What shard-partition in LLVM 22 crashes on or gets silently wrong, as a
/// diagnostic at the op: a value that propagation left without a sharding
/// (its operands' shardings conflict, or no annotation reaches it), a split
/// reduction whose combiner it cannot classify, and a split constant that
/// is not a splat.
LogicalResult checkPartitionable(FunctionOpInterface fn) {
  for (Operation &op : fn.getFunctionBody().getOps()) {
    if (isa<shard::ShardDialect>(op.getDialect()) ||
        op.hasTrait<OpTrait::ReturnLike>())
      continue;
    for (OpResult result : op.getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type)
        continue;
      auto annotation = llvm::find_if(result.getUsers(), [](Operation *user) {
        auto shardOp = dyn_cast<shard::ShardOp>(user);
        return shardOp && !shardOp.getAnnotateForUsers();
      });
      if (annotation == result.getUsers().end())
        return op.emitOpError()
               << "has no sharding for result #" << result.getResultNumber()
               << " after sharding-propagation (its operands' shardings "
                  "conflict, or no annotation reaches it), and "
                  "shard-partition in LLVM 22 crashes on such a value; "
                  "annotate it with shard.shard";
      auto constant = dyn_cast<arith::ConstantOp>(op);
      auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                            : DenseElementsAttr();
      shard::Sharding sharding(cast<shard::ShardOp>(*annotation).getSharding());
      bool split =
          llvm::any_of(sharding.getSplitAxes(),
                       [](shard::GridAxesAttr a) { return !a.empty(); });
      if (dense && !dense.isSplat() && split)
        return op.emitOpError()
               << "is a constant that propagation splits, and shard-partition "
                  "in LLVM 22 fails on it without a diagnostic; annotate it "
                  "replicated (split_axes = [[]])";
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      continue;
    // shard-partition keeps the body as it is, so a loop's index is the
    // device's local one: each device would number its slice from 0.
    llvm::SmallDenseSet<unsigned> split = getSplitLoops(linalgOp);
    WalkResult indexed = op.walk([&](linalg::IndexOp index) {
      if (!split.contains(index.getDim()))
        return WalkResult::advance();
      op.emitOpError() << "reads the index of loop " << index.getDim()
                       << " (linalg.index), which the sharding splits across "
                          "the grid: shard-partition in LLVM 22 leaves the "
                          "body as it is, so each device would read its "
                          "index within its own slice, a wrong result; pass "
                          "the index as an operand, or keep that loop whole";
      return WalkResult::interrupt();
    });
    if (indexed.wasInterrupted())
      return failure();
    if (linalgOp.getNumReductionLoops() == 0 || !splitsReduction(linalgOp))
      continue;
    if (failed(sinkCapturedConstants(linalgOp)))
      return failure();
    Operation *first = nullptr;
    for (unsigned i = 0; i < linalgOp.getNumDpsInits(); ++i) {
      SmallVector<Operation *> combiners;
      Value reduced =
          matchReduction(linalgOp.getRegionOutputArgs(), i, combiners);
      if (!reduced || combiners.size() != 1 ||
          !isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
               arith::MinimumFOp>(combiners.front()))
        return op.emitOpError()
               << "splits a reduction loop, but result #" << i
               << " is not combined by one arith.addf, mulf, maximumf or "
                  "minimumf: shard-partition in LLVM 22 cannot partition "
                  "it, and tp's collectives reduce by sum, product, max or "
                  "min";
      // shard-partition takes the first result's combiner for every
      // result's all-reduce: a max summed across devices, silently.
      Operation *combiner = combiners.front();
      if (!first)
        first = combiner;
      else if (combiner->getName() != first->getName())
        return op.emitOpError()
               << "splits a reduction loop whose results are combined "
                  "differently (result #0 by "
               << first->getName() << ", result #" << i << " by "
               << combiner->getName()
               << "): shard-partition in LLVM 22 all-reduces every result "
                  "with the first one's kind, a wrong result; compute them "
                  "in separate linalg ops";
    }
  }
  return success();
}

struct PrepareShardForTP
    : public tp::impl::PrepareShardForTPBase<PrepareShardForTP> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<OnlyGrid> grid = getOnlyGrid(module);
    if (failed(grid))
      return signalPassFailure();
    int64_t numDevices = grid->numDevices;
    StringRef gridName = grid->name;
    bool ok = true;
    // Every sharding that reaches a tensor, arguments and results included.
    module.walk([&](shard::ShardOp op) {
      // shard::Sharding reads its fields from the defining op, which a
      // function argument or shard.get_sharding does not have.
      if (!op.getSharding().getDefiningOp<shard::ShardingOp>()) {
        ok = false;
        op.emitOpError() << "has a sharding that is not a shard.sharding op";
        return;
      }
      shard::Sharding sharding(op.getSharding());
      if (sharding.getGrid() != gridName) {
        ok = false;
        op.emitOpError() << "uses grid @" << sharding.getGrid()
                         << ", not the module's grid @" << gridName;
        return;
      }
      ok &= succeeded(
          getSplitDim(op, sharding, op.getSrc().getType(), numDevices));
    });
    if (!ok)
      return signalPassFailure();
    for (auto fn : module.getOps<FunctionOpInterface>()) {
      if (fn.isExternal())
        continue;
      // Results are the entry's contract; a private helper returns what
      // its caller takes.
      if (failed(recordArguments(fn, numDevices, gridName)) ||
          (fn.isPublic() && failed(replicateResults(fn, gridName))) ||
          failed(checkPartitionable(fn)))
        return signalPassFailure();
    }
  }

  LogicalResult recordArguments(FunctionOpInterface fn, int64_t numDevices,
                                StringRef gridName) {
    for (BlockArgument arg : fn.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || type.getRank() == 0)
        continue;
      if (arg.use_empty())
        annotateReplicated(arg, fn, gridName);
      else if (!arg.hasOneUse())
        mergeAnnotations(arg);
      FailureOr<shard::ShardOp> annotation = getArgumentAnnotation(arg);
      if (failed(annotation))
        return failure();
      FailureOr<std::optional<int64_t>> dim =
          getSplitDim(*annotation, shard::Sharding(annotation->getSharding()),
                      type, numDevices);
      if (failed(dim))
        return failure();
      fn.setArgAttr(
          arg.getArgNumber(), TPDialect::kPendingShardAttrName,
          getBalancedShard(fn.getContext(), type.getShape(), *dim, numDevices));
    }
    return success();
  }

  /// `value` annotated for its users as replicated on `grid`.
  static Value createReplicated(OpBuilder &builder, Location loc, Value value,
                                StringRef grid) {
    MLIRContext *context = builder.getContext();
    auto whole = shard::ShardingOp::create(
        builder, loc,
        shard::Sharding::get(FlatSymbolRefAttr::get(context, grid),
                             {shard::GridAxesAttr::get(context, {})}));
    return shard::ShardOp::create(builder, loc, value, whole.getResult(),
                                  /*annotate_for_users=*/true);
  }

  /// An argument that several ops read (a residual's input, a weight
  /// used twice) has an annotation for each from propagation, and
  /// shard-partition takes its local type from its one use. As upstream's
  /// canonicalization folds duplicate annotations (FoldDuplicateShardOp),
  /// the first in the block stays the argument's, a later one with the
  /// same sharding is replaced by it, and one with another sharding takes
  /// the first's result, from which shard-partition reshards it. Anything
  /// else that reads the argument directly is left to
  /// getArgumentAnnotation's message.
  static void mergeAnnotations(BlockArgument arg) {
    SmallVector<shard::ShardOp> annotations;
    for (Operation *user : arg.getUsers()) {
      auto annotation = dyn_cast<shard::ShardOp>(user);
      if (!annotation || annotation->getBlock() != arg.getOwner() ||
          !annotation.getSharding().getDefiningOp<shard::ShardingOp>())
        return;
      annotations.push_back(annotation);
    }
    llvm::sort(annotations, [](shard::ShardOp a, shard::ShardOp b) {
      return a->isBeforeInBlock(b);
    });
    shard::ShardOp first = annotations.front();
    shard::Sharding sharding(first.getSharding());
    for (shard::ShardOp other : llvm::drop_begin(annotations)) {
      if (shard::Sharding(other.getSharding()) == sharding) {
        other.getResult().replaceAllUsesWith(first.getResult());
        other.erase();
      } else {
        other.getSrcMutable().set(first.getResult());
      }
    }
  }

  /// An unused argument is loaded whole; shard-partition needs it
  /// annotated all the same.
  static void annotateReplicated(BlockArgument arg, FunctionOpInterface fn,
                                 StringRef gridName) {
    OpBuilder builder = OpBuilder::atBlockBegin(arg.getOwner());
    (void)createReplicated(builder, fn.getLoc(), arg, gridName);
  }

  /// tp's entry returns every result whole on every device.
  LogicalResult replicateResults(FunctionOpInterface fn, StringRef gridName) {
    for (Block &block : fn.getFunctionBody()) {
      Operation *terminator = block.getTerminator();
      if (!terminator->hasTrait<OpTrait::ReturnLike>())
        continue;
      for (OpOperand &operand : terminator->getOpOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        if (!type || type.getRank() == 0)
          continue;
        auto annotation = operand.get().getDefiningOp<shard::ShardOp>();
        if (annotation && annotation.getAnnotateForUsers()) {
          bool replicated = llvm::all_of(
              shard::Sharding(annotation.getSharding()).getSplitAxes(),
              [](shard::GridAxesAttr axes) { return axes.empty(); });
          if (!replicated)
            return annotation.emitOpError()
                   << "makes result #" << operand.getOperandNumber()
                   << " split; tp returns results whole on every device, "
                      "so annotate it with split_axes = [[]]";
          continue;
        }
        OpBuilder builder(terminator);
        operand.set(createReplicated(builder, terminator->getLoc(),
                                     operand.get(), gridName));
      }
    }
    return success();
  }
};

//===----------------------------------------------------------------------===//
// convert-shard-to-tp
//===----------------------------------------------------------------------===//

std::optional<ReductionKind> getTPReduction(shard::ReductionKind kind) {
  switch (kind) {
  case shard::ReductionKind::Sum:
    return ReductionKind::sum;
  case shard::ReductionKind::Product:
    return ReductionKind::prod;
  case shard::ReductionKind::Max:
    return ReductionKind::max;
  case shard::ReductionKind::Min:
    return ReductionKind::min;
  default:
    return std::nullopt;
  }
}

/// Checks that a collective's full and local extents of a split dimension
/// follow the balanced rule that tp's runtimes use.
LogicalResult checkBalanced(Operation *op, int64_t dim, int64_t full,
                            int64_t local, int64_t numDevices) {
  if (ShapedType::isDynamic(full))
    return op->emitOpError() << "has a dynamic full extent along dim " << dim
                             << "; tp needs it to give each device its shard";
  if (ShapedType::isDynamic(local) ||
      local == getLocalDimSize(full, numDevices))
    return success();
  return op->emitOpError() << "has " << local << " per device along dim " << dim
                           << " for a full extent of " << full << " over "
                           << numDevices
                           << " devices; tp's balanced rule gives "
                           << balancedSizes(full, numDevices);
}

/// Why tp cannot take `op`, a shard op of a partitioned program, as a
/// diagnostic; success when a pattern below converts it.
LogicalResult checkConvertible(Operation *op, StringRef gridName,
                               int64_t numDevices) {
  auto checkCollective = [&](FlatSymbolRefAttr grid,
                             ArrayRef<int16_t> axes) -> LogicalResult {
    if (grid.getValue() != gridName)
      return op->emitOpError() << "runs on grid " << grid
                               << ", not the module's grid @" << gridName;
    if (axes.size() > 1 || (axes.size() == 1 && axes[0] != 0))
      return op->emitOpError()
             << "names grid axes other than the 1-D grid's axis 0";
    for (Type type :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
      if (!cast<ShapedType>(type).getElementType().isF32())
        return op->emitOpError()
               << "moves " << type << "; tp's collectives move f32 tensors";
    return success();
  };
  auto inType = [&] {
    return cast<RankedTensorType>(op->getOperandTypes()[0]);
  };
  auto outType = [&] {
    return cast<RankedTensorType>(op->getResultTypes()[0]);
  };
  auto checkReduction = [&](shard::ReductionKind kind) -> LogicalResult {
    if (getTPReduction(kind))
      return success();
    return op->emitOpError()
           << "reduces by " << shard::stringifyReductionKind(kind)
           << "; tp reduces by sum, product, max or min";
  };
  // A collective between the full extent of `dim` and a device's share;
  // `gathers` when the result is the full one.
  auto checkMove = [&](FlatSymbolRefAttr grid, ArrayRef<int16_t> axes,
                       const APInt &dim, bool gathers,
                       std::optional<shard::ReductionKind> kind) {
    if (failed(checkCollective(grid, axes)) ||
        (kind && failed(checkReduction(*kind))))
      return failure();
    if (axes.empty())
      return success();
    int64_t d = dim.getSExtValue();
    RankedTensorType full = gathers ? outType() : inType();
    RankedTensorType local = gathers ? inType() : outType();
    return checkBalanced(op, d, full.getDimSize(d), local.getDimSize(d),
                         numDevices);
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](shard::AllReduceOp c) {
        return success(
            succeeded(checkCollective(c.getGridAttr(), c.getGridAxes())) &&
            succeeded(checkReduction(c.getReduction())));
      })
      .Case([&](shard::AllGatherOp c) {
        return checkMove(c.getGridAttr(), c.getGridAxes(), c.getGatherAxis(),
                         /*gathers=*/true, std::nullopt);
      })
      .Case([&](shard::AllSliceOp c) {
        return checkMove(c.getGridAttr(), c.getGridAxes(), c.getSliceAxis(),
                         /*gathers=*/false, std::nullopt);
      })
      .Case([&](shard::ReduceScatterOp c) {
        return checkMove(c.getGridAttr(), c.getGridAxes(), c.getScatterAxis(),
                         /*gathers=*/false, c.getReduction());
      })
      .Case([&](shard::AllToAllOp c) -> LogicalResult {
        if (failed(checkCollective(c.getGridAttr(), c.getGridAxes())))
          return failure();
        if (c.getGridAxes().empty())
          return success();
        int64_t split = c.getSplitAxis().getSExtValue();
        int64_t concat = c.getConcatAxis().getSExtValue();
        if (split == concat)
          return c.emitOpError() << "splits and concatenates the same dim "
                                 << split << ", which tp has no op for";
        return success(
            succeeded(checkBalanced(op, split, inType().getDimSize(split),
                                    outType().getDimSize(split), numDevices)) &&
            succeeded(checkBalanced(op, concat, outType().getDimSize(concat),
                                    inType().getDimSize(concat), numDevices)));
      })
      .Case<shard::ProcessMultiIndexOp, shard::ProcessLinearIndexOp,
            shard::GridShapeOp>([&](Operation *) -> LogicalResult {
        auto grid = op->getAttrOfType<FlatSymbolRefAttr>("grid");
        if (grid && grid.getValue() != gridName)
          return op->emitOpError() << "asks about grid " << grid
                                   << ", not the module's grid @" << gridName;
        return success();
      })
      .Case<shard::ShardOp, shard::ShardingOp, shard::GetShardingOp>(
          [&](Operation *) {
            return op->emitOpError()
                   << "is left in the program: run shard-partition (after "
                      "sharding-propagation and tp-prepare-shard) before "
                      "convert-shard-to-tp";
          })
      .Case([&](shard::GridOp) { return success(); })
      .Default([&](Operation *) {
        return op->emitOpError()
               << "has no tp counterpart: tp runs the all_reduce, "
                  "all_gather, reduce_scatter, all_slice and all_to_all "
                  "collectives and the process and grid queries";
      });
}

/// A shard collective to the tp op that `build` makes (null: none); one over
/// no grid axis moves nothing.
template <typename SrcOp>
struct ConvertCollective : OpConversionPattern<SrcOp> {
  using Build = std::function<Value(SrcOp, Value, OpBuilder &)>;
  ConvertCollective(MLIRContext *context, Build build)
      : OpConversionPattern<SrcOp>(context), build(std::move(build)) {}
  LogicalResult
  matchAndRewrite(SrcOp op, typename SrcOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    // Over no grid axis only the type may change (a static size for a
    // dynamic one, or the reverse): a cast.
    if (op.getGridAxes().empty()) {
      if (!tensor::CastOp::areCastCompatible(input.getType(), op.getType()))
        return rewriter.notifyMatchFailure(op, "over no axis, not a cast");
      if (input.getType() != op.getType())
        input =
            tensor::CastOp::create(rewriter, op.getLoc(), op.getType(), input);
      rewriter.replaceOp(op, input);
      return success();
    }
    // Of a tensor.empty (an init tensor that propagation split, as when a
    // fill and an elementwise op share one) there is nothing to move.
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (input.getDefiningOp<tensor::EmptyOp>() && type &&
        type.hasStaticShape()) {
      rewriter.replaceOpWithNewOp<tensor::EmptyOp>(
          op, type.getShape(), type.getElementType(), type.getEncoding());
      return success();
    }
    Value result = build(op, input, rewriter);
    if (!result)
      return rewriter.notifyMatchFailure(op, "tp has no counterpart");
    rewriter.replaceOp(op, result);
    return success();
  }
  Build build;
};

/// On a 1-D grid, the process's index along any set of axes is its rank.
template <typename OpT> struct ConvertProcessIndex : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "not one index");
    rewriter.replaceOpWithNewOp<RankOp>(op, rewriter.getIndexType());
    return success();
  }
};

struct ConvertGridShape : OpConversionPattern<shard::GridShapeOp> {
  ConvertGridShape(MLIRContext *context, int64_t numDevices)
      : OpConversionPattern(context), numDevices(numDevices) {}
  LogicalResult
  matchAndRewrite(shard::GridShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> sizes;
    for (Type type : op->getResultTypes())
      sizes.push_back(
          arith::ConstantOp::create(rewriter, op.getLoc(), type,
                                    rewriter.getIntegerAttr(type, numDevices)));
    rewriter.replaceOp(op, sizes);
    return success();
  }
  int64_t numDevices;
};

struct ConvertShardToTP
    : public tp::impl::ConvertShardToTPBase<ConvertShardToTP> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<OnlyGrid> grid = getOnlyGrid(module);
    if (failed(grid))
      return signalPassFailure();
    int64_t numDevices = grid->numDevices;
    StringRef gridName = grid->name;
    // Everything that cannot be converted is named first, each at its op,
    // so that no failure is the conversion driver's generic one.
    bool ok = true;
    module.walk([&](Operation *op) {
      if (isa<shard::ShardDialect>(op->getDialect()))
        ok &= succeeded(checkConvertible(op, gridName, numDevices));
    });
    if (!ok)
      return signalPassFailure();
    MLIRContext *context = &getContext();
    module->setAttr(TPDialect::kMeshAttrName,
                    MeshAttr::get(context, {numDevices}));
    for (auto fn : module.getOps<FunctionOpInterface>()) {
      if (fn.isExternal())
        continue;
      fn->setAttr(TPDialect::kSPMDAttrName, UnitAttr::get(context));
      if (failed(adoptManifest(fn, numDevices)))
        return signalPassFailure();
    }
    ConversionTarget target(*context);
    configureShardToTPConversionTarget(target);
    target.addLegalOp<shard::GridOp>();
    RewritePatternSet patterns(context);
    populateShardToTPConversionPatterns(patterns, numDevices);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    grid->op.erase();
  }

  /// tp.pending_shard becomes tp.shard, once the local type agrees.
  LogicalResult adoptManifest(FunctionOpInterface fn, int64_t numDevices) {
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      auto shard =
          fn.getArgAttrOfType<ShardAttr>(i, TPDialect::kPendingShardAttrName);
      if (!shard)
        continue;
      fn.removeArgAttr(i, TPDialect::kPendingShardAttrName);
      auto type = dyn_cast<RankedTensorType>(fn.getArgumentTypes()[i]);
      SmallVector<int64_t> local(shard.getShape());
      if (std::optional<int64_t> dim = shard.getDim())
        local[*dim] = getLocalDimSize(local[*dim], numDevices);
      if (!type || type.getShape() != ArrayRef<int64_t>(local))
        return fn.emitError()
               << "argument #" << i << " has type " << fn.getArgumentTypes()[i]
               << " after partitioning, but its sharding " << shard
               << " gives each device a tensor of shape ["
               << llvm::make_range(local.begin(), local.end())
               << "]; was shard-partition run on a module other than the one "
                  "tp-prepare-shard recorded?";
      fn.setArgAttr(i, TPDialect::kShardAttrName, shard);
    }
    return success();
  }
};

} // namespace

void mlir::tp::populateShardToTPConversionPatterns(RewritePatternSet &patterns,
                                                   int64_t numDevices) {
  MLIRContext *context = patterns.getContext();
  auto axis = [](OpBuilder &b, const APInt &value) {
    return b.getI64IntegerAttr(value.getSExtValue());
  };
  auto reduction = [context](shard::ReductionKind kind) {
    std::optional<ReductionKind> tpKind = getTPReduction(kind);
    return tpKind ? ReductionKindAttr::get(context, *tpKind)
                  : ReductionKindAttr();
  };
  patterns.add<ConvertCollective<shard::AllReduceOp>>(
      context, [=](shard::AllReduceOp op, Value in, OpBuilder &b) -> Value {
        ReductionKindAttr kind = reduction(op.getReduction());
        if (!kind)
          return Value();
        // tp.all_reduce keeps its operand's type; a result that differs
        // in which sizes are static is a cast after it.
        Value reduced =
            AllReduceOp::create(b, op.getLoc(), in.getType(), kind, in);
        if (reduced.getType() == op.getType())
          return reduced;
        return tensor::CastOp::create(b, op.getLoc(), op.getType(), reduced);
      });
  patterns.add<ConvertCollective<shard::ReduceScatterOp>>(
      context, [=](shard::ReduceScatterOp op, Value in, OpBuilder &b) -> Value {
        ReductionKindAttr kind = reduction(op.getReduction());
        if (!kind)
          return Value();
        return ReduceScatterOp::create(b, op.getLoc(), op.getType(), kind, in,
                                       axis(b, op.getScatterAxis()));
      });
  patterns.add<ConvertCollective<shard::AllGatherOp>>(
      context, [=](shard::AllGatherOp op, Value in, OpBuilder &b) -> Value {
        return AllGatherOp::create(b, op.getLoc(), op.getType(), in,
                                   axis(b, op.getGatherAxis()));
      });
  patterns.add<ConvertCollective<shard::AllSliceOp>>(
      context, [=](shard::AllSliceOp op, Value in, OpBuilder &b) -> Value {
        return AllSliceOp::create(b, op.getLoc(), op.getType(), in,
                                  axis(b, op.getSliceAxis()));
      });
  patterns.add<ConvertCollective<shard::AllToAllOp>>(
      context, [=](shard::AllToAllOp op, Value in, OpBuilder &b) -> Value {
        return AllToAllOp::create(b, op.getLoc(), op.getType(), in,
                                  axis(b, op.getSplitAxis()),
                                  axis(b, op.getConcatAxis()), Value());
      });
  patterns.add<ConvertProcessIndex<shard::ProcessMultiIndexOp>,
               ConvertProcessIndex<shard::ProcessLinearIndexOp>>(context);
  patterns.add<ConvertGridShape>(context, numDevices);
}

void mlir::tp::configureShardToTPConversionTarget(ConversionTarget &target) {
  target.addIllegalDialect<shard::ShardDialect>();
  target.addLegalDialect<TPDialect, arith::ArithDialect>();
  // What a collective over no axis, or one whose result differs from its
  // operand in which sizes are static, becomes around the tp op.
  target.addLegalOp<tensor::CastOp, tensor::EmptyOp>();
}

LogicalResult mlir::tp::verifyNoTPLayersInShardProgram(ModuleOp module) {
  WalkResult tpLayers = module.walk([](LinearOp op) {
    op.emitError() << "is a tp layer in a shard program (upstream's "
                      "shard-partition cannot partition it); annotate the "
                      "matmul with shard.shard instead, or drop the "
                      "shard.grid and shard ops";
    return WalkResult::interrupt();
  });
  return failure(tpLayers.wasInterrupted());
}
