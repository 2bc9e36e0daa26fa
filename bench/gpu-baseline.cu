//===- gpu-baseline.cu - the bench chains written directly on cuBLASLt ----===//
//
// The baseline of bench/gpu.sh: the chain that bench/gen_chain.py writes
// (LAYERS dense layers WIDTH -> WIDTH, activations cycling relu, gelu, silu,
// tanh, sigmoid, gelu_tanh, identity), run at BATCH on one GPU with the
// epilogues tp-mlir uses: relu and gelu_tanh fused with the bias into
// cuBLASLt's epilogue, the others as bias epilogue plus one elementwise
// kernel. FP32 compute. Prints the median milliseconds per forward pass
// over ITERATIONS (each followed by a stream synchronize, as tp-run does).
//
// usage: gpu-baseline LAYERS WIDTH BATCH [ITERATIONS]
//
//===----------------------------------------------------------------------===//

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define CHECK_CUDA(x)                                                          \
  do {                                                                         \
    cudaError_t s = (x);                                                       \
    if (s != cudaSuccess) {                                                    \
      std::fprintf(stderr, "gpu-baseline: %s: %s\n", #x,                       \
                   cudaGetErrorString(s));                                     \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)
#define CHECK_LT(x)                                                            \
  do {                                                                         \
    cublasStatus_t s = (x);                                                    \
    if (s != CUBLAS_STATUS_SUCCESS) {                                          \
      std::fprintf(stderr, "gpu-baseline: %s: %s\n", #x,                       \
                   cublasLtGetStatusName(s));                                  \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

namespace {
const char *kActivations[] = {"relu",    "gelu",      "silu",    "tanh",
                              "sigmoid", "gelu_tanh", "identity"};

__global__ void fill(float *p, int64_t n, float scale, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 2654435761u ^ seed * 40503u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    p[i] = scale * ((h & 0xffffff) / 8388608.0f - 1.0f);
  }
}

__global__ void activate(float *p, int64_t n, int kind) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    float v = p[i];
    switch (kind) {
    case 1: // gelu, exact
      v = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
      break;
    case 2: // silu
      v = v / (1.0f + expf(-v));
      break;
    case 3:
      v = tanhf(v);
      break;
    case 4:
      v = 1.0f / (1.0f + expf(-v));
      break;
    }
    p[i] = v;
  }
}

unsigned blocks(int64_t n) {
  return unsigned(std::min<int64_t>((n + 255) / 256, 65535));
}

struct Layer {
  cublasLtMatmulDesc_t desc;
  cublasLtMatmulAlgo_t algo;
  int kernel; // the activation kernel after the matmul, 0 for none
};
} // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: gpu-baseline LAYERS WIDTH BATCH [ITERATIONS]\n");
    return 2;
  }
  int layers = std::atoi(argv[1]);
  int64_t width = std::atoll(argv[2]), batch = std::atoll(argv[3]);
  int iterations = argc > 4 ? std::atoi(argv[4]) : 20;
  cudaStream_t stream;
  CHECK_CUDA(cudaStreamCreate(&stream));
  cublasLtHandle_t lt;
  CHECK_LT(cublasLtCreate(&lt));
  size_t workspaceSize = 32 << 20;
  void *workspace;
  CHECK_CUDA(cudaMalloc(&workspace, workspaceSize));

  std::vector<float *> w(layers), b(layers);
  for (int l = 0; l < layers; ++l) {
    CHECK_CUDA(cudaMalloc(&w[l], sizeof(float) * width * width));
    CHECK_CUDA(cudaMalloc(&b[l], sizeof(float) * width));
    float scale = 1.0f / std::sqrt(float(width));
    fill<<<blocks(width * width), 256, 0, stream>>>(w[l], width * width, scale, 2 * l);
    fill<<<blocks(width), 256, 0, stream>>>(b[l], width, scale, 2 * l + 1);
  }
  float *act[2];
  for (float *&a : act)
    CHECK_CUDA(cudaMalloc(&a, sizeof(float) * batch * width));
  fill<<<blocks(batch * width), 256, 0, stream>>>(act[0], batch * width, 1.0f, 99);

  // Row-major y (batch x width) = x (batch x width) w^T: column-major
  // D (width x batch) = w'^T (width x width) x' (width x batch).
  cublasLtMatrixLayout_t a, bl, c;
  CHECK_LT(cublasLtMatrixLayoutCreate(&a, CUDA_R_32F, width, width, width));
  CHECK_LT(cublasLtMatrixLayoutCreate(&bl, CUDA_R_32F, width, batch, width));
  CHECK_LT(cublasLtMatrixLayoutCreate(&c, CUDA_R_32F, width, batch, width));
  cublasLtMatmulPreference_t pref;
  CHECK_LT(cublasLtMatmulPreferenceCreate(&pref));
  CHECK_LT(cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspaceSize,
      sizeof(workspaceSize)));
  std::vector<Layer> plan(layers);
  for (int l = 0; l < layers; ++l) {
    std::string kind = kActivations[l % 7];
    cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    plan[l].kernel = 0;
    if (kind == "relu")
      epilogue = CUBLASLT_EPILOGUE_RELU_BIAS;
    else if (kind == "gelu_tanh")
      epilogue = CUBLASLT_EPILOGUE_GELU_BIAS;
    else if (kind == "gelu")
      plan[l].kernel = 1;
    else if (kind == "silu")
      plan[l].kernel = 2;
    else if (kind == "tanh")
      plan[l].kernel = 3;
    else if (kind == "sigmoid")
      plan[l].kernel = 4;
    CHECK_LT(cublasLtMatmulDescCreate(&plan[l].desc, CUBLAS_COMPUTE_32F,
                                      CUDA_R_32F));
    cublasOperation_t t = CUBLAS_OP_T;
    CHECK_LT(cublasLtMatmulDescSetAttribute(
        plan[l].desc, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof(t)));
    CHECK_LT(cublasLtMatmulDescSetAttribute(
        plan[l].desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
        sizeof(epilogue)));
    CHECK_LT(cublasLtMatmulDescSetAttribute(
        plan[l].desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &b[l], sizeof(b[l])));
    cublasLtMatmulHeuristicResult_t result;
    int found = 0;
    CHECK_LT(cublasLtMatmulAlgoGetHeuristic(lt, plan[l].desc, a, bl, c, c,
                                            pref, 1, &result, &found));
    if (!found) {
      std::fprintf(stderr, "gpu-baseline: cuBLASLt has no algorithm\n");
      return 1;
    }
    plan[l].algo = result.algo;
  }

  auto forward = [&] {
    float alpha = 1.0f, beta = 0.0f;
    for (int l = 0; l < layers; ++l) {
      float *x = act[l % 2], *y = act[(l + 1) % 2];
      CHECK_LT(cublasLtMatmul(lt, plan[l].desc, &alpha, w[l], a, x, bl, &beta,
                              y, c, y, c, &plan[l].algo, workspace,
                              workspaceSize, stream));
      if (plan[l].kernel)
        activate<<<blocks(batch * width), 256, 0, stream>>>(
            y, batch * width, plan[l].kernel);
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
  };
  for (int i = 0; i < 3; ++i)
    forward();
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    forward();
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  double flops = 2.0 * layers * batch * width * width;
  double median = ms[ms.size() / 2];
  std::printf("cuBLASLt direct: %dx%lld batch %lld: %.3f ms per forward, "
              "%.1f TFLOP/s\n",
              layers, (long long)width, (long long)batch, median,
              flops / median / 1e9);
  return 0;
}
