//===- Pipelines.h - tp pass pipelines --------------------------*- C++ -*-===//
//
// The pipelines, as C++ functions for other compilers and as registered
// pipelines for the command line.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_PIPELINES_PIPELINES_H
#define TP_MLIR_PIPELINES_PIPELINES_H

#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
namespace tp {

struct PartitionPipelineOptions
    : public PassPipelineOptions<PartitionPipelineOptions> {
  Option<int64_t> devices{
      *this, "devices",
      llvm::cl::desc("Devices of the 1-D mesh; 0 keeps the module's mesh"),
      llvm::cl::init(0)};
  Option<PartitionStrategy> strategy{
      *this, "strategy",
      llvm::cl::desc("Sharding of unannotated layers: row, column, "
                     "alternate, replicated, batch or auto (the planner)"),
      llvm::cl::init(PartitionStrategy::alternate)};
  Option<int64_t> batch{
      *this, "batch",
      llvm::cl::desc("auto: the batch a dynamic batch is planned for"),
      llvm::cl::init(kDefaultPlannedBatch)};
  Option<int64_t> memoryLimitMiB{
      *this, "memory-limit-mib",
      llvm::cl::desc("auto: MiB per device the plan must fit (0: no limit)"),
      llvm::cl::init(0)};
  Option<std::string> profile{
      *this, "profile",
      llvm::cl::desc("auto: the machine profile JSON (default: built-in)"),
      llvm::cl::init("")};
  Option<MatmulLowering> matmul{
      *this, "matmul",
      llvm::cl::desc("auto: how the local matmuls will run (auto, codegen "
                     "or blas), whose profile prices them"),
      llvm::cl::init(MatmulLowering::automatic)};
  Option<bool> optimizeCollectives{
      *this, "optimize-collectives",
      llvm::cl::desc("Remove the collectives the next layer does not need"),
      llvm::cl::init(true)};
};

/// Model level to partitioned SPMD level: set the mesh (when `devices` is
/// not 0), fuse activations, plan every layer, partition, optimize the
/// collectives, canonicalize.
void addTPPartitionPipeline(OpPassManager &pm,
                            const PartitionPipelineOptions &options);

struct TPToLLVMOptions : public PassPipelineOptions<TPToLLVMOptions> {
  Option<MatmulLowering> matmul{
      *this, "matmul",
      llvm::cl::desc("Local matmuls: auto (by shape: generated code where "
                     "the in- and out-features are both at least 256, BLAS "
                     "below and for a single row (sgemv); default), codegen "
                     "(MLIR-generated: packed and "
                     "vectorized) or blas (sgemm of the runtime's BLAS)"),
      llvm::cl::init(MatmulLowering::automatic)};
  Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time every compute op and collective (tp.profile)"),
      llvm::cl::init(false)};
  Option<int64_t> overlapChunks{
      *this, "overlap-chunks",
      llvm::cl::desc("Pipeline each layer's collective with its computation "
                     "in this many batch chunks (tp-overlap-collectives); "
                     "0: do not"),
      llvm::cl::init(0)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc(
          "Activations' tanh, erf, exp, expm1 and log1p as polynomial "
          "approximations that vectorize (tp-approximate-math); "
          "false: scalar libm calls"),
      llvm::cl::init(true)};
  Option<int64_t> matmulVectorLanes{
      *this, "matmul-vector-lanes",
      llvm::cl::desc("matmul=codegen: f32 lanes of the register tile and the "
                     "packed panels (4, 8 or 16); 0: the host's vector "
                     "registers (16 with AVX-512, else 8)"),
      llvm::cl::init(0)};
  Option<bool> packWeightsAhead{
      *this, "pack-weights-ahead",
      llvm::cl::desc("Generated matmuls: the entry takes each weight that "
                     "only they read as their packed panels, which its "
                     "caller packs once (tp-tile-matmuls' "
                     "pack-weights-ahead; the function's tp.packed_weights "
                     "lists them)"),
      llvm::cl::init(false)};
};

/// Partitioned SPMD level to the LLVM dialect for the CPU: tp compute ops to
/// linalg, collectives to runtime calls, generated matmuls, one-shot
/// bufferization, the other matmuls to BLAS, buffer deallocation, and the
/// standard lowerings to LLVM. Public partitioned functions get a C interface
/// (`_mlir_ciface_<name>`).
void addTPToLLVMPipeline(OpPassManager &pm, const TPToLLVMOptions &options);

/// The CUDA toolkit tp-mlir was configured with (/usr/local/cuda unless the
/// build said otherwise).
std::string getDefaultCUDAToolkitPath();

struct TPToGPUOptions : public PassPipelineOptions<TPToGPUOptions> {
  Option<MatmulLowering> matmul{
      *this, "matmul",
      llvm::cl::desc("Local matmuls: blas (cuBLASLt, bias and activation in "
                     "its epilogue; auto is the same here) or codegen (a "
                     "generated tiled kernel)"),
      llvm::cl::init(MatmulLowering::blas)};
  Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time every compute op and collective with CUDA events "
                     "(tp.profile)"),
      llvm::cl::init(false)};
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("The GPU the kernels are for"),
                           llvm::cl::init("sm_90")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features of the kernels (the PTX ISA version)"),
      llvm::cl::init("+ptx80")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("The CUDA toolkit whose ptxas makes the cubin and whose "
                     "libdevice implements math functions"),
      llvm::cl::init(getDefaultCUDAToolkitPath())};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What gpu-module-to-binary embeds: bin (a cubin), "
                     "fatbin, isa (PTX text) or llvm (LLVM IR)"),
      llvm::cl::init("bin")};
  Option<unsigned> optLevel{
      *this, "opt-level",
      llvm::cl::desc("Optimization level of the kernels' LLVM and ptxas"),
      llvm::cl::init(3)};
};

/// Partitioned SPMD level to the LLVM dialect for NVIDIA GPUs, kernels
/// compiled to a cubin embedded in a gpu.binary: local matmuls to cuBLASLt
/// calls with fused epilogues (or a generated tiled kernel), collectives to
/// the GPU runtime, one-shot bufferization, every other op (activations,
/// bias after a reduction, slices, copies) to parallel loops mapped to
/// blocks and threads and outlined as kernels, NVVM, and the host side with
/// memref allocation on the device (finalize-memref-to-llvm's generic
/// allocation functions, which the GPU runtime implements).
void addTPToGPUPipeline(OpPassManager &pm, const TPToGPUOptions &options);

/// Registers `tp-partition-pipeline`, `tp-to-llvm-pipeline` and
/// `tp-to-gpu-pipeline` for the command line.
/// Upstream shard IR to a tp SPMD program: the inliner, sharding-propagation,
/// tp-prepare-shard, shard-partition, convert-shard-to-tp, canonicalize.
void addShardToTPPipeline(OpPassManager &pm);

void registerTPPipelines();

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_PIPELINES_PIPELINES_H
