//===- PartitionedModel.cpp - the SPMD program of a model -----------------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <chrono>

using namespace mlir;
using namespace mlir::tp;

/// Gives entry `fn` of a tp model the argument shapes `shapes`, and each
/// value computed from them the sizes that follow. A model's only dynamic
/// size is dimension 0, the batch, of its chain's values (Model::load and
/// verifyModelFunction see to it), which every op takes from its first
/// operand: tp.linear's x, an activation's or a softmax's input. False
/// when `fn` is not of that form, or the result does not verify; `fn` may
/// then be half changed, and is to be dropped.
static bool specializeShapes(FunctionOpInterface fn,
                             ArrayRef<SmallVector<int64_t>> shapes) {
  if (fn.isExternal() || !fn.getFunctionBody().hasOneBlock() ||
      shapes.size() != fn.getNumArguments())
    return false;
  Block &body = fn.getFunctionBody().front();
  SmallVector<Type> argumentTypes;
  for (auto [arg, shape] : llvm::zip(body.getArguments(), shapes)) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getRank() != int64_t(shape.size()))
      return false;
    for (auto [size, run] : llvm::zip(type.getShape(), shape))
      if (run < 0 || (!ShapedType::isDynamic(size) && size != run))
        return false;
    argumentTypes.push_back(RankedTensorType::get(shape, type.getElementType(),
                                                  type.getEncoding()));
  }
  for (auto [arg, type] : llvm::zip(body.getArguments(), argumentTypes))
    arg.setType(type);
  for (Operation &op : body.without_terminator()) {
    for (OpResult result : op.getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type)
        return false;
      if (type.hasStaticShape())
        continue;
      auto input = op.getNumOperands()
                       ? dyn_cast<RankedTensorType>(op.getOperand(0).getType())
                       : RankedTensorType();
      if (!input || !input.hasStaticShape() || input.getRank() < 1 ||
          llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
        return false;
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = input.getDimSize(0);
      result.setType(RankedTensorType::get(shape, type.getElementType(),
                                           type.getEncoding()));
    }
  }
  fn.setType(FunctionType::get(fn->getContext(), argumentTypes,
                               body.getTerminator()->getOperandTypes()));
  // A failure here is a form this function does not know: the dynamic
  // program runs instead, and says nothing of it.
  ScopedDiagnosticHandler quiet(fn->getContext(),
                                [](Diagnostic &) { return success(); });
  return succeeded(verify(fn));
}

FailureOr<PartitionedModel>
PartitionedModel::create(const Model &model, int64_t devices,
                         PartitionStrategy strategy, bool optimizeCollectives,
                         const PlannerOptions &plan,
                         ArrayRef<SmallVector<int64_t>> runShapes) {
  PartitionedModel program;
  program.module = model.getModule().clone();
  if (!runShapes.empty() && !model.isShardProgram()) {
    FunctionOpInterface entry =
        lookupEntry(*program.module, model.getEntry().getName());
    // A copy half changed is dropped for a fresh one.
    if (!entry || !specializeShapes(entry, runShapes))
      program.module = model.getModule().clone();
  }
  PassManager pm(model.getModule().getContext());
  if (model.isShardProgram()) {
    // The shard annotations partition it, for the grid's device count.
    if (devices != model.getMeshDevices())
      return model.getEntry().emitError()
             << "is annotated for a shard.grid of " << model.getMeshDevices()
             << " devices, but " << devices << " were asked for";
    addShardToTPPipeline(pm);
    return runPipeline(pm, model, std::move(program), strategy);
  }
  PartitionPipelineOptions options;
  options.devices = devices;
  options.strategy = strategy;
  options.optimizeCollectives = optimizeCollectives;
  // The planner's options, which tp-set-strategy refuses without it.
  if (strategy == PartitionStrategy::planned) {
    options.batch = plan.batch;
    options.memoryLimitMiB = plan.memoryLimitMiB;
    options.profile = plan.profilePath;
    options.matmul = plan.matmul;
  }
  addTPPartitionPipeline(pm, options);
  return runPipeline(pm, model, std::move(program), strategy);
}

FailureOr<PartitionedModel>
PartitionedModel::runPipeline(PassManager &pm, const Model &model,
                              PartitionedModel program,
                              PartitionStrategy strategy) {
  auto start = std::chrono::steady_clock::now();
  // A pass that fails without a word (upstream's do) still gets one.
  bool diagnosed = false;
  ScopedDiagnosticHandler watch(pm.getContext(), [&](Diagnostic &diag) {
    diagnosed |= diag.getSeverity() == DiagnosticSeverity::Error;
    return failure(); // and pass it on
  });
  if (failed(pm.run(*program.module))) {
    if (!diagnosed)
      return model.getEntry().emitError()
             << "the partition pipeline failed without a diagnostic";
    return failure();
  }
  program.milliseconds = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  program.entry = lookupEntry(*program.module, model.getEntry().getName());
  if (!program.entry)
    return failure();
  program.devices = lookupMesh(program.entry).getNumDevices();
  program.strategy = strategy;
  return program;
}

ShardAttr PartitionedModel::getShard(unsigned index) const {
  auto shard =
      entry.getArgAttrOfType<ShardAttr>(index, TPDialect::kShardAttrName);
  return shard && !shard.isReplicated() ? shard : ShardAttr();
}

std::map<std::string, int64_t> PartitionedModel::countCollectives() const {
  std::map<std::string, int64_t> counts;
  entry.walk([&](Operation *op) {
    // The asynchronous starts of tp-overlap-collectives count under their
    // own names: one per chunk.
    if (isa<AllGatherOp, AllToAllOp, AllReduceOp, ReduceScatterOp, AllSliceOp,
            AllGatherStartOp, AllReduceStartOp>(op))
      ++counts[op->getName().stripDialect().str()];
  });
  return counts;
}
