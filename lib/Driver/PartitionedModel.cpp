//===- PartitionedModel.cpp - the SPMD program of a model -----------------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include <chrono>

using namespace mlir;
using namespace mlir::tp;

FailureOr<PartitionedModel>
PartitionedModel::create(const Model &model, int64_t devices,
                         PartitionStrategy strategy, bool optimizeCollectives,
                         const PlannerOptions &plan) {
  PartitionedModel program;
  program.module = model.getModule().clone();
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
