//===- Pipelines.cpp - tp pass pipelines ----------------------------------===//

#include "tp-mlir/Pipelines/Pipelines.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace mlir;
using namespace mlir::tp;

namespace {
/// Refuses tp layers, and calls the inliner left, in a shard program before
/// upstream's propagation, which reports both as ops without its sharding
/// interface. tp-prepare-shard checks the layers too, after propagation,
/// for pipelines written out pass by pass.
struct RefuseUnpartitionableShardProgram
    : PassWrapper<RefuseUnpartitionableShardProgram, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(
      RefuseUnpartitionableShardProgram)
  StringRef getArgument() const final {
    return "tp-refuse-unpartitionable-shard-program";
  }
  void runOnOperation() override {
    // Without a grid there is nothing to partition, and propagation would
    // speak first, of whatever ops the module holds (a tp program's: "the
    // sharding interface is not implemented").
    if (getOperation().getOps<shard::GridOp>().empty()) {
      getOperation().emitError()
          << "has no shard.grid: there is no shard program to partition "
             "(tp-shard-to-tp-pipeline takes ops annotated with a "
             "shard.grid and shard.shard; a tp model goes through "
             "tp-partition-pipeline)";
      return signalPassFailure();
    }
    if (failed(verifyNoTPLayersInShardProgram(getOperation())))
      return signalPassFailure();
    // The pipeline inlines calls first: upstream's sharding propagation
    // has no sharding for a call, and says only that its interface is
    // not implemented.
    WalkResult calls =
        getOperation().walk([](CallOpInterface call) {
          auto callee =
              dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee());
          call->emitError()
              << "calls "
              << (callee ? "@" + callee.getLeafReference().str() : "a value")
              << ", which stays a call after inlining (a declaration without a "
                 "body, or recursion); upstream's sharding propagation cannot "
                 "see through calls: give the callee a body, or write its ops "
                 "in the caller";
          return WalkResult::interrupt();
        });
    if (calls.wasInterrupted())
      return signalPassFailure();
    // Propagation visits the ops of each function's body and stops at the
    // first without its sharding interface, in its words and twice (once
    // each way it traverses). Each such op is named here once, with what
    // to write instead.
    bool refused = false;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      for (Block &block : fn.getBody())
        for (Operation &op : block) {
          if (isa<shard::ShardingInterface, shard::ShardOp, shard::ShardingOp,
                  shard::GetShardingOp>(op) ||
              op.hasTrait<OpTrait::IsTerminator>() ||
              op.hasTrait<OpTrait::ConstantLike>())
            continue;
          InFlightDiagnostic diag = op.emitOpError();
          diag << "has no sharding rule: upstream's sharding propagation "
                  "takes only ops with its sharding interface (linalg and "
                  "tosa ops, tensor.empty and tensor.splat, constants and "
                  "the shard ops)";
          if (isa<tensor::DimOp>(op))
            diag << "; a size cannot be read in a shard program: take the "
                    "result's init tensor as an argument (as a dynamic batch "
                    "needs), or give static shapes";
          else
            diag << "; write the computation as a linalg op (linalg.generic, "
                    "or a named one such as linalg.add)";
          refused = true;
        }
    if (refused)
      signalPassFailure();
  }
};

/// Refuses tp ops in a module nested in the one a lowering pipeline runs
/// on: its bufferization and conversions take the functions of that module
/// only, and the nested ones failed deep inside, in upstream's words.
struct RefuseNestedTPModules
    : PassWrapper<RefuseNestedTPModules, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RefuseNestedTPModules)
  explicit RefuseNestedTPModules(StringRef pipeline) : pipeline(pipeline) {}
  StringRef getArgument() const final { return "tp-refuse-nested-tp-modules"; }
  void runOnOperation() override {
    if (failed(refuseNestedTPModules(
            getOperation(), "tp code", pipeline, "lowers", [](Operation *op) {
              return isa_and_nonnull<TPDialect>(op->getDialect()) ||
                     op->hasAttr(TPDialect::kSPMDAttrName);
            })))
      signalPassFailure();
  }
  std::string pipeline;
};

/// Refuses the row-wise ops that the GPU lowering does not map to kernels:
/// its loops are elementwise, one element a thread.
struct RefuseRowOpsOnGPU
    : PassWrapper<RefuseRowOpsOnGPU, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RefuseRowOpsOnGPU)
  StringRef getArgument() const final { return "tp-refuse-row-ops-on-gpu"; }
  void runOnOperation() override {
    WalkResult walk = getOperation().walk([](Operation *op) {
      if (!isa<SoftmaxOp, LogSoftmaxOp>(op))
        return WalkResult::advance();
      op->emitOpError() << "is not supported by tp-to-gpu-pipeline: the GPU "
                           "lowering has no row-wise kernels; compile for "
                           "the host (CPU threads or MPI), or end the chain "
                           "before it";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

/// Refuses a CUDA toolkit path that is not a directory, before anything is
/// lowered: upstream's NVVM target reports it, but on a module whose
/// kernels need no libdevice it then makes the cubin with the library it
/// links, and the run exits 0.
struct RefuseMissingToolkit
    : PassWrapper<RefuseMissingToolkit, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RefuseMissingToolkit)
  explicit RefuseMissingToolkit(StringRef toolkit) : toolkit(toolkit) {}
  StringRef getArgument() const final { return "tp-refuse-missing-toolkit"; }
  void runOnOperation() override {
    if (llvm::sys::fs::is_directory(toolkit))
      return;
    if (toolkit == getDefaultCUDAToolkitPath())
      emitError(getOperation().getLoc())
          << "tp-to-gpu-pipeline: the default CUDA toolkit '" << toolkit
          << "' is not a directory; give toolkit=<the toolkit's root>, whose "
             "bin/ptxas makes the cubin";
    else
      emitError(getOperation().getLoc())
          << "tp-to-gpu-pipeline: toolkit '" << toolkit
          << "' is not a directory; give the CUDA toolkit's root (its "
             "bin/ptxas makes the cubin), as "
          << getDefaultCUDAToolkitPath();
    signalPassFailure();
  }
  std::string toolkit;
};

/// The kernels' target as tp-to-gpu-pipeline was given it, checked against
/// LLVM's NVPTX tables before anything is lowered: upstream's passes crash
/// on an empty chip, warn and go on to a ptxas failure on an unknown one,
/// and report an unknown binary format but exit 0.
struct RefuseBadGPUTarget
    : PassWrapper<RefuseBadGPUTarget, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RefuseBadGPUTarget)
  RefuseBadGPUTarget(StringRef chip, StringRef features, StringRef format,
                     unsigned optLevel)
      : chip(chip), features(features), format(format), optLevel(optLevel) {}
  StringRef getArgument() const final { return "tp-refuse-bad-gpu-target"; }
  void runOnOperation() override {
    Location loc = getOperation().getLoc();
    // Otherwise found only by the serialization, after the whole lowering.
    if (optLevel > 3) {
      emitError(loc) << "tp-to-gpu-pipeline: opt-level must be 0, 1, 2 or "
                        "3, got "
                     << optLevel;
      return signalPassFailure();
    }
    if (!llvm::StringSwitch<bool>(format)
             .Cases({"bin", "binary", "fatbin", "fatbinary", "isa", "assembly",
                     "llvm", "offloading"},
                    true)
             .Default(false)) {
      emitError(loc) << "tp-to-gpu-pipeline: format '" << format
                     << "' is not one of bin, fatbin, isa or llvm";
      return signalPassFailure();
    }
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTargetMC();
    llvm::Triple triple("nvptx64-nvidia-cuda");
    std::string error;
    const llvm::Target *target =
        llvm::TargetRegistry::lookupTarget(triple, error);
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target ? target->createMCSubtargetInfo(triple, "", "") : nullptr);
    if (!info) {
      emitError(loc) << "tp-to-gpu-pipeline: this LLVM has no NVPTX target"
                     << (error.empty() ? "" : ": ") << error;
      return signalPassFailure();
    }
    if (!info->isCPUStringValid(chip)) {
      emitError(loc) << "tp-to-gpu-pipeline: chip '" << chip
                     << "' is not a GPU that LLVM's NVPTX target knows "
                        "(sm_<compute capability>, such as sm_90)";
      return signalPassFailure();
    }
    SmallVector<StringRef> names;
    StringRef(features).split(names, ',', -1, /*KeepEmpty=*/false);
    unsigned ptx = 0; // the highest +ptxNN asked for
    for (StringRef name : names) {
      unsigned version;
      if (name.starts_with("+ptx") &&
          !name.drop_front(4).getAsInteger(10, version))
        ptx = std::max(ptx, version);
      StringRef bare = name.drop_front();
      bool known = llvm::any_of(
          info->getAllProcessorFeatures(),
          [&](const llvm::SubtargetFeatureKV &kv) { return bare == kv.Key; });
      if ((!name.starts_with("+") && !name.starts_with("-")) || !known) {
        emitError(loc) << "tp-to-gpu-pipeline: feature '" << name
                       << "' is not +<a feature LLVM's NVPTX target knows>, "
                          "such as +ptx80 (a PTX ISA version)";
        return signalPassFailure();
      }
    }
    // LLVM's code generator stops the process (a fatal error) on a chip
    // whose PTX is newer than the version asked for.
    if (unsigned least = minimumPTXVersion(chip); ptx && ptx < least) {
      emitError(loc) << "tp-to-gpu-pipeline: chip '" << chip << "' needs PTX "
                     << least / 10 << "." << least % 10
                     << " or later, but features asks for +ptx" << ptx
                     << "; give features=+ptx" << least
                     << " (or features= for the chip's default)";
      return signalPassFailure();
    }
  }

  /// The oldest PTX ISA LLVM 22's NVPTX target emits for `chip` (10 x the
  /// version), found by compiling an empty kernel with llc-22 for each
  /// chip and +ptxNN; 0 for a chip not listed.
  static unsigned minimumPTXVersion(StringRef chip) {
    return llvm::StringSwitch<unsigned>(chip)
        .Cases({"sm_20", "sm_21", "sm_30", "sm_35"}, 32)
        .Cases({"sm_32", "sm_50"}, 40)
        .Cases({"sm_37", "sm_52"}, 41)
        .Case("sm_53", 42)
        .Cases({"sm_60", "sm_61", "sm_62"}, 50)
        .Case("sm_70", 60)
        .Case("sm_72", 61)
        .Case("sm_75", 63)
        .Case("sm_80", 70)
        .Case("sm_86", 71)
        .Case("sm_87", 74)
        .Cases({"sm_89", "sm_90"}, 78)
        .Case("sm_90a", 80)
        .Cases({"sm_100", "sm_100a", "sm_101", "sm_101a"}, 86)
        .Cases({"sm_120", "sm_120a"}, 87)
        .Cases({"sm_100f", "sm_101f", "sm_103", "sm_103a", "sm_103f", "sm_120f",
                "sm_121", "sm_121a", "sm_121f"},
               88)
        .Cases({"sm_88", "sm_110", "sm_110a", "sm_110f"}, 90)
        .Default(0);
  }
  std::string chip, features, format;
  unsigned optLevel;
};

/// Stands in for a pipeline nested under another op than a module: its
/// passes run on modules, and adding them to that pass manager would stop
/// the process (LLVM's fatal error). Fails on the op it is given.
struct RefusePipelineNesting
    : PassWrapper<RefusePipelineNesting, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RefusePipelineNesting)
  RefusePipelineNesting(StringRef pipeline, StringRef anchor)
      : pipeline(pipeline), anchor(anchor) {}
  StringRef getArgument() const final { return "tp-refuse-pipeline-nesting"; }
  void runOnOperation() override {
    getOperation()->emitError()
        << pipeline << " runs on a builtin.module, not nested in '" << anchor
        << "': its passes transform the module's functions together; run it "
           "as builtin.module("
        << pipeline << ")";
    signalPassFailure();
  }
  std::string pipeline, anchor;
};
} // namespace

/// Whether `pm` runs on modules (or on any op, as a PassManager made
/// without an op name does: its module passes check the op when they run);
/// else a pass that says so takes the pipeline's place.
static bool anchoredOnModule(OpPassManager &pm, StringRef pipeline) {
  if (pm.getOpAnchorName() == ModuleOp::getOperationName() ||
      pm.getOpAnchorName() == OpPassManager::getAnyOpAnchorName())
    return true;
  pm.addPass(
      std::make_unique<RefusePipelineNesting>(pipeline, pm.getOpAnchorName()));
  return false;
}

namespace {
/// math.expm1 (elu, selu) as a call to libm's expm1f: convert-math-to-llvm
/// would compute it as exp(x) - 1, which loses every digit for small x.
/// Only without tp-approximate-math (--libm-math) is any left.
struct ExpM1ToLibm : PassWrapper<ExpM1ToLibm, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ExpM1ToLibm)
  StringRef getArgument() const final { return "tp-expm1-to-libm"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<func::FuncDialect, vector::VectorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathToLibmConversionPatterns(patterns);
    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addIllegalOp<math::ExpM1Op>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

/// The host code to the LLVM dialect (after the kernels are outlined, for
/// the GPU): scf, math, memref, arith, index, func and cf.
static void addHostToLLVMPasses(OpPassManager &pm, bool genericAllocation) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  // LLVM intrinsics first (fma, floor, fabs: the polynomial approximations'
  // arithmetic, which LLVM vectorizes; libm would make them calls; with
  // approximate-math=false also tanh and exp, which LLVM's code generator
  // makes the same libm calls), libm calls for the rest (erf).
  // log1p stays libm's: the pass's own approximation of it would be less
  // accurate than the call it replaced.
  pm.addPass(std::make_unique<ExpM1ToLibm>());
  ConvertMathToLLVMPassOptions mathToLLVM;
  mathToLLVM.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathToLLVM));
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = genericAllocation;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
}

/// One-shot bufferization of whole modules, function boundaries included,
/// with identity layouts there (what hosts pass and receive).
static void addBufferizationPasses(OpPassManager &pm) {
  // Elementwise arith and math on tensors (hand-written SPMD code, an
  // embedder's) have no bufferization of their own: "op was not
  // bufferized". As linalg.generic they lower like the epilogues.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A collective's result is a fresh buffer; in a loop of hand-written SPMD
  // code it is yielded to the next iteration.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

void mlir::tp::addTPPartitionPipeline(OpPassManager &pm,
                                      const PartitionPipelineOptions &options) {
  if (!anchoredOnModule(pm, "tp-partition-pipeline"))
    return;
  if (options.devices != 0)
    pm.addPass(createSetMesh(SetMeshOptions{options.devices}));
  pm.addPass(createFuseActivations());
  SetStrategyOptions strategy;
  strategy.strategy = options.strategy;
  strategy.batch = options.batch;
  strategy.memoryLimitMiB = options.memoryLimitMiB;
  strategy.profile = options.profile;
  strategy.matmul = options.matmul;
  pm.addPass(createSetStrategy(strategy));
  pm.addPass(createPartition());
  if (options.optimizeCollectives)
    pm.addPass(createOptimizeCollectives());
  pm.addPass(createCanonicalizerPass());
}

/// Upstream's buffer deallocation pipeline
/// (bufferization::buildBufferDeallocationPipeline), with
/// tp-split-fresh-deallocs before the simplification, whose pairwise alias
/// checks are quadratic in the buffers of a function's final dealloc.
static void addDeallocationPasses(OpPassManager &pm) {
  pm.addPass(memref::createExpandReallocPass({/*emitDeallocs=*/false}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createSplitFreshDeallocs());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::tp::addTPToLLVMPipeline(OpPassManager &pm,
                                   const TPToLLVMOptions &options) {
  if (!anchoredOnModule(pm, "tp-to-llvm-pipeline"))
    return;
  pm.addPass(std::make_unique<RefuseNestedTPModules>("tp-to-llvm-pipeline"));
  if (options.overlapChunks != 0)
    pm.addPass(createOverlapCollectives(
        OverlapCollectivesOptions{options.overlapChunks}));
  if (options.profile)
    pm.addPass(createInsertProfileTimers());
  pm.addPass(createConvertTPToLinalg());
  pm.addPass(createConvertTPToRuntime());
  // No CSE here: it would merge every layer's zero-filled matmul init of
  // one shape into one tensor, which bufferization then copies into each
  // layer's output, where each could be written once (beta = 0).
  pm.addPass(createCanonicalizerPass());
  // auto generates the wide matmuls and leaves the others to BLAS.
  bool codegen = options.matmul != MatmulLowering::blas;
  bool blas = options.matmul != MatmulLowering::codegen;
  if (codegen) {
    bool automatic = options.matmul == MatmulLowering::automatic;
    pm.addPass(createTileMatmuls(
        TileMatmulsOptions{options.matmulVectorLanes.getValue(),
                           automatic ? kAutoCodegenMinFeatures : 0,
                           automatic ? kAutoCodegenMaxOutputs : 0,
                           options.packWeightsAhead.getValue()}));
  }

  addBufferizationPasses(pm);
  // The generated matmuls write into the buffer their callers pass
  // (tp-tile-matmuls); their result is that buffer, and a call whose result
  // aliases an argument would keep the layers from rolling into a loop.
  if (codegen) {
    // With auto, a kernel for a dynamic batch returns an scf.if whose
    // branches both yield the buffer passed in (a single row goes to BLAS);
    // folded, the result is that argument, which the next pass drops.
    if (blas)
      pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
    pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
    pm.addPass(createLowerMatmulVectors(
        LowerMatmulVectorsOptions{options.matmulVectorLanes.getValue()}));
  }
  if (blas)
    pm.addPass(createMatmulToBLAS());
  addDeallocationPasses(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createStridedCopiesToLinalg());
  // The deallocation pipeline frees every buffer at the end of its block:
  // a chain would hold every layer's activations until it returns, and
  // each segment below would pass them all on.
  pm.addNestedPass<func::FuncOp>(
      bufferization::createOptimizeAllocationLivenessPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Functions of bounded size keep LLVM's time linear in depth.
  pm.addPass(createOutlineSegments());
  // After outlining, so that each kind of epilogue loop is rewritten once.
  if (options.approximateMath)
    pm.addPass(createApproximateMath());
  addHostToLLVMPasses(pm, /*genericAllocation=*/false);
  pm.addPass(createReconcileUnrealizedCastsPass());
}

std::string mlir::tp::getDefaultCUDAToolkitPath() {
#ifdef TP_DEFAULT_CUDA_ROOT
  return TP_DEFAULT_CUDA_ROOT;
#else
  return "/usr/local/cuda";
#endif
}

void mlir::tp::addTPToGPUPipeline(OpPassManager &pm,
                                  const TPToGPUOptions &options) {
  if (!anchoredOnModule(pm, "tp-to-gpu-pipeline"))
    return;
  pm.addPass(std::make_unique<RefuseNestedTPModules>("tp-to-gpu-pipeline"));
  pm.addPass(std::make_unique<RefuseBadGPUTarget>(
      options.chip, options.features, options.format, options.optLevel));
  pm.addPass(std::make_unique<RefuseRowOpsOnGPU>());
  // LLVM IR needs no toolkit; a cubin, PTX or a fatbin do (ptxas, and
  // libdevice for the math functions).
  if (!options.toolkit.empty() && options.format != "llvm")
    pm.addPass(std::make_unique<RefuseMissingToolkit>(options.toolkit));
  bool codegen = options.matmul == MatmulLowering::codegen;
  if (options.profile)
    pm.addPass(createInsertProfileTimers({RuntimeTarget::gpu}));
  if (!codegen)
    pm.addPass(createLinearToCuBLASLt());
  pm.addPass(createConvertTPToLinalg());
  pm.addPass(createConvertTPToRuntime({RuntimeTarget::gpu}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferizationPasses(pm);
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  if (codegen)
    pm.addPass(createGPUMatmulCodegen());
  pm.addPass(createGPUDeviceCopies());

  // Every remaining linalg op is elementwise (or a fill or copy): parallel
  // loops, one row of a block per 256 columns (consecutive threads on
  // consecutive elements), mapped to blocks and threads.
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createConvertLinalgToParallelLoopsPass());
  fn.addPass(createParallelLoopTilingPass({1, 256}, /*noMinMaxBounds=*/true));
  fn.addPass(createGpuMapParallelLoopsPass());
  fn.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createSCFToControlFlowPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.indexBitwidth = 64;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  kernels.addPass(createReconcileUnrealizedCastsPass());

  // memref.alloc and dealloc of the host code become calls of the generic
  // allocation functions, which the GPU runtime implements on the device;
  // gpu-to-llvm, which would lower them to malloc, comes after, for the
  // launches.
  addHostToLLVMPasses(pm, /*genericAllocation=*/true);
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkit;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::tp::addShardToTPPipeline(OpPassManager &pm) {
  if (!anchoredOnModule(pm, "tp-shard-to-tp-pipeline"))
    return;
  // Helper functions become part of the function that calls them, which
  // is what upstream's propagation and partitioning take.
  pm.addPass(createInlinerPass());
  pm.addPass(std::make_unique<RefuseUnpartitionableShardProgram>());
  // Propagation first, so that every value, arguments included, has the
  // sharding that partitioning will give it when tp-prepare-shard reads it.
  pm.addNestedPass<func::FuncOp>(shard::createShardingPropagation());
  pm.addPass(createPrepareShardForTP());
  pm.addNestedPass<func::FuncOp>(shard::createPartition());
  pm.addPass(createConvertShardToTP());
  pm.addPass(createCanonicalizerPass());
}

void mlir::tp::registerTPPipelines() {
  PassPipelineRegistration<>(
      "tp-shard-to-tp-pipeline",
      "Partition a module annotated with upstream's shard dialect "
      "(inliner, sharding-propagation, tp-prepare-shard, shard-partition) "
      "and convert it into tp's SPMD form",
      addShardToTPPipeline);
  PassPipelineRegistration<TPToGPUOptions>(
      "tp-to-gpu-pipeline",
      "Lower partitioned tp IR to the LLVM dialect and a cubin for NVIDIA "
      "GPUs",
      addTPToGPUPipeline);
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
