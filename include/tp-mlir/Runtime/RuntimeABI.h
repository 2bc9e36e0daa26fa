//===- RuntimeABI.h - what compiled tp code calls ---------------*- C++ -*-===//
//
// The C functions that the CPU lowering of partitioned tp IR calls. Memrefs
// cross this boundary as MLIR's C-interface descriptors: collectives take
// unranked memrefs (any rank, any layout), the matmul a strided 2-D memref.
// Each thread's calls go to its current communicator (Communicator.h).
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_RUNTIMEABI_H
#define TP_MLIR_RUNTIME_RUNTIMEABI_H

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

extern "C" {
/// This thread's rank.
int64_t tp_rt_rank();

void _mlir_ciface_tp_rt_all_gather(UnrankedMemRefType<float> *in,
                                   UnrankedMemRefType<float> *out, int64_t dim);
void _mlir_ciface_tp_rt_all_reduce(UnrankedMemRefType<float> *in,
                                   UnrankedMemRefType<float> *out,
                                   int32_t reduction);
void _mlir_ciface_tp_rt_reduce_scatter(UnrankedMemRefType<float> *in,
                                       UnrankedMemRefType<float> *out,
                                       int64_t dim, int32_t reduction);

/// y += x w^T (sgemm from the BLAS library).
void _mlir_ciface_tp_rt_matmul_nt(StridedMemRefType<float, 2> *x,
                                  StridedMemRefType<float, 2> *w,
                                  StridedMemRefType<float, 2> *y);

/// Brackets region `id` of the profile (see below).
void tp_rt_timer_begin(int64_t id);
void tp_rt_timer_end(int64_t id);

/// For C hosts of ahead-of-time compiled models: runs `body(rank, user)` on
/// `numRanks` threads, each with its communicator set, and joins them.
/// Returns 0, or 1 after writing the runtime's error (a failed collective,
/// naming the rank and the op) into `error` (at most `errorSize` bytes).
int tp_rt_run_on_threads(int64_t numRanks,
                         void (*body)(int64_t rank, void *user), void *user,
                         char *error, size_t errorSize);
}

namespace mlir::tp::rt {

/// Accumulated seconds per profiled region of one rank. Compiled code built
/// with profiling numbers its regions 0..N-1; the host names them.
struct Profile {
  std::vector<double> seconds;
  std::vector<int64_t> counts;
  void reset() {
    seconds.assign(seconds.size(), 0.0);
    counts.assign(counts.size(), 0);
  }
};

/// The profile the calling thread's timers write to (null: timers do
/// nothing).
void setCurrentProfile(Profile *profile);

/// Every symbol above, for registering with a JIT: (name, address).
std::vector<std::pair<std::string, void *>> getRuntimeSymbols();

} // namespace mlir::tp::rt

#endif // TP_MLIR_RUNTIME_RUNTIMEABI_H
