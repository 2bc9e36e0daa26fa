//===- GPUKernels.h - the GPU runtime's own kernels -------------*- C++ -*-===//
//
// Private to the GPU runtime: the reductions of the single-device
// communicator, compiled by nvcc (GPUKernels.cu). Plain data only, so that
// the host files, whatever compiler builds them, and nvcc agree on it.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_RUNTIME_GPU_GPUKERNELS_H
#define TP_MLIR_LIB_RUNTIME_GPU_GPUKERNELS_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace mlir::tp::rt {

/// Reductions over the ranks' device buffers, in rank order, as the threads
/// backend computes them (GPUKernels.cu). At most kMaxSharedRanks ranks.
inline constexpr int kMaxSharedRanks = 16;
struct SharedBuffers {
  const float *in[kMaxSharedRanks];
  float *out[kMaxSharedRanks];
};
/// out[q][i] = in[0][i] op ... op in[D-1][i] for i in [begin, end), for
/// every rank q: one rank's share of an all-reduce.
cudaError_t launchReduceShare(const SharedBuffers &buffers, int ranks,
                              int64_t begin, int64_t end, int32_t op,
                              cudaStream_t stream);
/// out[(o, j, i)] = sum over ranks of in[q][(o, offset + j, i)], for
/// o < outer, j < extent, i < inner, in a [outer x total x inner] layout:
/// one rank's block of a reduce-scatter.
cudaError_t launchReduceBlock(const SharedBuffers &buffers, int ranks,
                              float *out, int64_t outer, int64_t total,
                              int64_t offset, int64_t extent, int64_t inner,
                              int32_t op, cudaStream_t stream);

} // namespace mlir::tp::rt

#endif // TP_MLIR_LIB_RUNTIME_GPU_GPUKERNELS_H
