//===- GPUKernels.cu - reductions between ranks that share a GPU ----------===//
//
// The single-device communicator's arithmetic: each rank reduces its share
// over every rank's buffer, left to right in rank order (the order of the
// threads backend), and writes the result where the collective says.
//
//===----------------------------------------------------------------------===//

#include "GPUKernels.h"

#include <cfloat>

using namespace mlir::tp::rt;

namespace {
// Values match mlir::tp::rt::Reduction.
__device__ float combine(int32_t op, float a, float b) {
  switch (op) {
  case 0:
    return a + b;
  case 1:
    return a * b;
  // As the host backends compute max and min (std::max / std::min): a NaN
  // on the left is kept, so results match them bit for bit.
  case 2:
    return (a < b) ? b : a;
  default:
    return (b < a) ? b : a;
  }
}

__global__ void reduceShare(SharedBuffers buffers, int ranks, int64_t begin,
                            int64_t end, int32_t op) {
  for (int64_t i = begin + blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
       i < end; i += int64_t(gridDim.x) * blockDim.x) {
    float acc = buffers.in[0][i];
    for (int q = 1; q < ranks; ++q)
      acc = combine(op, acc, buffers.in[q][i]);
    for (int q = 0; q < ranks; ++q)
      buffers.out[q][i] = acc;
  }
}

__global__ void reduceBlock(SharedBuffers buffers, int ranks, float *out,
                            int64_t outer, int64_t total, int64_t offset,
                            int64_t extent, int64_t inner, int32_t op) {
  int64_t n = outer * extent * inner;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n;
       e += int64_t(gridDim.x) * blockDim.x) {
    int64_t i = e % inner, j = e / inner % extent, o = e / inner / extent;
    int64_t at = (o * total + offset + j) * inner + i;
    float acc = buffers.in[0][at];
    for (int q = 1; q < ranks; ++q)
      acc = combine(op, acc, buffers.in[q][at]);
    out[e] = acc;
  }
}

/// A grid that covers `n` elements with grid-stride loops.
unsigned blocksFor(int64_t n) {
  int64_t blocks = (n + 255) / 256;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1)
                                             : 4096);
}
} // namespace

cudaError_t mlir::tp::rt::launchReduceShare(const SharedBuffers &buffers,
                                            int ranks, int64_t begin,
                                            int64_t end, int32_t op,
                                            cudaStream_t stream) {
  if (end <= begin)
    return cudaSuccess;
  reduceShare<<<blocksFor(end - begin), 256, 0, stream>>>(buffers, ranks,
                                                           begin, end, op);
  return cudaGetLastError();
}

cudaError_t mlir::tp::rt::launchReduceBlock(const SharedBuffers &buffers,
                                            int ranks, float *out,
                                            int64_t outer, int64_t total,
                                            int64_t offset, int64_t extent,
                                            int64_t inner, int32_t op,
                                            cudaStream_t stream) {
  int64_t n = outer * extent * inner;
  if (n == 0)
    return cudaSuccess;
  reduceBlock<<<blocksFor(n), 256, 0, stream>>>(
      buffers, ranks, out, outer, total, offset, extent, inner, op);
  return cudaGetLastError();
}
