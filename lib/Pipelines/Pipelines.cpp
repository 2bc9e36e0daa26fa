//===- Pipelines.cpp - tp pass pipelines ----------------------------------===//

#include "tp-mlir/Pipelines/Pipelines.h"

#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::tp;

void mlir::tp::addTPPartitionPipeline(OpPassManager &pm,
                                      const PartitionPipelineOptions &options) {
  if (options.devices != 0)
    pm.addPass(createSetMesh(SetMeshOptions{options.devices}));
  pm.addPass(createFuseActivations());
  pm.addPass(createSetStrategy(SetStrategyOptions{options.strategy}));
  pm.addPass(createPartition());
  if (options.optimizeCollectives)
    pm.addPass(createOptimizeCollectives());
  pm.addPass(createCanonicalizerPass());
}

void mlir::tp::registerTPPipelines() {
  PassPipelineRegistration<PartitionPipelineOptions>(
      "tp-partition-pipeline",
      "Partition a model-level module into the SPMD program every device "
      "runs",
      addTPPartitionPipeline);
}
