//===- Pipelines.cpp - tp pass pipelines ----------------------------------===//

#include "tp-mlir/Pipelines/Pipelines.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"

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

void mlir::tp::addTPToLLVMPipeline(OpPassManager &pm,
                                   const TPToLLVMOptions &options) {
  if (options.profile)
    pm.addPass(createInsertProfileTimers());
  pm.addPass(createConvertTPToLinalg());
  pm.addPass(createConvertTPToRuntime());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  bool codegen = options.matmul == MatmulLowering::codegen;
  if (codegen)
    pm.addPass(createTileMatmuls());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (codegen)
    pm.addPass(createLowerMatmulVectors());
  else
    pm.addPass(createMatmulToBLAS());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::tp::registerTPPipelines() {
  PassPipelineRegistration<TPToLLVMOptions>(
      "tp-to-llvm-pipeline",
      "Lower partitioned tp IR to the LLVM dialect for CPU threads",
      addTPToLLVMPipeline);
  PassPipelineRegistration<PartitionPipelineOptions>(
      "tp-partition-pipeline",
      "Partition a model-level module into the SPMD program every device "
      "runs",
      addTPPartitionPipeline);
}
