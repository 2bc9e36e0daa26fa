//===- Communicator.h - the tp runtime's collectives and executors -*- C++
//-*-===//
//
// One communicator interface for every backend (threads, MPI; NCCL later),
// so that the same compiled SPMD code runs on each, and one executor
// interface for what starts the ranks. Collectives act on row-major f32
// tensors viewed around one dimension as [outer x extent x inner]; shards
// along that dimension follow the balanced rule of BalancedSplit.h.
//
// Every rank must make the same sequence of calls with compatible sizes. A
// mismatch, a rank that finishes or fails while others wait, or a wait longer
// than the timeout is an error that names the rank and the op; the
// communicator then fails every later call at once instead of hanging.
//
// This library (TPMLIRRuntimeCore) holds the interfaces and the C ABI that
// compiled code calls; the backends are libraries of their own
// (TPMLIRRuntimeThreads, TPMLIRRuntimeMPI), so that an application links
// only the one it uses.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_COMMUNICATOR_H
#define TP_MLIR_RUNTIME_COMMUNICATOR_H

#include "tp-mlir/Support/Limits.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir::tp::rt {

/// Values match mlir::tp::ReductionKind.
enum class Reduction : int32_t { Sum = 0, Prod = 1, Max = 2, Min = 3 };

const char *stringifyReduction(Reduction op);

/// A tensor viewed around two dimensions as [outer x first x middle x second
/// x inner], with the full extents of `first` and `second`, for all_to_all.
struct AllToAllShape {
  int64_t outer = 1, first = 1, middle = 1, second = 1, inner = 1;
  /// true: the input is this rank's shard along `first` and the output its
  /// shard along `second`; false: the other way round.
  bool concatFirst = true;
};

class Communicator {
public:
  virtual ~Communicator();

  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;

  /// in: [outer x extent x inner] (this rank's shard; extents may differ
  /// between ranks); out: [outer x sum of extents x inner], in rank order.
  /// `total`, when not -1, is the extent this rank's `out` holds: every rank
  /// must give the same, and the extents must add up to it, or the call
  /// fails on every rank before any data moves (ranks that disagreed on a
  /// batch would otherwise write past a smaller output).
  virtual void allGather(const float *in, float *out, int64_t outer,
                         int64_t extent, int64_t inner, int64_t total = -1) = 0;
  /// Elementwise reduction over all ranks of `count` elements; `in` may be
  /// `out`.
  virtual void allReduce(const float *in, float *out, int64_t count,
                         Reduction op) = 0;
  /// in: [outer x total x inner] on every rank; out: this rank's balanced
  /// share of the reduction along the middle dimension.
  virtual void reduceScatter(const float *in, float *out, int64_t outer,
                             int64_t total, int64_t inner, Reduction op) = 0;
  /// in: this rank's shard of the tensor along the concat dimension; out:
  /// its shard along the other one (`shape` says which is which). Every rank
  /// gives the same shape.
  virtual void allToAll(const float *in, float *out,
                        const AllToAllShape &shape) = 0;
  /// Copies `count` elements of `root`'s buffer into every rank's buffer.
  virtual void broadcast(float *buffer, int64_t count, int64_t root) = 0;
  virtual void barrier() = 0;
  /// A barrier without the time limit, for hosts whose ranks do uneven work
  /// between collectives (loading weights, computing a reference). A rank
  /// that finishes or fails still releases it at once.
  virtual void synchronize() = 0;

  /// Tells the others that this rank makes no more calls, so that a rank
  /// still waiting for it fails at once instead of timing out.
  virtual void finish() = 0;
  /// Tells the others that this rank failed (`message` says why) and makes
  /// no more calls; a rank waiting for it fails at once with an error that
  /// names this rank and quotes the message.
  virtual void abort(const std::string &message) = 0;

  /// Whether a collective failed; the first error, naming rank and op.
  virtual bool failed() const = 0;
  virtual std::string error() const = 0;

  /// Asynchronous collectives: a start call begins allReduce or allGather
  /// and returns a handle (0 after an error); wait(handle) completes it. The
  /// buffers stay untouched by the caller in between, and alive until the
  /// wait, or until abort() returns: other ranks may read them until then.
  /// A rank that returns with calls in flight has freed buffers that others
  /// may still read; finish() reports it. Every rank waits in
  /// the order it started, with at most kMaxInFlight in flight. This
  /// default completes the collective at the start (a backend without
  /// asynchronous progress: MPI); the threads backend overrides it.
  static constexpr int64_t kMaxInFlight = kMaxCollectivesInFlight;
  virtual int64_t startAllReduce(const float *in, float *out, int64_t count,
                                 Reduction op);
  virtual int64_t startAllGather(const float *in, float *out, int64_t outer,
                                 int64_t extent, int64_t inner,
                                 int64_t total = -1);
  virtual void wait(int64_t handle);

protected:
  /// Records a new handle in start order; 0 (after abort()) when
  /// kMaxInFlight are already in flight.
  int64_t pushStarted();
  /// Takes `handle` off the started list; false (after abort()) when it is
  /// not the oldest one in flight.
  bool popStarted(int64_t handle);
  /// The handles in flight, oldest first.
  const std::vector<int64_t> &inFlight() const { return started; }
  /// Forgets the handles in flight (after an error, once they are settled).
  void forgetStarted() { started.clear(); }
  /// Forgets the started handles (a new run).
  void resetStarted() {
    started.clear();
    lastHandle = 0;
  }

private:
  std::vector<int64_t> started;
  int64_t lastHandle = 0;
};

/// What starts the ranks of a job: D threads of this process
/// (ThreadGroup.h), or this process as one of D MPI processes (MPIGroup.h).
class Executor {
public:
  virtual ~Executor();

  /// The number of ranks of the job.
  virtual int64_t size() const = 0;
  /// The ranks that run in this process, in increasing order.
  virtual std::vector<int64_t> localRanks() const = 0;
  /// "threads" or "MPI", for messages.
  virtual const char *name() const = 0;
  /// Where the ranks run, for reports: "2 threads", "4 MPI processes on 2
  /// hosts (a: ranks 0, 2; b: ranks 1, 3)".
  virtual std::string describe() const = 0;

  /// Runs `body` once for every local rank (on a thread of its own, or on
  /// the calling thread when there is one local rank), with that rank's
  /// communicator current on the thread, calls finish() on it when the body
  /// returns, and returns when every local rank is done. Each run starts
  /// afresh: call numbers and errors of an earlier run are forgotten.
  /// Returns false when a collective failed; error() says why.
  virtual bool run(const std::function<void(Communicator &)> &body) = 0;
  /// The first error of the last run as this process saw it; empty if none.
  virtual std::string error() const = 0;

  /// The bytes each process keeps resident to move data between ranks,
  /// beside the model's tensors (the MPI library's shared-memory segments),
  /// and what they are: what a memory limit per device must leave for
  /// them. 0 and "" where there are none (threads share the tensors).
  virtual uint64_t transportBytes() const { return 0; }
  virtual std::string describeTransport() const { return ""; }

  /// Tells every other rank that this process failed before or outside a
  /// run (`message` says why), so that none waits for it.
  virtual void abort(const std::string &message) = 0;
};

/// The bound on every wait for other ranks: 60 s, or TP_RT_TIMEOUT_MS from
/// the environment when that is valid.
std::chrono::milliseconds defaultTimeout();

/// "" when TP_RT_TIMEOUT_MS is unset or a whole number of milliseconds from
/// 1 to kMaxTimeoutMs (7 days); otherwise the error, quoting the value and
/// the range. Hosts call it before starting ranks, so that a bad value is an
/// error rather than a timeout that ends a valid run at once or never.
std::string checkTimeoutEnvironment();

/// What the C entry points that run a body on ranks (tp_rt_run_on_threads
/// and the others) check before they start any: the body (null is an
/// error), the number of ranks (1 to `maxRanks`; `backend` names the ranks
/// in the message, "threads" say) and checkTimeoutEnvironment(); "" when
/// all are fine.
std::string checkRunRequest(bool hasBody, int64_t numRanks, int64_t maxRanks,
                            const char *backend);

/// How those C entry points return an error: `message` into `error` (at
/// most `errorSize` bytes, cut and terminated), or to stderr when the
/// caller passed no buffer, so that the reason is not lost. Returns 1.
int reportRunError(char *error, size_t errorSize, const std::string &message);

/// The communicator the calling thread's compiled code uses (null when none
/// is set). Generated code reaches its communicator through this; executors
/// set it for each rank's thread.
Communicator *currentCommunicator();
void setCurrentCommunicator(Communicator *comm);

} // namespace mlir::tp::rt

#endif // TP_MLIR_RUNTIME_COMMUNICATOR_H
