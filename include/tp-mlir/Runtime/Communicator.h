//===- Communicator.h - the tp runtime's collectives ------------*- C++ -*-===//
//
// One communicator interface for every backend (threads today; MPI and NCCL
// later), so that the same compiled SPMD code runs on each. Collectives act
// on row-major f32 tensors viewed around one dimension as
// [outer x extent x inner]; shards along that dimension follow the balanced
// rule of TPSharding.h.
//
// Every rank must make the same sequence of calls with compatible sizes. A
// mismatch, a rank that finishes while others wait, or a wait longer than
// the timeout is an error that names the rank and the op; the communicator
// then fails every later call at once instead of hanging.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_COMMUNICATOR_H
#define TP_MLIR_RUNTIME_COMMUNICATOR_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mlir::tp::rt {

/// Values match mlir::tp::ReductionKind.
enum class Reduction : int32_t { Sum = 0, Prod = 1, Max = 2, Min = 3 };

const char *stringifyReduction(Reduction op);

class Communicator {
public:
  virtual ~Communicator();

  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;

  /// in: [outer x extent x inner] (this rank's shard; extents may differ
  /// between ranks); out: [outer x sum of extents x inner], in rank order.
  virtual void allGather(const float *in, float *out, int64_t outer,
                         int64_t extent, int64_t inner) = 0;
  /// Elementwise reduction over all ranks of `count` elements; `in` may be
  /// `out`.
  virtual void allReduce(const float *in, float *out, int64_t count,
                         Reduction op) = 0;
  /// in: [outer x total x inner] on every rank; out: this rank's balanced
  /// share of the reduction along the middle dimension.
  virtual void reduceScatter(const float *in, float *out, int64_t outer,
                             int64_t total, int64_t inner, Reduction op) = 0;
  /// Copies `count` elements of `root`'s buffer into every rank's buffer.
  virtual void broadcast(float *buffer, int64_t count, int64_t root) = 0;
  virtual void barrier() = 0;

  /// Tells the others that this rank makes no more calls, so that a rank
  /// still waiting for it fails at once instead of timing out.
  virtual void finish() = 0;

  /// Whether a collective failed; the first error, naming rank and op.
  virtual bool failed() const = 0;
  virtual std::string error() const = 0;
};

/// D ranks as D threads of one process, with shared-memory collectives.
class ThreadGroup {
public:
  /// `timeout` bounds every wait for the other ranks.
  static std::unique_ptr<ThreadGroup>
  create(int64_t size, std::chrono::milliseconds timeout = defaultTimeout());
  virtual ~ThreadGroup();

  /// The communicator of `rank`, owned by the group; one thread each.
  virtual Communicator &communicator(int64_t rank) = 0;

  /// Runs `body` on `size` threads, one per rank, and joins them. Calls
  /// finish() on each rank's communicator when its body returns.
  void run(const std::function<void(Communicator &)> &body);

  /// 60 s, or TP_RT_TIMEOUT_MS from the environment.
  static std::chrono::milliseconds defaultTimeout();
};

/// The communicator the calling thread's compiled code uses (null when none
/// is set). Generated code reaches its communicator through this.
Communicator *currentCommunicator();
void setCurrentCommunicator(Communicator *comm);

} // namespace mlir::tp::rt

#endif // TP_MLIR_RUNTIME_COMMUNICATOR_H
