//===- GPUBackend.h - compile partitioned tp IR for NVIDIA GPUs --*- C++
//-*-===//
//
// Lowers a partitioned (SPMD) module with the tp-to-gpu-pipeline: kernels
// in a cubin embedded in the host code, host code JIT-compiled by MLIR's
// ExecutionEngine, calling the GPU runtime (tp-mlir/Runtime/GPU.h). A
// compiled model runs one rank on the calling thread, which must be a rank
// of a GPUGroup: its device, stream and GPU communicator are the thread's.
// Arguments live in the rank's device memory; weights are copied there
// straight from the memory-mapped weights file.
//
// Built only with the GPU backend (TP_ENABLE_GPU).
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_BACKEND_GPUBACKEND_H
#define TP_MLIR_BACKEND_GPUBACKEND_H

#include "tp-mlir/Backend/CompiledModel.h"
#include "tp-mlir/Support/OptionEnums.h"

#include <memory>
#include <string>

namespace mlir {
class DialectRegistry;
namespace tp {

/// The CPU backend's dialects and interfaces, the GPU and NVVM ones, and
/// the LLVM IR translations of gpu.binary and launches.
void registerGPUBackendDialects(DialectRegistry &registry);

struct GPUCompileOptions {
  /// cuBLASLt (with fused epilogues) or the generated tiled kernel.
  MatmulLowering matmul = MatmulLowering::blas;
  /// Time every compute op and collective with CUDA events.
  bool profile = false;
  /// The GPU the cubin is for.
  std::string chip = "sm_90";
  /// Compile for an object file that an application links: no kernels are
  /// loaded here, so no GPU is needed.
  bool forLinking = false;
  unsigned optLevel = kDefaultOptLevel;
};

class GPUModel final : public CompiledModel {
public:
  /// Compiles function `entry` of the partitioned `spmdModule` (left
  /// unchanged); diagnostics go to the context.
  static FailureOr<std::unique_ptr<GPUModel>>
  compile(ModuleOp spmdModule, StringRef entry,
          const GPUCompileOptions &options);
  ~GPUModel() override;

  std::string describeTarget() const override;
  std::unique_ptr<RankState> placeArguments(ArrayRef<ArgumentWriter> args,
                                            std::string &error) const override;
  LogicalResult run(RankState &state, std::string &error) const override;
  FailureOr<Tensor> takeResult(RankState &state,
                               std::string &error) const override;

private:
  GPUModel() = default;
  std::string chip;
};

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_BACKEND_GPUBACKEND_H
