//===- RuntimeABI.h - what compiled tp code calls ---------------*- C++ -*-===//
//
// The C functions that the lowering of partitioned tp IR calls for ranks and
// collectives (names in EntryPoints.h). Memrefs cross this boundary as MLIR's
// C-interface descriptors: collectives take unranked memrefs (any rank, any
// layout). Each thread's calls go to its current communicator
// (Communicator.h), whichever backend made it, so one compiled object runs
// on threads and on MPI alike.
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
void _mlir_ciface_tp_rt_all_to_all(UnrankedMemRefType<float> *in,
                                   UnrankedMemRefType<float> *out,
                                   int64_t split, int64_t concat);

/// Asynchronous collectives (Communicator::startAllReduce and the rest):
/// each start returns a handle (0 when it failed) that tp_rt_wait, given
/// the same buffers, completes.
int64_t _mlir_ciface_tp_rt_all_reduce_start(UnrankedMemRefType<float> *in,
                                            UnrankedMemRefType<float> *out,
                                            int32_t reduction);
int64_t _mlir_ciface_tp_rt_all_gather_start(UnrankedMemRefType<float> *in,
                                            UnrankedMemRefType<float> *out,
                                            int64_t dim);
void _mlir_ciface_tp_rt_wait(int64_t handle, UnrankedMemRefType<float> *in,
                             UnrankedMemRefType<float> *out);

/// The prologue of an ahead-of-time compiled entry (EntryPoints.h's
/// kCheckEntry says what `spec` holds); `descriptors` points to the
/// result's descriptor, then to each argument's. On this rank every
/// descriptor must be there, with the sizes the entry was compiled for
/// (this rank's shard of each split argument; one batch throughout),
/// contiguous row-major strides and data, and the job must have the ranks
/// it was compiled for. Returns 1 if so; otherwise fails the job on every
/// rank with a message that names the argument, clears the result's
/// descriptor and returns 0 (the entry then returns at once). Outside a
/// job (no communicator) it prints the message and aborts, as a collective
/// would.
int32_t tp_rt_check_entry(const char *entry, const int64_t *spec,
                          const char *names, void **descriptors);

/// Brackets region `id` of the profile (see below).
void tp_rt_timer_begin(int64_t id);
void tp_rt_timer_end(int64_t id);
/// Adds `seconds` to region `id`: for timers measured another way (CUDA
/// events).
void tp_rt_timer_add(int64_t id, double seconds);

/// Has this process's C library allocator keep the memory that is freed
/// for the next allocation rather than give it back to the system: compiled
/// code allocates and frees its activations on every run, and otherwise
/// pays a page fault per 4 KiB of them on every run (glibc returns freed
/// blocks of 128 KiB and more). Every block comes from one arena (the main
/// heap, which any size fits), none is mapped on its own, and the heap is
/// never trimmed. It also asks for transparent huge pages on the heap's next
/// GiB (untouched until used), where the system gives them only to ranges
/// that ask. Process-wide, so the tools call it at start, and a host
/// application decides for itself. Returns 1 when applied, 0 where the C
/// library has no such setting.
int tp_rt_retain_freed_memory(void);
/// Gives the heap's free memory back to the system (malloc_trim), and under
/// tp_rt_retain_freed_memory's policy advises its next GiB again.
void tp_rt_trim_heap(void);
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

/// A symbol for registering with a JIT: (name, address).
using RuntimeSymbol = std::pair<std::string, void *>;

/// Every symbol above.
std::vector<RuntimeSymbol> getRuntimeSymbols();

} // namespace mlir::tp::rt

#endif // TP_MLIR_RUNTIME_RUNTIMEABI_H
