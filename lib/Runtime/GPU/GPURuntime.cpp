//===- GPURuntime.cpp - the host entry points of compiled GPU code --------===//
//
// MLIR's gpu-to-llvm and gpu.binary translation call mgpu* functions; this
// project provides them over the CUDA runtime API. Modules are loaded with
// cudaLibraryLoadData, which is context-independent: one load serves every
// device, so ranks on different GPUs of one process launch the same kernel
// handle. Every launch and allocation goes on the current rank's stream, in
// order, so no host synchronization is needed between them; a rank's
// errors are kept and reported after the run.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/GPU.h"

#include "GPUState.h"
#include "tp-mlir/Runtime/EntryPoints.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir::tp::rt;

namespace {
thread_local GPURank *current = nullptr;

/// Errors outside any rank (a module that does not load at start-up) are
/// kept here and reported by the first rank that runs.
std::mutex globalMutex;
std::string globalError;

std::string cudaMessage(cudaError_t status) {
  return std::string(cudaGetErrorName(status)) + ": " +
         cudaGetErrorString(status);
}

cudaStream_t currentStream() { return current ? current->stream : nullptr; }

/// The communicator of a collective of compiled GPU code. Calling one
/// outside a GPU run is a programming error of the host.
Communicator &requireGPUCommunicator(const char *op) {
  Communicator *comm = currentCommunicator();
  if (!comm || !current) {
    std::fprintf(stderr,
                 "tp runtime: %s of GPU code called outside a GPU run; run "
                 "compiled GPU code through a GPUGroup or tp_rt_run_on_gpus\n",
                 op);
    std::abort();
  }
  return *comm;
}

/// A device memref viewed as a contiguous [outer x extent x inner] buffer
/// around `dim`. Compiled code passes contiguous buffers (the GPU ABI asks
/// bufferization for identity layouts); anything else fails the run.
struct DeviceView {
  float *data = nullptr;
  int64_t outer = 1, extent = 1, inner = 1;
  bool contiguous = true;

  DeviceView(UnrankedMemRefType<float> *memref, int64_t dim) {
    DynamicMemRefType<float> ref(*memref);
    extent = ref.rank ? ref.sizes[dim] : 1;
    int64_t expected = 1;
    for (int64_t d = ref.rank - 1; d >= 0; --d) {
      if (d < dim)
        outer *= ref.sizes[d];
      if (d > dim)
        inner *= ref.sizes[d];
      if (ref.sizes[d] != 1 && ref.strides[d] != expected)
        contiguous = false;
      expected *= ref.sizes[d];
    }
    data = ref.data + ref.offset;
  }
};

/// Fails the run on every rank when an operand is strided.
bool requireContiguous(Communicator &comm, const char *op, const DeviceView &in,
                       const DeviceView &out) {
  if (in.contiguous && out.contiguous)
    return true;
  comm.abort(describeRankError(
      op, "a strided device buffer was passed; GPU collectives take "
          "contiguous buffers (lower with tp-to-runtime{runtime=gpu})"));
  return false;
}
} // namespace

GPURank *mlir::tp::rt::currentGPURank() { return current; }
void mlir::tp::rt::setCurrentGPURank(GPURank *rank) { current = rank; }

std::string mlir::tp::rt::describeRankError(const char *what,
                                            const std::string &message) {
  Communicator *comm = currentCommunicator();
  std::string who = comm ? "rank " + std::to_string(comm->rank()) : "GPU";
  if (current)
    who += " (GPU " + std::to_string(current->device) + ")";
  return who + ": " + what + ": " + message;
}

/// Keeps the first error of the calling rank (or of the process, outside a
/// rank), which the host reports when the rank's work returns.
static void keepError(const std::string &message) {
  if (current) {
    if (current->error.empty())
      current->error = message;
  } else {
    std::lock_guard<std::mutex> lock(globalMutex);
    if (globalError.empty())
      globalError = message;
  }
}

bool mlir::tp::rt::checkCuda(cudaError_t status, const char *what) {
  if (status == cudaSuccess)
    return true;
  keepError(describeRankError(what, cudaMessage(status)));
  return false;
}

int mlir::tp::rt::getGPUCount(std::string &error) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    error = "no usable CUDA device: " + cudaMessage(status);
    return -1;
  }
  if (count == 0) {
    error = "no CUDA device on this machine";
    return -1;
  }
  return count;
}

float *mlir::tp::rt::copyToDevice(const float *host, int64_t count,
                                  std::string &error) {
  void *device = nullptr;
  size_t bytes = sizeof(float) * static_cast<size_t>(count > 0 ? count : 1);
  cudaError_t status = cudaMallocAsync(&device, bytes, currentStream());
  if (status == cudaSuccess && count > 0)
    status = cudaMemcpyAsync(device, host, sizeof(float) * count,
                             cudaMemcpyHostToDevice, currentStream());
  if (status == cudaSuccess)
    status = cudaStreamSynchronize(currentStream());
  if (status != cudaSuccess) {
    error = describeRankError("copying an argument to the device",
                              cudaMessage(status));
    return nullptr;
  }
  return static_cast<float *>(device);
}

bool mlir::tp::rt::copyToHost(float *host, const float *device, int64_t rows,
                              int64_t cols, int64_t ld, std::string &error) {
  // An error of an earlier kernel surfaces here, where the host waits.
  cudaError_t status = cudaStreamSynchronize(currentStream());
  if (status == cudaSuccess && rows > 0 && cols > 0)
    status = cudaMemcpy2DAsync(host, sizeof(float) * cols, device,
                               sizeof(float) * ld, sizeof(float) * cols, rows,
                               cudaMemcpyDeviceToHost, currentStream());
  if (status == cudaSuccess)
    status = cudaStreamSynchronize(currentStream());
  if (status != cudaSuccess) {
    error = describeRankError("copying the result to the host",
                              cudaMessage(status));
    return false;
  }
  // The data is only as good as the run that made it.
  return synchronizeRank(error);
}

void *mlir::tp::rt::allocateOnDevice(int64_t bytes, std::string &error) {
  void *device = nullptr;
  cudaError_t status = cudaMallocAsync(
      &device, static_cast<size_t>(bytes > 0 ? bytes : 1), currentStream());
  if (status != cudaSuccess) {
    error = describeRankError("allocating device memory", cudaMessage(status));
    return nullptr;
  }
  return device;
}

bool mlir::tp::rt::copyBytesToDevice(void *device, const void *host,
                                     int64_t bytes, std::string &error) {
  if (bytes <= 0)
    return true;
  // From pageable memory the call returns once the driver has staged the
  // source, which the caller may then release or reuse; the transfer itself
  // is ordered on the rank's stream (synchronizeRank waits for it).
  cudaError_t status = cudaMemcpyAsync(device, host, static_cast<size_t>(bytes),
                                       cudaMemcpyHostToDevice, currentStream());
  if (status != cudaSuccess) {
    error = describeRankError("copying to the device", cudaMessage(status));
    return false;
  }
  return true;
}

bool mlir::tp::rt::synchronizeRank(std::string &error) {
  cudaError_t status = cudaStreamSynchronize(currentStream());
  if (status != cudaSuccess) {
    error = describeRankError("running on the GPU", cudaMessage(status));
    return false;
  }
  if (current && !current->error.empty()) {
    error = current->error;
    return false;
  }
  if (Communicator *comm = currentCommunicator(); comm && comm->failed()) {
    error = comm->error();
    return false;
  }
  std::lock_guard<std::mutex> lock(globalMutex);
  if (!globalError.empty()) {
    error = globalError;
    return false;
  }
  return true;
}

void mlir::tp::rt::freeOnDevice(void *device) {
  if (!device)
    return;
  // Outside a run there is no stream to order the free on. cudaFree does
  // not wait for work on stream-ordered memory, so wait for the device
  // first (the rank's runs end synchronized; this is for C hosts).
  if (current) {
    checkCuda(cudaFreeAsync(device, current->stream), "freeing device memory");
  } else {
    checkCuda(cudaDeviceSynchronize(), "waiting for the device");
    checkCuda(cudaFree(device), "freeing device memory");
  }
}

extern "C" {
void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  cudaLibrary_t library = nullptr;
  if (!checkCuda(cudaLibraryLoadData(&library, data, nullptr, nullptr, 0,
                                     nullptr, nullptr, 0),
                 "loading the kernels (cudaLibraryLoadData)"))
    return nullptr;
  return library;
}

void mgpuModuleUnload(void *module) {
  if (module)
    cudaLibraryUnload(static_cast<cudaLibrary_t>(module));
}

// gpu-module-to-binary's format=isa embeds PTX, which cudaLibraryLoadData
// compiles for the device (NUL-terminated text: no size needed).
void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel;
  return mgpuModuleLoad(data, 0);
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module) {
    checkCuda(cudaErrorInvalidResourceHandle, "finding a kernel of a module "
                                              "that did not load");
    return nullptr;
  }
  cudaKernel_t kernel = nullptr;
  if (!checkCuda(cudaLibraryGetKernel(&kernel,
                                      static_cast<cudaLibrary_t>(module), name),
                 "finding a kernel"))
    return nullptr;
  return kernel;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  (void)extra;
  (void)paramsCount;
  if (!function)
    return; // the module did not load; its error is kept
  // A rank that holds none of a layer narrower than D launches over an empty
  // range: a grid of no blocks, which CUDA rejects, and no work to do.
  if (gridX == 0 || gridY == 0 || gridZ == 0)
    return;
  // dim3 holds unsigned ints: a grid of 2^32 + 1 blocks (one per row of a
  // batch that large) would launch 1 and leave the rest of the result
  // unwritten. CUDA's own limits are tighter; a grid or block beyond them
  // is an error of the launch, before any narrowing.
  constexpr intptr_t kMaxGridX = (intptr_t(1) << 31) - 1, kMaxGridYZ = 65535,
                     kMaxBlock = 1024;
  if (gridX < 0 || gridY < 0 || gridZ < 0 || gridX > kMaxGridX ||
      gridY > kMaxGridYZ || gridZ > kMaxGridYZ || blockX < 1 || blockY < 1 ||
      blockZ < 1 || blockX > kMaxBlock || blockY > kMaxBlock ||
      blockZ > kMaxBlock || blockX * blockY * blockZ > kMaxBlock) {
    keepError(describeRankError(
        "launching a kernel",
        "a grid of (" + std::to_string(gridX) + ", " + std::to_string(gridY) +
            ", " + std::to_string(gridZ) + ") blocks of (" +
            std::to_string(blockX) + ", " + std::to_string(blockY) + ", " +
            std::to_string(blockZ) +
            ") threads is beyond CUDA's limits (2^31 - 1 blocks in x, "
            "65535 in y and z, 1024 threads a block); split the batch"));
    return;
  }
  dim3 grid(gridX, gridY, gridZ), block(blockX, blockY, blockZ);
  checkCuda(cudaLaunchKernel(function, grid, block, params, smem,
                             static_cast<cudaStream_t>(stream)),
            "launching a kernel");
}

// Compiled code makes a stream per launch and waits for it; here that is the
// rank's one stream, on which everything is ordered already, so there is
// nothing to make, wait for or destroy.
void *mgpuStreamCreate() { return currentStream(); }
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *) {}

void *_mlir_memref_to_llvm_alloc(size_t size) {
  void *ptr = nullptr;
  if (!checkCuda(cudaMallocAsync(&ptr, size ? size : 1, currentStream()),
                 "allocating device memory"))
    return nullptr;
  return ptr;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // cudaMalloc aligns to at least 256 bytes.
  (void)alignment;
  return _mlir_memref_to_llvm_alloc(size);
}

void _mlir_memref_to_llvm_free(void *ptr) { mlir::tp::rt::freeOnDevice(ptr); }

void _mlir_ciface_tp_gpu_all_gather(UnrankedMemRefType<float> *in,
                                    UnrankedMemRefType<float> *out,
                                    int64_t dim) {
  Communicator &comm = requireGPUCommunicator("tp.all_gather");
  DeviceView src(in, dim), dst(out, dim);
  if (requireContiguous(comm, "tp.all_gather", src, dst))
    comm.allGather(src.data, dst.data, src.outer, src.extent, src.inner,
                   dst.extent);
}

void _mlir_ciface_tp_gpu_all_reduce(UnrankedMemRefType<float> *in,
                                    UnrankedMemRefType<float> *out,
                                    int32_t reduction) {
  Communicator &comm = requireGPUCommunicator("tp.all_reduce");
  DeviceView src(in, 0), dst(out, 0);
  if (requireContiguous(comm, "tp.all_reduce", src, dst))
    comm.allReduce(src.data, dst.data, src.outer * src.extent * src.inner,
                   static_cast<Reduction>(reduction));
}

void _mlir_ciface_tp_gpu_reduce_scatter(UnrankedMemRefType<float> *in,
                                        UnrankedMemRefType<float> *out,
                                        int64_t dim, int32_t reduction) {
  Communicator &comm = requireGPUCommunicator("tp.reduce_scatter");
  DeviceView src(in, dim), dst(out, dim);
  if (requireContiguous(comm, "tp.reduce_scatter", src, dst))
    comm.reduceScatter(src.data, dst.data, src.outer, src.extent, src.inner,
                       static_cast<Reduction>(reduction));
}

void tp_rt_gpu_timer_begin(int64_t id) {
  if (!current || id < 0)
    return;
  if (static_cast<int64_t>(current->timers.size()) <= id)
    current->timers.resize(id + 1, {nullptr, nullptr});
  auto &[begin, end] = current->timers[id];
  if (!begin) {
    checkCuda(cudaEventCreate(&begin), "making a timer event");
    checkCuda(cudaEventCreate(&end), "making a timer event");
  }
  checkCuda(cudaEventRecord(begin, current->stream), "starting a timer");
}

void tp_rt_gpu_timer_end(int64_t id) {
  if (!current || id < 0 || static_cast<int64_t>(current->timers.size()) <= id)
    return;
  auto &[begin, end] = current->timers[id];
  checkCuda(cudaEventRecord(end, current->stream), "stopping a timer");
  checkCuda(cudaEventSynchronize(end), "waiting for a timer");
  float ms = 0;
  if (checkCuda(cudaEventElapsedTime(&ms, begin, end), "reading a timer")) {
    // The host timers' profile, in seconds, as the report expects.
    tp_rt_timer_add(id, ms / 1e3);
  }
}

float *tp_rt_gpu_copy_to_device(const float *host, int64_t count) {
  std::string error;
  float *device = mlir::tp::rt::copyToDevice(host, count, error);
  if (!device)
    std::fprintf(stderr, "tp runtime: %s\n", error.c_str());
  return device;
}

int tp_rt_gpu_copy_to_host(float *host, const float *device, int64_t count) {
  std::string error;
  if (mlir::tp::rt::copyToHost(host, device, 1, count, count, error))
    return 1;
  std::fprintf(stderr, "tp runtime: %s\n", error.c_str());
  return 0;
}

void tp_rt_gpu_free(void *device) { mlir::tp::rt::freeOnDevice(device); }
}

std::vector<RuntimeSymbol> mlir::tp::rt::getGPURuntimeSymbols() {
  std::string ciface = entry::kCInterfacePrefix;
  auto symbol = [](const char *name, auto *fn) {
    return RuntimeSymbol{name, reinterpret_cast<void *>(fn)};
  };
  return {
      symbol("mgpuModuleLoad", &mgpuModuleLoad),
      symbol("mgpuModuleLoadJIT", &mgpuModuleLoadJIT),
      symbol("mgpuModuleUnload", &mgpuModuleUnload),
      symbol("mgpuModuleGetFunction", &mgpuModuleGetFunction),
      symbol("mgpuLaunchKernel", &mgpuLaunchKernel),
      symbol("mgpuStreamCreate", &mgpuStreamCreate),
      symbol("mgpuStreamDestroy", &mgpuStreamDestroy),
      symbol("mgpuStreamSynchronize", &mgpuStreamSynchronize),
      symbol("_mlir_memref_to_llvm_alloc", &_mlir_memref_to_llvm_alloc),
      symbol("_mlir_memref_to_llvm_aligned_alloc",
             &_mlir_memref_to_llvm_aligned_alloc),
      symbol("_mlir_memref_to_llvm_free", &_mlir_memref_to_llvm_free),
      {ciface + entry::kGPUMatmulNT,
       reinterpret_cast<void *>(&_mlir_ciface_tp_gpu_matmul_nt)},
      {ciface + entry::kGPUMatmulNTBias,
       reinterpret_cast<void *>(&_mlir_ciface_tp_gpu_matmul_nt_bias)},
      {ciface + entry::kGPUAllGather,
       reinterpret_cast<void *>(&_mlir_ciface_tp_gpu_all_gather)},
      {ciface + entry::kGPUAllReduce,
       reinterpret_cast<void *>(&_mlir_ciface_tp_gpu_all_reduce)},
      {ciface + entry::kGPUReduceScatter,
       reinterpret_cast<void *>(&_mlir_ciface_tp_gpu_reduce_scatter)},
      symbol(entry::kGPUTimerBegin, &tp_rt_gpu_timer_begin),
      symbol(entry::kGPUTimerEnd, &tp_rt_gpu_timer_end),
  };
}
