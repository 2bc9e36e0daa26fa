//===- Executors.cpp - the executor of each backend -----------------------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Runtime/ThreadGroup.h"
#ifdef TP_ENABLE_MPI
#include "tp-mlir/Runtime/MPIGroup.h"
#endif
#ifdef TP_ENABLE_GPU
#include "tp-mlir/Runtime/GPU.h"
#endif

#include "tp-mlir/Support/Limits.h"

#include <fmt/format.h>

using namespace mlir;
using namespace mlir::tp;

std::unique_ptr<rt::Executor> mlir::tp::createExecutor(Backend backend,
                                                       int64_t devices,
                                                       std::string &error,
                                                       bool gpuTF32) {
  error = rt::checkTimeoutEnvironment();
  if (!error.empty())
    return nullptr;
  switch (backend) {
  case Backend::threads:
    if (devices < 1 || devices > kMaxThreadRanks) {
      error = fmt::format("the threads backend runs 1 to {} ranks, got {}; "
                          "use --backend mpi for more",
                          kMaxThreadRanks, devices);
      return nullptr;
    }
    return rt::ThreadGroup::create(devices);
  case Backend::mpi: {
#ifdef TP_ENABLE_MPI
    std::unique_ptr<rt::MPIGroup> group = rt::MPIGroup::create(error);
    if (!group)
      return nullptr;
    if (devices && group->size() != devices) {
      error = fmt::format("the model is partitioned for {} device{}, but this "
                          "MPI job has {} process{}; run it with mpirun -np {}",
                          devices, devices == 1 ? "" : "s", group->size(),
                          group->size() == 1 ? "" : "es", devices);
      return nullptr;
    }
    return group;
#else
    error = "this tp-mlir was built without MPI (install libopenmpi-dev and "
            "rebuild)";
    return nullptr;
#endif
  }
  case Backend::gpu:
  case Backend::gpu_mpi: {
#ifdef TP_ENABLE_GPU
    // The host executor first (threads, or this MPI process), then each of
    // its ranks bound to a GPU.
    if (backend == Backend::gpu && (devices < 1 || devices > kMaxThreadRanks)) {
      error = fmt::format("the gpu backend runs 1 to {} ranks in one process, "
                          "got {}; use --backend gpu-mpi for more",
                          kMaxThreadRanks, devices);
      return nullptr;
    }
    std::unique_ptr<rt::Executor> host = createExecutor(
        backend == Backend::gpu ? Backend::threads : Backend::mpi, devices,
        error);
    if (!host)
      return nullptr;
    rt::GPUOptions options;
    options.tf32 = gpuTF32;
    std::unique_ptr<rt::GPUGroup> group =
        rt::GPUGroup::create(std::move(host), options, error);
    if (!group) {
      error = "the GPU backend cannot run here: " + error;
      return nullptr;
    }
    return group;
#else
    error = "this tp-mlir was built without the GPU backend (it needs the "
            "CUDA toolkit with cuBLASLt and NCCL at configure time; see "
            "TP_CUDA_ROOT)";
    return nullptr;
#endif
  }
  case Backend::evaluator:
    error = "the evaluator backend simulates its devices and has no executor";
    return nullptr;
  }
  error = "unknown backend";
  return nullptr;
}
