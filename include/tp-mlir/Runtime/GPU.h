//===- GPU.h - ranks on NVIDIA GPUs -----------------------------*- C++ -*-===//
//
// The GPU backend's runtime (TPMLIRRuntimeGPU, built when the CUDA toolkit
// is found). A GPUGroup binds every rank of a host executor (D threads of
// this process, or this process as one MPI rank) to a GPU, with its own
// stream, cuBLASLt handle and workspace, and gives it a GPU communicator:
//
// - NCCL when every rank has a GPU of its own (threads on a machine with at
//   least D GPUs, or one MPI process per GPU, the NCCL id broadcast over
//   MPI);
// - the single-device communicator when the ranks are threads sharing one
//   GPU (NCCL refuses two ranks on a device): device-to-device copies and
//   reduction kernels between the ranks' buffers, each rank on its stream.
//
// Both check every call against the other ranks' over the host
// communicator first, so mismatches, finished or failed ranks and timeouts
// are reported as on the CPU backends. Collectives take device pointers.
//
// Compiled GPU code calls the C functions below: MLIR's mgpu* host entry
// points (this project's implementation; Debian ships no
// libmlir_cuda_runtime), the device allocator that memref.alloc lowers to,
// the cuBLASLt matmul, the collectives and the profile timers (CUDA events).
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_GPU_H
#define TP_MLIR_RUNTIME_GPU_H

#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Runtime/RuntimeABI.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::tp::rt {

struct GPUOptions {
  /// Let cuBLASLt use TF32 tensor cores for f32 matmuls (faster, about 10
  /// bits of mantissa); off by default, so results are FP32.
  bool tf32 = false;
};

class GPUGroup : public Executor {
public:
  /// Binds the ranks of `host` to GPUs (see the file comment). Null, with
  /// `error` set, when no GPU can be used: no driver, no device, or more
  /// ranks than GPUs where they cannot share one.
  static std::unique_ptr<GPUGroup> create(std::unique_ptr<Executor> host,
                                          const GPUOptions &options,
                                          std::string &error);

  /// The device of `rank` (a rank of this process).
  virtual int getDevice(int64_t rank) const = 0;

  // run() hands the body the host communicator (host buffers), and makes
  // the GPU communicator (device buffers) current for compiled code.
};

/// The number of CUDA devices, or -1 with `error` set (no driver, no
/// device, a runtime too new for the driver).
int getGPUCount(std::string &error);

/// Device memory of the calling thread's rank, on its device and stream:
/// a copy of `count` floats of host memory; null, with `error` set, when it
/// cannot be made.
float *copyToDevice(const float *host, int64_t count, std::string &error);
/// Copies a strided 2-D device view (rows x cols, row stride `ld` floats)
/// into `host` (rows x cols, packed) and waits for it; false, with `error`
/// set, on a CUDA error (including one left by an earlier kernel).
bool copyToHost(float *host, const float *device, int64_t rows, int64_t cols,
                int64_t ld, std::string &error);
/// Device memory of `bytes` bytes for the calling thread's rank, on its
/// stream; null, with `error` set, when it cannot be had.
void *allocateOnDevice(int64_t bytes, std::string &error);
/// Copies `bytes` bytes of host memory to `device` on the rank's stream
/// (the host memory may be reused when it returns; synchronizeRank waits
/// for the transfer).
bool copyBytesToDevice(void *device, const void *host, int64_t bytes,
                       std::string &error);
/// Waits for the calling rank's stream; false, with `error` set, when the
/// rank's work failed (a CUDA error of compiled code or of a collective, or
/// a module that did not load).
bool synchronizeRank(std::string &error);
/// Frees device memory from copyToDevice, allocateOnDevice or compiled
/// code: on the rank's stream in a GPU run, else at once.
void freeOnDevice(void *device);

/// Every symbol of the C functions below, for registering with a JIT.
std::vector<RuntimeSymbol> getGPURuntimeSymbols();

} // namespace mlir::tp::rt

extern "C" {
// MLIR's GPU host entry points, as gpu-to-llvm and the gpu.binary
// translation call them.
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);

/// memref.alloc and memref.dealloc of compiled GPU code (the generic
/// allocation functions of finalize-memref-to-llvm): device memory on the
/// rank's stream.
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/// y = epilogue(x w^T [+ b]) with cuBLASLt on the rank's stream; epilogue 0
/// none, 1 relu, 2 gelu (tanh approximation). FP32 compute.
void _mlir_ciface_tp_gpu_matmul_nt(StridedMemRefType<float, 2> *x,
                                   StridedMemRefType<float, 2> *w,
                                   StridedMemRefType<float, 2> *y,
                                   int32_t epilogue);
void _mlir_ciface_tp_gpu_matmul_nt_bias(StridedMemRefType<float, 2> *x,
                                        StridedMemRefType<float, 2> *w,
                                        StridedMemRefType<float, 1> *b,
                                        StridedMemRefType<float, 2> *y,
                                        int32_t epilogue);

/// The collectives of compiled GPU code, on device buffers.
void _mlir_ciface_tp_gpu_all_gather(UnrankedMemRefType<float> *in,
                                    UnrankedMemRefType<float> *out,
                                    int64_t dim);
void _mlir_ciface_tp_gpu_all_reduce(UnrankedMemRefType<float> *in,
                                    UnrankedMemRefType<float> *out,
                                    int32_t reduction);
void _mlir_ciface_tp_gpu_reduce_scatter(UnrankedMemRefType<float> *in,
                                        UnrankedMemRefType<float> *out,
                                        int64_t dim, int32_t reduction);

/// Profile regions timed with CUDA events on the rank's stream.
void tp_rt_gpu_timer_begin(int64_t id);
void tp_rt_gpu_timer_end(int64_t id);

/// For C hosts of ahead-of-time compiled GPU models: runs `body(rank,
/// user)` for `numRanks` ranks as threads on this machine's GPUs (as
/// GPUGroup binds them). The arguments the body passes must be device
/// memory (tp_rt_gpu_copy_to_device). Returns 0, or 1 with the error.
int tp_rt_run_on_gpus(int64_t numRanks, void (*body)(int64_t rank, void *user),
                      void *user, char *error, size_t errorSize);
/// Device copies for C hosts, on the calling rank's device: null or false on
/// failure.
float *tp_rt_gpu_copy_to_device(const float *host, int64_t count);
int tp_rt_gpu_copy_to_host(float *host, const float *device, int64_t count);
void tp_rt_gpu_free(void *device);
}

#endif // TP_MLIR_RUNTIME_GPU_H
