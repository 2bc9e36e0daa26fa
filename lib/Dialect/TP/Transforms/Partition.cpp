//===- Partition.cpp - planned functions to SPMD form ---------------------===//
//
// Rewrites every sharded tp.linear into local compute plus explicit
// collectives, and gives weight arguments their per-device types and
// manifest entries. Each layer leaves its output replicated; removing the
// collectives that the next layer does not need is tp-optimize-collectives'
// job, which keeps this pass simple enough to be obviously right.
//
//===----------------------------------------------------------------------===//

#include "ShardedArguments.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tp {
#define GEN_PASS_DEF_PARTITION
#include "tp-mlir/Dialect/TP/Transforms/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

/// What a layer does with `object` (an argument): "splits argument #1
/// along dim 0", "keeps it whole (replicated)".
static std::string describeSplit(std::optional<int64_t> dim,
                                 const std::string &object) {
  return dim ? "splits " + object + " along dim " + std::to_string(*dim)
             : "keeps " + object + " whole (replicated)";
}

namespace {
/// How one weight or bias argument is split, and the first layer that said so.
struct ArgSplit {
  std::optional<int64_t> dim;
  LinearOp firstUser;
};

class FunctionPartitioner {
public:
  FunctionPartitioner(FunctionOpInterface fn, int64_t numDevices)
      : fn(fn), numDevices(numDevices), builder(fn.getContext()) {}

  LogicalResult run() {
    SmallVector<LinearOp> layers;
    fn.walk([&](LinearOp op) { layers.push_back(op); });
    for (LinearOp op : layers)
      if (!op.getSharding())
        return op.emitOpError() << "has no sharding: annotate it or run "
                                   "tp-set-strategy before tp-partition";
    if (failed(collectArgSplits(layers)))
      return failure();
    localizeArguments();
    for (LinearOp op : layers)
      rewriteLayer(op);
    fn->setAttr(TPDialect::kSPMDAttrName, builder.getUnitAttr());
    return success();
  }

private:
  /// Records how each argument used as a weight or bias is split; one
  /// checkpoint tensor can be split only one way.
  LogicalResult collectArgSplits(ArrayRef<LinearOp> layers) {
    for (LinearOp op : layers) {
      ShardingKind kind = *op.getSharding();
      std::pair<Value, std::optional<int64_t>> operands[] = {
          {op.getWeight(), getWeightSplitDim(kind)},
          {op.getBias(), getBiasSplitDim(kind)}};
      for (auto [value, dim] : operands) {
        auto arg = dyn_cast_or_null<BlockArgument>(value);
        if (!arg || arg.getOwner() != &fn.getFunctionBody().front())
          continue;
        auto [it, inserted] = argSplits.insert({arg, ArgSplit{dim, op}});
        // On one device every split is the whole tensor.
        if (!inserted && it->second.dim != dim && numDevices > 1) {
          InFlightDiagnostic diag =
              op.emitOpError()
              << describeSplit(dim, "argument #" +
                                        std::to_string(arg.getArgNumber()))
              << ", but another layer " << describeSplit(it->second.dim, "it")
              << "; one checkpoint tensor can be split only one way: give "
                 "the layers that share it one split (sharding(...) on "
                 "each, or a strategy that does, such as row, column or "
                 "auto)";
          diag.attachNote(it->second.firstUser.getLoc())
              << "the other layer is here";
          return diag;
        }
      }
    }
    // A split argument must not reach anything but layers, which all expect
    // their shard (on one device, the whole tensor).
    for (auto &[arg, split] : argSplits) {
      if (!split.dim || numDevices == 1)
        continue;
      if (OpOperand *use = findNonParameterUse(arg))
        return use->getOwner()->emitOpError()
               << "uses argument #" << arg.getArgNumber()
               << ", which is split along dim " << *split.dim
               << " as a layer's weight; use a separate argument";
    }
    return success();
  }

  /// Gives split arguments their local types, and every weight argument its
  /// manifest entry.
  void localizeArguments() {
    SmallVector<std::pair<unsigned, ShardAttr>> manifest;
    for (auto &[arg, split] : argSplits)
      manifest.push_back(
          {arg.getArgNumber(), splitArgument(arg, split.dim, numDevices)});
    setManifest(fn, manifest);
  }

  /// This device's part of `value` split along `dim`: a localized argument
  /// already is; anything else (a constant, say) is sliced at run time.
  Value localPart(Value value, std::optional<int64_t> dim, Location loc) {
    if (!value || !dim)
      return value;
    if (auto arg = dyn_cast<BlockArgument>(value); arg && argSplits.count(arg))
      return value;
    auto type = cast<RankedTensorType>(value.getType());
    return AllSliceOp::create(builder, loc,
                              getLocalType(type, *dim, numDevices), value,
                              builder.getI64IntegerAttr(*dim));
  }

  void rewriteLayer(LinearOp op) {
    builder.setInsertionPoint(op);
    Location loc = op.getLoc();
    ShardingKind kind = *op.getSharding();
    RankedTensorType resultType = op.getType();
    auto act = op.getActivationAttr();
    auto params = op.getActivationParamsAttr();
    Value weight = localPart(op.getWeight(), getWeightSplitDim(kind), loc);
    Value bias = localPart(op.getBias(), getBiasSplitDim(kind), loc);
    auto identity =
        ActivationKindAttr::get(op.getContext(), ActivationKind::identity);
    Value result;
    switch (kind) {
    case ShardingKind::replicated:
      result = LocalLinearOp::create(builder, loc, resultType, op.getInput(),
                                     weight, bias, act, params);
      break;
    case ShardingKind::row: {
      // Each device computes its output features, bias and sigma included,
      // then all devices exchange them.
      Value local = LocalLinearOp::create(
          builder, loc, getLocalType(resultType, 1, numDevices), op.getInput(),
          weight, bias, act, params);
      result = AllGatherOp::create(builder, loc, resultType, local,
                                   builder.getI64IntegerAttr(1));
      break;
    }
    case ShardingKind::batch: {
      // Each device computes its rows of the batch with the whole layer,
      // then all devices exchange them. The batch is dynamic in general, so
      // the gather is told its full extent, the input's.
      auto inputType = cast<RankedTensorType>(op.getInput().getType());
      Value rows = AllSliceOp::create(
          builder, loc, getLocalType(inputType, 0, numDevices), op.getInput(),
          builder.getI64IntegerAttr(0));
      Value local = LocalLinearOp::create(
          builder, loc, getLocalType(resultType, 0, numDevices), rows, weight,
          bias, act, params);
      Value size;
      if (resultType.isDynamicDim(0))
        size = tensor::DimOp::create(builder, loc, op.getInput(), 0);
      result = AllGatherOp::create(builder, loc, resultType, local,
                                   builder.getI64IntegerAttr(0), size);
      break;
    }
    case ShardingKind::column: {
      // Each device multiplies its slice of the input features; the partial
      // sums are reduced before the bias and sigma, which are applied once.
      auto inputType = cast<RankedTensorType>(op.getInput().getType());
      Value input = AllSliceOp::create(
          builder, loc, getLocalType(inputType, 1, numDevices), op.getInput(),
          builder.getI64IntegerAttr(1));
      Value partial =
          LocalLinearOp::create(builder, loc, resultType, input, weight,
                                Value(), identity, DenseF32ArrayAttr());
      Value sum = AllReduceOp::create(
          builder, loc, resultType,
          ReductionKindAttr::get(op.getContext(), ReductionKind::sum), partial);
      result = BiasActivationOp::create(builder, loc, resultType, sum, bias,
                                        act, params);
      break;
    }
    }
    op.getResult().replaceAllUsesWith(result);
    op.erase();
  }

  FunctionOpInterface fn;
  int64_t numDevices;
  OpBuilder builder;
  llvm::MapVector<BlockArgument, ArgSplit> argSplits;
};

} // namespace

/// What a model may hold, for messages.
static constexpr const char *kSupportedModel =
    "tp-mlir partitions chains of tp.linear, tp.activation, tp.softmax and "
    "tp.log_softmax on f32 tensors, with arith.constant and func.return, in "
    "one block";

static bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

LogicalResult
mlir::tp::refuseNestedTPModules(ModuleOp module, StringRef what, StringRef pass,
                                StringRef verb,
                                function_ref<bool(Operation *)> isTP) {
  for (auto nested : module.getOps<ModuleOp>()) {
    if (!nested
             .walk([&](Operation *op) {
               return isTP(op) ? WalkResult::interrupt()
                               : WalkResult::advance();
             })
             .wasInterrupted())
      continue;
    return emitError(nested.getLoc())
           << "is a nested module with " << what << "; " << pass << " " << verb
           << " the functions of the module it runs on: run it on this one "
              "(--pass-pipeline='builtin.module(builtin.module("
           << pass << "))') or move the functions up";
  }
  return success();
}

LogicalResult mlir::tp::verifyModelFunction(FunctionOpInterface fn) {
  if (fn.isExternal())
    return success();
  if (fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "is already partitioned (marked '"
                          << TPDialect::kSPMDAttrName
                          << "'); partition the model-level function instead";
  Region &body = fn.getFunctionBody();
  if (!body.hasOneBlock())
    return fn.emitError() << "has " << body.getBlocks().size() << " blocks; "
                          << kSupportedModel;
  for (BlockArgument arg : body.getArguments())
    if (!isF32Tensor(arg.getType()))
      return fn.emitError()
             << "argument #" << arg.getArgNumber() << " has type "
             << arg.getType() << "; " << kSupportedModel;
  for (Operation &op : body.front()) {
    if (!isa<LinearOp, ActivationOp, SoftmaxOp, LogSoftmaxOp, arith::ConstantOp,
             func::ReturnOp>(op))
      return op.emitOpError()
             << "is not supported in a model: " << kSupportedModel;
    if (op.getNumRegions())
      return op.emitOpError() << "has regions; " << kSupportedModel;
    for (Type type : op.getResultTypes())
      if (!isF32Tensor(type))
        return op.emitOpError()
               << "produces " << type << "; " << kSupportedModel;
    // Constants are tensors written out (dense, sparse) or as a resource
    // blob in the file, which the compiled code and the reference read.
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      Attribute value = constant.getValue();
      if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
        if (!resource.getRawHandle().getBlob())
          return op.emitOpError()
                 << "takes its value from the resource blob '"
                 << resource.getRawHandle().getKey()
                 << "', which the file does not hold (a module printed with "
                    "its large constants elided); print the module without "
                    "eliding them";
        auto type = cast<ShapedType>(resource.getType());
        uint64_t expected = uint64_t(type.getNumElements()) *
                            ((type.getElementTypeBitWidth() + 7) / 8);
        if (resource.getRawHandle().getBlob()->getData().size() != expected)
          return op.emitOpError()
                 << "takes its value from the resource blob '"
                 << resource.getRawHandle().getKey() << "' of "
                 << resource.getRawHandle().getBlob()->getData().size()
                 << " bytes, where " << type << " needs " << expected;
      } else if (!isa<DenseElementsAttr, SparseElementsAttr>(value)) {
        return op.emitOpError()
               << "holds a constant written as "
               << value.getAbstractAttribute().getName()
               << "; a model's constants are f32 tensors written as "
                  "dense<...>, sparse<...> or dense_resource<...>";
      }
    }
    if (isa<func::ReturnOp>(op))
      for (Type type : op.getOperandTypes())
        if (!isF32Tensor(type))
          return op.emitOpError()
                 << "returns " << type << "; " << kSupportedModel;
  }
  return success();
}

namespace {
struct PartitionPass : tp::impl::PartitionBase<PartitionPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MeshAttr mesh = lookupMesh(module);
    // Only this module's functions are partitioned: layers in a nested
    // module would be left as they are, without a word.
    if (failed(refuseNestedTPModules(module, "tp layers", "tp-partition",
                                     "partitions", llvm::IsaPred<LinearOp>)))
      return signalPassFailure();
    for (auto fn : module.getOps<FunctionOpInterface>()) {
      if (fn.isExternal() || fn->hasAttr(TPDialect::kSPMDAttrName))
        continue;
      if (!mesh) {
        fn.emitError() << "tp-partition needs a device mesh: add '"
                       << TPDialect::kMeshAttrName
                       << "' to the module or run tp-set-mesh first";
        return signalPassFailure();
      }
      if (failed(verifyModelFunction(fn)))
        return signalPassFailure();
      if (failed(FunctionPartitioner(fn, mesh.getNumDevices()).run()))
        return signalPassFailure();
    }
  }
};
} // namespace
