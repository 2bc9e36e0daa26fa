//===- OverlapCollectives.cpp - pipeline a layer's collective -------------===//
//
// A layer of partitioned code computes its local product, then waits for a
// collective on all of it. Split along the batch, chunk i's collective can
// run while chunk i + 1 is computed: the device starts it asynchronously and
// waits for it one chunk later.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "tp-mlir/Support/OptionErrors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::tp {
#define GEN_PASS_DEF_OVERLAPCOLLECTIVES
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
/// More chunks than this would only multiply small GEMMs and sync points.
constexpr int64_t kMaxOverlapChunks = 64;

/// One layer to pipeline: its local product, its collective and its
/// epilogue (a column layer's bias and activation), in program order.
struct Layer {
  LocalLinearOp product;
  Operation *collective; // AllReduceOp or AllGatherOp
  BiasActivationOp epilogue;
  /// The last op of the layer, whose result the chunks replace.
  Operation *last() { return epilogue ? epilogue.getOperation() : collective; }
};

/// The layer that ends in `op`, if it has the shape this pass pipelines.
std::optional<Layer> matchLayer(Operation *op) {
  Layer layer{};
  Value local;
  if (auto reduce = dyn_cast<AllReduceOp>(op)) {
    local = reduce.getInput();
    layer.collective = op;
    if (reduce->hasOneUse())
      if (auto epi = dyn_cast<BiasActivationOp>(*reduce->user_begin()))
        if (epi.getInput() == reduce.getResult() &&
            epi->getBlock() == op->getBlock())
          layer.epilogue = epi;
  } else if (auto gather = dyn_cast<AllGatherOp>(op)) {
    if (gather.getDim() == 0)
      return std::nullopt;
    local = gather.getInput();
    layer.collective = op;
  } else {
    return std::nullopt;
  }
  // Chunks of rows of a rank-2 result whose features are static.
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (resultType.getRank() != 2 || resultType.isDynamicDim(1))
    return std::nullopt;
  layer.product = local.getDefiningOp<LocalLinearOp>();
  if (!layer.product || !local.hasOneUse() ||
      layer.product->getBlock() != op->getBlock())
    return std::nullopt;
  // A column layer's bias and activation come after its reduction; one
  // fused into the product would be applied to partial sums.
  if (isa<AllReduceOp>(op) &&
      (layer.product.getBias() ||
       layer.product.getActivation() != ActivationKind::identity))
    return std::nullopt;
  return layer;
}

/// `type` with dim 0 set to `rows` (a constant, or dynamic).
RankedTensorType withRows(RankedTensorType type, OpFoldResult rows) {
  SmallVector<int64_t> shape(type.getShape());
  std::optional<int64_t> c = getConstantIntValue(rows);
  shape[0] = c ? *c : ShapedType::kDynamic;
  return type.clone(shape);
}

/// Rewrites `layer` into `chunks` pipelined pieces.
void pipelineLayer(Layer layer, int64_t chunks) {
  Operation *last = layer.last();
  OpBuilder b(last);
  Location loc = layer.collective->getLoc();
  Value x = layer.product.getInput();
  auto xType = cast<RankedTensorType>(x.getType());

  // Chunk i of the batch by the balanced rule: constants for a static
  // batch, index arithmetic on its extent for a dynamic one.
  Value rows;
  if (xType.isDynamicDim(0))
    rows = tensor::DimOp::create(b, loc, x, 0);
  auto chunkBounds = [&](int64_t i) -> std::pair<OpFoldResult, OpFoldResult> {
    if (!rows) {
      int64_t m = xType.getDimSize(0);
      return {b.getIndexAttr(getShardOffset(m, chunks, i)),
              b.getIndexAttr(getShardSize(m, chunks, i))};
    }
    return buildBalancedShard(b, loc, rows, chunks,
                              arith::ConstantIndexOp::create(b, loc, i));
  };

  // Each chunk's rows of the layer's output, filled in place: the lowering
  // has the collectives write straight into them.
  auto collectiveType =
      cast<RankedTensorType>(layer.collective->getResult(0).getType());
  SmallVector<Value> dynamicSizes;
  if (collectiveType.isDynamicDim(0))
    dynamicSizes.push_back(
        rows ? rows
             : arith::ConstantIndexOp::create(b, loc, xType.getDimSize(0)));
  Value joined =
      tensor::EmptyOp::create(b, loc, collectiveType.getShape(),
                              collectiveType.getElementType(), dynamicSizes);
  SmallVector<std::pair<OpFoldResult, OpFoldResult>> bounds;

  auto startChunk = [&](int64_t i) -> Value {
    auto [offset, size] = chunkBounds(i);
    bounds.push_back({offset, size});
    // The features of a column layer's input may be an uneven shard.
    OpFoldResult features =
        xType.isDynamicDim(1)
            ? OpFoldResult(tensor::DimOp::create(b, loc, x, 1).getResult())
            : OpFoldResult(b.getIndexAttr(xType.getDimSize(1)));
    SmallVector<OpFoldResult> offsets{offset, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{size, features};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    Value xi =
        tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides)
            .getResult();
    auto productType = withRows(layer.product.getType(), size);
    Value pi = LocalLinearOp::create(
        b, layer.product.getLoc(), productType, xi, layer.product.getWeight(),
        layer.product.getBias(), layer.product.getActivationAttr(),
        layer.product.getActivationParamsAttr());
    if (auto reduce = dyn_cast<AllReduceOp>(layer.collective))
      return AllReduceStartOp::create(b, loc, PendingType::get(productType),
                                      reduce.getKindAttr(), pi);
    auto gather = cast<AllGatherOp>(layer.collective);
    auto gathered = withRows(gather.getType(), size);
    return AllGatherStartOp::create(b, loc, PendingType::get(gathered), pi,
                                    gather.getDimAttr(), Value());
  };
  auto finishChunk = [&](Value pending, int64_t i) {
    Value piece = WaitOp::create(b, loc, pending);
    auto [offset, size] = bounds[i];
    SmallVector<OpFoldResult> offsets{offset, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{
        size, b.getIndexAttr(collectiveType.getDimSize(1))};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    joined = tensor::InsertSliceOp::create(b, loc, piece, joined, offsets,
                                           sizes, strides);
  };

  Value inFlight = startChunk(0);
  for (int64_t i = 1; i < chunks; ++i) {
    Value next = startChunk(i);
    finishChunk(inFlight, i - 1);
    inFlight = next;
  }
  finishChunk(inFlight, chunks - 1);
  // A column layer's bias and activation run once, on the whole output, as
  // without the pipeline.
  if (layer.epilogue)
    joined = BiasActivationOp::create(
        b, layer.epilogue.getLoc(), layer.epilogue.getType(), joined,
        layer.epilogue.getBias(), layer.epilogue.getActivationAttr(),
        layer.epilogue.getActivationParamsAttr());
  last->getResult(0).replaceAllUsesWith(joined);
  last->erase();
  if (layer.epilogue)
    layer.collective->erase();
  layer.product->erase();
}

struct OverlapCollectivesPass
    : WithOptionErrors<
          tp::impl::OverlapCollectivesBase<OverlapCollectivesPass>> {
  using WithOptionErrors::WithOptionErrors;
  void runOnOperation() override {
    if (chunks < 2 || chunks > kMaxOverlapChunks) {
      getOperation()->emitError()
          << "tp-overlap-collectives: 'chunks' must be from 2 to "
          << kMaxOverlapChunks << ", found " << chunks.getValue();
      return signalPassFailure();
    }
    SmallVector<Layer> layers;
    // A function that already holds asynchronous collectives is left
    // alone: the chunks' starts and waits would interleave with its own
    // (in the same block or around an enclosing op), out of start order or
    // past the limit in flight.
    getOperation()->walk([&](func::FuncOp fn) {
      if (!fn->hasAttr(TPDialect::kSPMDAttrName) ||
          fn.walk([](Operation *op) {
              return isa<AllReduceStartOp, AllGatherStartOp>(op)
                         ? WalkResult::interrupt()
                         : WalkResult::advance();
            }).wasInterrupted())
        return;
      fn.walk([&](Operation *op) {
        std::optional<Layer> layer = matchLayer(op);
        if (!layer)
          return;
        // A chunk of no rows would be a collective that moves nothing.
        auto xType =
            cast<RankedTensorType>(layer->product.getInput().getType());
        if (!xType.isDynamicDim(0) && xType.getDimSize(0) < chunks)
          return;
        layers.push_back(*layer);
      });
    });
    for (Layer &layer : layers)
      pipelineLayer(layer, chunks);
  }
};
} // namespace
