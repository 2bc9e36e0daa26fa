//===- Pipelines.h - tp pass pipelines ---------------------------*- C++
//-*-===//
//
// The pipelines, as C++ functions for other compilers and as registered
// pipelines for the command line.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_PIPELINES_PIPELINES_H
#define TP_MLIR_PIPELINES_PIPELINES_H

#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/Pass/PassOptions.h"

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
                     "alternate or replicated"),
      llvm::cl::init(PartitionStrategy::alternate)};
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
      llvm::cl::desc("Local matmuls: blas (sgemm of the runtime's BLAS) or "
                     "codegen (MLIR loops)"),
      llvm::cl::init(MatmulLowering::blas)};
  Option<bool> profile{
      *this, "profile",
      llvm::cl::desc("Time every compute op and collective (tp.profile)"),
      llvm::cl::init(false)};
};

/// Partitioned SPMD level to the LLVM dialect for the CPU: tp compute ops to
/// linalg, collectives to runtime calls, one-shot bufferization, matmuls to
/// BLAS (or loops), buffer deallocation, and the standard lowerings to LLVM.
/// Public partitioned functions get a C interface (`_mlir_ciface_<name>`).
void addTPToLLVMPipeline(OpPassManager &pm, const TPToLLVMOptions &options);

/// Registers `tp-partition-pipeline` and `tp-to-llvm-pipeline` for the
/// command line.
void registerTPPipelines();

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_PIPELINES_PIPELINES_H
