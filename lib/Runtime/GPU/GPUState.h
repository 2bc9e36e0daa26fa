//===- GPUState.h - what each rank of the GPU runtime holds -----*- C++ -*-===//
//
// Private to the GPU runtime. A rank's thread has its GPURank current while
// it runs: its device, its stream (every kernel, copy, matmul and
// collective of the rank goes on it, in order), its cuBLASLt handle and
// workspace, and its profile events.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_RUNTIME_GPU_GPUSTATE_H
#define TP_MLIR_LIB_RUNTIME_GPU_GPUSTATE_H

#include "GPUKernels.h"

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tp::rt {

/// A cached cuBLASLt plan for one matmul shape.
struct MatmulPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo;
};

struct GPURank {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasLtHandle_t lt = nullptr;
  void *workspace = nullptr;
  size_t workspaceSize = 0;
  bool tf32 = false;
  /// Plans by shape, strides, operand alignments, epilogue and the bias's
  /// alignment (0: no bias) (GPUMatmul.cpp).
  std::map<std::array<int64_t, 11>, MatmulPlan> plans;
  /// Profile events per region: (begin, end).
  std::vector<std::pair<cudaEvent_t, cudaEvent_t>> timers;
  /// The first CUDA error of this rank in compiled code, which cannot
  /// return one; the host reports it after the run.
  std::string error;
};

/// Frees the rank's cached cuBLASLt plans (GPUMatmul.cpp).
void destroyMatmulPlans(GPURank &rank);

/// The calling thread's rank state (null outside a GPU run).
GPURank *currentGPURank();
void setCurrentGPURank(GPURank *rank);

/// Records `what` failed with `status` on the current rank (the first error
/// wins) and returns false; true for cudaSuccess.
bool checkCuda(cudaError_t status, const char *what);

/// "rank 1 (GPU 0): what: message".
std::string describeRankError(const char *what, const std::string &message);

} // namespace mlir::tp::rt

#endif // TP_MLIR_LIB_RUNTIME_GPU_GPUSTATE_H
