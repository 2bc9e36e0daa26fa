//===- ThreadGroup.h - D ranks as D threads of one process ------*- C++ -*-===//
//
// The threads backend: shared-memory collectives between the threads of one
// process. Needs nothing installed; the embedded default of tp-run.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_THREADGROUP_H
#define TP_MLIR_RUNTIME_THREADGROUP_H

#include "tp-mlir/Runtime/Communicator.h"

#include <chrono>
#include <cstddef>

namespace mlir::tp::rt {

class ThreadGroup : public Executor {
public:
  /// How long a rank that waits for the others polls before it sleeps: a
  /// wake-up through the kernel costs tens of microseconds, more than a
  /// small collective. Spinning happens only when every rank can have a
  /// core of its own.
  static constexpr std::chrono::microseconds kDefaultSpin{50};

  /// `timeout` bounds every wait for the other ranks; `spin` is the polling
  /// before each wait sleeps (0: sleep at once).
  static std::unique_ptr<ThreadGroup>
  create(int64_t size, std::chrono::milliseconds timeout = defaultTimeout(),
         std::chrono::microseconds spin = kDefaultSpin);

  /// The communicator of `rank`, owned by the group; one thread each.
  virtual Communicator &communicator(int64_t rank) = 0;
};

} // namespace mlir::tp::rt

extern "C" {
/// For C hosts of ahead-of-time compiled models: runs `body(rank, user)` on
/// `numRanks` threads, each with its communicator set, and joins them.
/// Returns 0, or 1 after writing the runtime's error (a failed collective,
/// naming the rank and the op) into `error` (at most `errorSize` bytes).
int tp_rt_run_on_threads(int64_t numRanks,
                         void (*body)(int64_t rank, void *user), void *user,
                         char *error, size_t errorSize);
}

#endif // TP_MLIR_RUNTIME_THREADGROUP_H
