//===- tp-gpu-probe.cu - is there a GPU that runs kernels? ----------------===//
//
// Runs a kernel on every CUDA device and checks what it wrote. Exits 0 and
// prints each device when all of them work; exits 1 with the reason when
// none is found or one fails. The test suite enables its GPU tests (the
// `cuda-device` lit feature) on this answer, not on the presence of a
// driver.
//
//===----------------------------------------------------------------------===//

#include <cuda_runtime.h>

#include <cstdio>

namespace {
__global__ void fill(int *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    out[i] = 3 * i + 1;
}

int fail(const char *what, cudaError_t status) {
  std::printf("no usable CUDA device: %s: %s\n", what,
              cudaGetErrorString(status));
  return 1;
}
} // namespace

int main() {
  int count = 0;
  if (cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess)
    return fail("cudaGetDeviceCount", status);
  if (count == 0) {
    std::printf("no usable CUDA device: none found\n");
    return 1;
  }
  constexpr int n = 1000;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp props;
    if (cudaError_t s = cudaSetDevice(d); s != cudaSuccess)
      return fail("cudaSetDevice", s);
    if (cudaError_t s = cudaGetDeviceProperties(&props, d); s != cudaSuccess)
      return fail("cudaGetDeviceProperties", s);
    int *device = nullptr;
    int host[n] = {0};
    if (cudaError_t s = cudaMalloc(&device, sizeof(host)); s != cudaSuccess)
      return fail("cudaMalloc", s);
    fill<<<(n + 255) / 256, 256>>>(device, n);
    if (cudaError_t s = cudaGetLastError(); s != cudaSuccess)
      return fail("launching a kernel", s);
    if (cudaError_t s =
            cudaMemcpy(host, device, sizeof(host), cudaMemcpyDeviceToHost);
        s != cudaSuccess)
      return fail("cudaMemcpy", s);
    cudaFree(device);
    for (int i = 0; i < n; ++i)
      if (host[i] != 3 * i + 1) {
        std::printf("no usable CUDA device: GPU %d computed %d at %d, "
                    "expected %d\n",
                    d, host[i], i, 3 * i + 1);
        return 1;
      }
    std::printf("GPU %d: %s, sm_%d%d, %.1f GiB: ran a kernel\n", d, props.name,
                props.major, props.minor,
                props.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));
  }
  return 0;
}
