//===- MPIGroup.cpp - this process as one rank of an MPI job --------------===//
//
// Two communicators are duplicated from MPI_COMM_WORLD: `data` carries the
// collectives, `control` the headers and notices. Every rank keeps one
// receive posted on `control` for each peer; MPI delivers the messages of
// one sender in the order they were sent, so the next message from peer q is
// always q's next header, or its finish or abort notice.
//
// A collective sends this rank's header to every peer and waits, with a
// deadline, until it holds every peer's header for the same call. All ranks
// then hold the same headers, so all reach the same verdict: each reports
// the same mismatch, or all move the data with MPI's collective, whose
// sizes (uneven extents included) come from the headers.
//
// Messages carry the run's epoch, so that a header or notice of an earlier
// run that nobody waited for is recognized and skipped. An abort sent
// between runs carries the epoch of the run to come, which is the one the
// others are in or will enter.
//
// All-reduce, reduce-scatter and all-to-all move their data in pieces of
// at most `stageElements` per call (a row of the tensor where one is
// larger), so that neither this file's packing nor the MPI library's own
// temporaries (Open MPI's reduce-scatter holds one and a half times its
// input) grow with the tensor: a rank's memory is its model's tensors, as
// the planner counts them, plus a bounded stage.
//
// A timeout is different from the other errors: the late rank may still
// arrive, find every header, and enter the data transfer, where nothing could
// release it. So a timeout prints its error and ends the job with MPI_Abort.
// Inside the transfer, MPI's collective waits for every peer with no limit;
// a watchdog thread ends the process if the transfer outlives the timeout
// (plus time for its bytes on a slow link), and mpirun then ends the job.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/MPIGroup.h"

#include "../CollectiveCall.h"
#include "../TransferWatchdog.h"
#include "tp-mlir/Support/BalancedSplit.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <sched.h>
#include <thread>
#include <vector>

using namespace mlir::tp;
using namespace mlir::tp::rt;

namespace {
/// What travels on the control communicator.
enum class Kind : int64_t { Call = 0, Finish = 1, Abort = 2 };

struct Message {
  int64_t kind = 0;
  int64_t epoch = 0;
  int64_t op = 0;
  int64_t call = 0;
  int64_t a = 0, b = 0, c = 0, d = 0, e = 0;
  int64_t reduction = 0;
  char text[432] = {0}; // the reason of an abort

  CollectiveCall asCall() const {
    CollectiveCall result;
    result.op = static_cast<CollectiveOp>(op);
    result.call = static_cast<uint64_t>(call);
    result.a = a;
    result.b = b;
    result.c = c;
    result.d = d;
    result.e = e;
    result.reduction = static_cast<int32_t>(reduction);
    return result;
  }
};
static_assert(sizeof(Message) == 512, "control messages have a fixed size");

constexpr int kControlTag = 7;

std::string mpiErrorString(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, length);
}

MPI_Op toMPI(Reduction op) {
  switch (op) {
  case Reduction::Sum:
    return MPI_SUM;
  case Reduction::Prod:
    return MPI_PROD;
  case Reduction::Max:
    return MPI_MAX;
  case Reduction::Min:
    return MPI_MIN;
  }
  return MPI_SUM;
}

/// Spins briefly, then yields, then sleeps: waits cost little latency when
/// the others are close, and little CPU when ranks outnumber cores.
class Backoff {
public:
  void pause() {
    ++rounds;
    if (rounds < 200)
      return;
    if (rounds < 2000) {
      sched_yield();
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }

private:
  int64_t rounds = 0;
};

/// MPI is initialized once per process and finalized at exit, unless the
/// application manages it.
std::once_flag mpiInit;
std::string mpiInitError;

void finalizeAtExit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized)
    MPI_Finalize();
}

void initializeMPI() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized)
    return;
  // MPI_Init_thread waits for every process of the job: one that exited
  // before it (a program that is not tp code, or one that failed first)
  // left the others waiting forever. A watchdog ends the wait after the
  // collective timeout (at least 10 s: starting a job legitimately takes
  // longer than a collective), with the reason.
  std::mutex waiting;
  std::condition_variable returned;
  bool done = false;
  std::chrono::milliseconds limit = std::max<std::chrono::milliseconds>(
      defaultTimeout(), std::chrono::seconds(10));
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(waiting);
    if (returned.wait_for(lock, limit, [&] { return done; }))
      return;
    std::fprintf(stderr,
                 "tp runtime: MPI_Init_thread did not return in %lld ms "
                 "(TP_RT_TIMEOUT_MS, at least 10 s): a process of the MPI "
                 "job exited or failed before starting MPI; stopping\n",
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(1);
  });
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  {
    std::lock_guard<std::mutex> lock(waiting);
    done = true;
  }
  returned.notify_one();
  watchdog.join();
  if (rc != MPI_SUCCESS) {
    mpiInitError = "MPI_Init_thread failed: " + mpiErrorString(rc);
    return;
  }
  std::atexit(finalizeAtExit);
}

class MPICommunicator final : public Communicator {
public:
  MPICommunicator(std::chrono::milliseconds timeout) : timeout(timeout) {
    MPI_Comm_dup(MPI_COMM_WORLD, &data);
    MPI_Comm_dup(MPI_COMM_WORLD, &control);
    MPI_Comm_set_errhandler(data, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(control, MPI_ERRORS_RETURN);
    int r = 0, n = 0;
    MPI_Comm_rank(data, &r);
    MPI_Comm_size(data, &n);
    myRank = r;
    numRanks = n;
    if (const char *stop = std::getenv("TP_RT_STOP_IN_TRANSFER")) {
      long long stopRank = -1, stopCall = -1;
      int end = 0;
      if (std::sscanf(stop, "%lld:%lld%n", &stopRank, &stopCall, &end) == 2 &&
          stop[end] == '\0')
        stopInTransfer = {stopRank, stopCall};
    }
    // The watchdog's thread may not call MPI (MPI_THREAD_FUNNELED): it
    // exits, and mpirun ends the job for a process that exited without
    // MPI_Finalize.
    watchdog = std::make_unique<TransferWatchdog>(
        myRank, timeout,
        [](const std::string &why) {
          std::fprintf(stderr, "tp runtime: %s; ending the MPI job\n",
                       why.c_str());
          std::fflush(stderr);
          // As before MPI_Abort in enter(): mpirun tears the job down at
          // once when a process exits, and forwards output on its own
          // schedule; without the pause the line was lost under load.
          std::this_thread::sleep_for(std::chrono::seconds(1));
          std::_Exit(1);
        },
        /*holdAfterExpiry=*/true);
    inbox.resize(numRanks);
    receives.assign(numRanks, MPI_REQUEST_NULL);
    for (int64_t q = 0; q < numRanks; ++q)
      if (q != myRank)
        postReceive(q);
  }

  ~MPICommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
      return;
    for (MPI_Request &request : receives)
      if (request != MPI_REQUEST_NULL) {
        MPI_Cancel(&request);
        MPI_Wait(&request, MPI_STATUS_IGNORE);
      }
    completeSends();
    // A send still pending (a peer that stopped reading) keeps its buffer:
    // MPI may still read it.
    for (std::unique_ptr<Message> &m : outbox)
      (void)m.release();
    MPI_Comm_free(&data);
    MPI_Comm_free(&control);
  }

  int64_t rank() const override { return myRank; }
  int64_t size() const override { return numRanks; }
  void setStageElements(int64_t n) { stageElements = std::max<int64_t>(1, n); }

  void allGather(const float *in, float *out, int64_t outer, int64_t extent,
                 int64_t inner, int64_t total = -1) override;
  void allReduce(const float *in, float *out, int64_t count,
                 Reduction op) override;
  void reduceScatter(const float *in, float *out, int64_t outer, int64_t total,
                     int64_t inner, Reduction op) override;
  void allToAll(const float *in, float *out,
                const AllToAllShape &shape) override;
  void broadcast(float *buffer, int64_t count, int64_t root) override;
  void barrier() override {
    enter(CollectiveOp::Barrier, 0, 0, 0, Reduction::Sum, /*bounded=*/true);
  }
  void synchronize() override {
    enter(CollectiveOp::Barrier, 0, 0, 0, Reduction::Sum, /*bounded=*/false);
  }

  void finish() override {
    Message m;
    m.kind = static_cast<int64_t>(Kind::Finish);
    m.call = static_cast<int64_t>(calls);
    sendToAll(m);
    completeSends();
  }

  void abort(const std::string &message) override {
    Message m;
    m.kind = static_cast<int64_t>(Kind::Abort);
    m.call = static_cast<int64_t>(calls);
    std::snprintf(m.text, sizeof(m.text), "%s", message.c_str());
    sendToAll(m, inRun ? epoch : epoch + 1);
    completeSends();
    setError("rank " + std::to_string(myRank) + " failed: " + message);
  }

  bool failed() const override { return !errorMessage.empty(); }
  std::string error() const override { return errorMessage; }

  /// A new run: call numbers start again and the error is forgotten.
  void beginRun() {
    ++epoch;
    calls = 0;
    resetStarted();
    errorMessage.clear();
    inRun = true;
  }
  void endRun() { inRun = false; }

private:
  void postReceive(int64_t q) {
    MPI_Irecv(&inbox[q], sizeof(Message), MPI_BYTE, static_cast<int>(q),
              kControlTag, control, &receives[q]);
  }

  void sendToAll(Message m) { sendToAll(m, epoch); }
  void sendToAll(Message m, int64_t messageEpoch) {
    m.epoch = messageEpoch;
    for (int64_t q = 0; q < numRanks; ++q) {
      if (q == myRank)
        continue;
      outbox.push_back(std::make_unique<Message>(m));
      MPI_Request request;
      MPI_Isend(outbox.back().get(), sizeof(Message), MPI_BYTE,
                static_cast<int>(q), kControlTag, control, &request);
      sends.push_back(request);
    }
  }

  /// Small messages go out eagerly, so this returns at once unless a peer's
  /// inbox is full; it is bounded by the timeout all the same.
  void completeSends() {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Backoff backoff;
    while (!sends.empty()) {
      int done = 0;
      MPI_Testall(static_cast<int>(sends.size()), sends.data(), &done,
                  MPI_STATUSES_IGNORE);
      if (done)
        break;
      if (std::chrono::steady_clock::now() > deadline)
        return; // leave them; MPI_Finalize does not wait for them
      backoff.pause();
    }
    sends.clear();
    outbox.clear();
  }

  /// Drops the send buffers whose sends have completed.
  void reapSends() {
    if (sends.size() < 64)
      return;
    int done = 0;
    MPI_Testall(static_cast<int>(sends.size()), sends.data(), &done,
                MPI_STATUSES_IGNORE);
    if (done) {
      sends.clear();
      outbox.clear();
    }
  }

  void setError(std::string message) {
    if (errorMessage.empty())
      errorMessage = std::move(message);
  }

  /// Exchanges this call's header with every peer; true when every rank
  /// made the same call. `calls` then holds every rank's header.
  bool enter(CollectiveOp op, int64_t a, int64_t b, int64_t c, Reduction red,
             bool bounded) {
    return enter(CollectiveCall::of(op, a, b, c, red), bounded);
  }
  bool enter(CollectiveCall mine, bool bounded);

  /// Records an MPI error of the data transfer of `what`.
  bool check(int rc, const CollectiveCall &what) {
    if (rc == MPI_SUCCESS)
      return true;
    std::string message =
        "MPI failed in " + what.describe() + ": " + mpiErrorString(rc);
    // The others may already wait for this rank's next call.
    abort(message);
    return false;
  }

  /// This rank's balanced share of the reduction of `count` elements,
  /// combined left to right in rank order like the threads backend does.
  bool reduceInRankOrder(const float *in, float *share, int64_t count,
                         Reduction op, const CollectiveCall &what);
  /// Reduces rank-major blocks (rank q's `counts[q]` elements after rank
  /// q-1's) into this rank's block at `out`.
  bool reduceBlocks(const float *send, float *out,
                    const std::vector<int> &counts, Reduction op,
                    const CollectiveCall &what);

  /// The most elements one piece of a collective moves (at least 1).
  int64_t stageElements = MPIGroup::kDefaultStageBytes / sizeof(float);

  /// Arms the watchdog for the data transfer of `what`, of `bytes`. For the
  /// runtime's own tests, the rank and call that TP_RT_STOP_IN_TRANSFER
  /// names ("rank:call", a call number of a run) stop the process here,
  /// as a frozen process would, once every rank has entered the transfer.
  TransferWatchdog::Scope startTransfer(const CollectiveCall &what,
                                        int64_t bytes) {
    if (stopInTransfer.first == myRank &&
        stopInTransfer.second == static_cast<int64_t>(what.call)) {
      stopInTransfer = {-1, -1};
      std::raise(SIGSTOP);
    }
    return TransferWatchdog::Scope(*watchdog, what, bytes);
  }

  /// The bytes of a tensor of floats of these extents, saturated.
  static int64_t bytesOf(std::initializer_list<int64_t> extents) {
    int64_t bytes = sizeof(float);
    for (int64_t e : extents)
      if (e > 0 && __builtin_mul_overflow(bytes, e, &bytes))
        return INT64_MAX;
    return bytes;
  }
  template <typename... Extents> static int64_t bytesOf(Extents... extents) {
    return bytesOf({static_cast<int64_t>(extents)...});
  }

  /// Whether `count` elements fit MPI's int counts; an error otherwise.
  bool fitsInt(int64_t count, const CollectiveCall &what) {
    if (count <= INT_MAX)
      return true;
    setError(what.describe() + " moves " + std::to_string(count) +
             " elements in one piece; MPI counts are limited to " +
             std::to_string(INT_MAX));
    return false;
  }

  MPI_Comm data = MPI_COMM_NULL, control = MPI_COMM_NULL;
  int64_t myRank = 0, numRanks = 1;
  std::chrono::milliseconds timeout;
  /// Bounds the time inside each data transfer (see the file comment).
  std::unique_ptr<TransferWatchdog> watchdog;
  /// The rank and call number at which TP_RT_STOP_IN_TRANSFER stops a rank.
  std::pair<int64_t, int64_t> stopInTransfer{-1, -1};
  int64_t epoch = 0;
  bool inRun = false;
  uint64_t calls = 0;
  std::string errorMessage;
  /// The message being received from each peer, and its request.
  std::vector<Message> inbox;
  std::vector<MPI_Request> receives;
  /// Messages on their way to peers, kept alive until sent.
  std::vector<std::unique_ptr<Message>> outbox;
  std::vector<MPI_Request> sends;
  /// Every rank's header of the current call (this rank's included).
  std::vector<CollectiveCall> current;
};

bool MPICommunicator::enter(CollectiveCall mine, bool bounded) {
  if (failed())
    return false;
  mine.call = ++calls;
  reapSends();
  Message m;
  m.kind = static_cast<int64_t>(Kind::Call);
  m.op = static_cast<int64_t>(mine.op);
  m.call = static_cast<int64_t>(mine.call);
  m.a = mine.a;
  m.b = mine.b;
  m.c = mine.c;
  m.d = mine.d;
  m.e = mine.e;
  m.reduction = mine.reduction;
  sendToAll(m);

  current.assign(numRanks, CollectiveCall());
  current[myRank] = mine;
  std::vector<bool> arrived(numRanks, false);
  arrived[myRank] = true;
  int64_t missing = numRanks - 1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Backoff backoff;
  while (missing > 0) {
    bool progress = false;
    for (int64_t q = 0; q < numRanks; ++q) {
      if (arrived[q])
        continue;
      int done = 0;
      MPI_Test(&receives[q], &done, MPI_STATUS_IGNORE);
      if (!done)
        continue;
      progress = true;
      Message got = inbox[q];
      postReceive(q);
      auto kind = static_cast<Kind>(got.kind);
      if (got.epoch < epoch)
        continue; // a message of an earlier run
      if (got.epoch > epoch) {
        setError("rank " + std::to_string(q) + " is in run #" +
                 std::to_string(got.epoch) + " while rank " +
                 std::to_string(myRank) + " is in run #" +
                 std::to_string(epoch) + "; every rank must run as often");
        return false;
      }
      if (kind == Kind::Abort) {
        setError("rank " + std::to_string(q) + " failed: " + got.text);
        return false;
      }
      if (kind == Kind::Finish) {
        setError(finishedWhileWaiting(q, static_cast<uint64_t>(got.call),
                                      myRank, mine));
        return false;
      }
      current[q] = got.asCall();
      arrived[q] = true;
      --missing;
    }
    if (missing == 0)
      break;
    if (!progress && bounded && std::chrono::steady_clock::now() > deadline) {
      std::string late;
      for (int64_t q = 0; q < numRanks; ++q)
        if (!arrived[q])
          late += (late.empty() ? "" : ", ") + std::to_string(q);
      setError(timedOut(myRank, timeout, mine, late));
      // See the file comment: a late rank could otherwise be left inside
      // the data transfer for ever.
      std::fprintf(stderr,
                   "tp runtime: %s; ending the MPI job, since the late rank "
                   "could not be released otherwise\n",
                   errorMessage.c_str());
      std::fflush(stderr);
      // mpirun forwards a rank's output from a pipe it reads on its own
      // schedule, and tears the job down at once on MPI_Abort: the line
      // was lost now and then under load (still, with 200 ms, in one run
      // of the MPI tests beside others). Give it time to forward it.
      std::this_thread::sleep_for(std::chrono::seconds(1));
      MPI_Abort(MPI_COMM_WORLD, 1);
      return false;
    }
    if (!progress)
      backoff.pause();
  }
  std::string mismatch =
      checkCollectiveCalls(numRanks, [&](int64_t q) -> const CollectiveCall & {
        return current[q];
      });
  if (!mismatch.empty()) {
    setError(std::move(mismatch));
    return false;
  }
  return true;
}

void MPICommunicator::allGather(const float *in, float *out, int64_t outer,
                                int64_t extent, int64_t inner,
                                int64_t gathered) {
  if (!enter(CollectiveCall::allGather(outer, extent, inner, gathered), true))
    return;
  const CollectiveCall &what = current[myRank];
  // Every rank's extent came with its header.
  std::vector<int> counts(numRanks), displs(numRanks);
  int64_t total = 0;
  for (int64_t q = 0; q < numRanks; ++q)
    total += current[q].b;
  TransferWatchdog::Scope transfer =
      startTransfer(what, bytesOf(outer, total, inner));
  if (!fitsInt(total * std::max<int64_t>(inner, 1), what) ||
      !fitsInt(outer * inner, what))
    return;
  if (outer == 0 || inner == 0 || total == 0)
    return;
  if (outer == 1) {
    int64_t offset = 0;
    for (int64_t q = 0; q < numRanks; ++q) {
      counts[q] = static_cast<int>(current[q].b * inner);
      displs[q] = static_cast<int>(offset * inner);
      offset += current[q].b;
    }
    check(MPI_Allgatherv(in, counts[myRank], MPI_FLOAT, out, counts.data(),
                         displs.data(), MPI_FLOAT, data),
          what);
    return;
  }
  // [outer x extent x inner] into the middle of [outer x total x inner]
  // without staging: one element of `column` is a slab of `inner` values
  // in every one of the `outer` rows, and its extent is `inner` values, so
  // rank q's extent_q elements land at column offset_q of every row. The
  // sender walks its buffer in the same (column, row) order.
  MPI_Datatype column, columnType, slab, slabType;
  MPI_Type_vector(static_cast<int>(outer), static_cast<int>(inner),
                  static_cast<int>(total * inner), MPI_FLOAT, &column);
  MPI_Type_create_resized(column, 0, inner * sizeof(float), &columnType);
  MPI_Type_commit(&columnType);
  MPI_Type_vector(static_cast<int>(outer), static_cast<int>(inner),
                  static_cast<int>(extent * inner), MPI_FLOAT, &slab);
  MPI_Type_create_resized(slab, 0, inner * sizeof(float), &slabType);
  MPI_Type_commit(&slabType);
  int64_t offset = 0;
  for (int64_t q = 0; q < numRanks; ++q) {
    counts[q] = static_cast<int>(current[q].b);
    displs[q] = static_cast<int>(offset);
    offset += current[q].b;
  }
  check(MPI_Allgatherv(in, static_cast<int>(extent), slabType, out,
                       counts.data(), displs.data(), columnType, data),
        what);
  MPI_Type_free(&columnType);
  MPI_Type_free(&column);
  MPI_Type_free(&slabType);
  MPI_Type_free(&slab);
}

bool MPICommunicator::reduceInRankOrder(const float *in, float *share,
                                        int64_t count, Reduction op,
                                        const CollectiveCall &what) {
  if (!fitsInt(count, what))
    return false;
  int64_t mine = getShardSize(count, numRanks, myRank);
  if (!fitsInt(numRanks * mine, what))
    return false;
  std::vector<int> sendCounts(numRanks), sendDispls(numRanks),
      recvCounts(numRanks), recvDispls(numRanks);
  for (int64_t q = 0; q < numRanks; ++q) {
    sendCounts[q] = static_cast<int>(getShardSize(count, numRanks, q));
    sendDispls[q] = static_cast<int>(getShardOffset(count, numRanks, q));
    recvCounts[q] = static_cast<int>(mine);
    recvDispls[q] = static_cast<int>(q * mine);
  }
  // Every rank's values of this rank's share, in rank order.
  std::vector<float> columns(numRanks * mine);
  if (!check(MPI_Alltoallv(in, sendCounts.data(), sendDispls.data(), MPI_FLOAT,
                           columns.data(), recvCounts.data(), recvDispls.data(),
                           MPI_FLOAT, data),
             what))
    return false;
  reduceInto(
      op, share, numRanks, [&](int64_t q) { return columns.data() + q * mine; },
      mine);
  return true;
}

/// Whether MPI's own reduction of `op` over `ranks` ranks gives the bits of
/// a left-to-right reduction in rank order: max and min are exact in any
/// order, and a sum or product of two values does not depend on theirs.
static bool orderDoesNotMatter(Reduction op, int64_t ranks) {
  return op == Reduction::Max || op == Reduction::Min || ranks <= 2;
}

void MPICommunicator::allReduce(const float *in, float *out, int64_t count,
                                Reduction op) {
  if (!enter(CollectiveOp::AllReduce, count, 0, 0, op, true))
    return;
  const CollectiveCall &what = current[myRank];
  TransferWatchdog::Scope transfer = startTransfer(what, bytesOf(count, 2));
  // Elementwise, so piece by piece.
  for (int64_t at = 0; at < count; at += stageElements) {
    int64_t n = std::min(stageElements, count - at);
    if (orderDoesNotMatter(op, numRanks)) {
      const void *send = in == out ? MPI_IN_PLACE : in + at;
      if (!check(MPI_Allreduce(send, out + at, static_cast<int>(n), MPI_FLOAT,
                               toMPI(op), data),
                 what))
        return;
      continue;
    }
    // Reduce-scatter in rank order, then all-gather the shares: the
    // bandwidth-optimal schedule, and the one the threads backend runs.
    int64_t mine = getShardSize(n, numRanks, myRank);
    std::vector<float> share(mine);
    if (!reduceInRankOrder(in + at, share.data(), n, op, what))
      return;
    std::vector<int> counts(numRanks), displs(numRanks);
    for (int64_t q = 0; q < numRanks; ++q) {
      counts[q] = static_cast<int>(getShardSize(n, numRanks, q));
      displs[q] = static_cast<int>(getShardOffset(n, numRanks, q));
    }
    if (!check(MPI_Allgatherv(share.data(), static_cast<int>(mine), MPI_FLOAT,
                              out + at, counts.data(), displs.data(), MPI_FLOAT,
                              data),
               what))
      return;
  }
}

bool MPICommunicator::reduceBlocks(const float *send, float *out,
                                   const std::vector<int> &counts, Reduction op,
                                   const CollectiveCall &what) {
  if (orderDoesNotMatter(op, numRanks))
    return check(MPI_Reduce_scatter(send, out, counts.data(), MPI_FLOAT,
                                    toMPI(op), data),
                 what);
  // The rank-major blocks are the balanced shares of the flattened
  // elements only when every block has the balanced size; in general they
  // are not, so the shares are exchanged block by block.
  std::vector<int> sendDispls(numRanks), recvCounts(numRanks),
      recvDispls(numRanks);
  int64_t mine = counts[myRank];
  for (int64_t q = 0, offset = 0; q < numRanks; ++q) {
    sendDispls[q] = static_cast<int>(offset);
    offset += counts[q];
    recvCounts[q] = static_cast<int>(mine);
    recvDispls[q] = static_cast<int>(q * mine);
  }
  std::vector<float> columns(numRanks * mine);
  if (!check(MPI_Alltoallv(send, counts.data(), sendDispls.data(), MPI_FLOAT,
                           columns.data(), recvCounts.data(), recvDispls.data(),
                           MPI_FLOAT, data),
             what))
    return false;
  reduceInto(
      op, out, numRanks, [&](int64_t q) { return columns.data() + q * mine; },
      mine);
  return true;
}

void MPICommunicator::reduceScatter(const float *in, float *out, int64_t outer,
                                    int64_t total, int64_t inner,
                                    Reduction op) {
  if (!enter(CollectiveOp::ReduceScatter, outer, total, inner, op, true))
    return;
  const CollectiveCall &what = current[myRank];
  TransferWatchdog::Scope transfer =
      startTransfer(what, bytesOf(outer, total, inner));
  if (outer * total * inner == 0)
    return;
  // A piece is `rows` rows of `outer` whole (when a row fits the stage), or
  // extent positions [e0, e0 + span) of every rank's part of one row. Its
  // rank-major blocks (rank q's [rows x extent_q x inner], or [span x
  // inner]) are packed unless they already lie so in `in`: one whole row.
  int64_t row = total * inner;
  int64_t maxExtent = getShardSize(total, numRanks, 0);
  int64_t rows = std::max<int64_t>(1, stageElements / row);
  int64_t span = row <= stageElements
                     ? maxExtent
                     : std::max<int64_t>(1, stageElements / (numRanks * inner));
  int64_t myExtent = getShardSize(total, numRanks, myRank);
  std::vector<int> counts(numRanks);
  std::vector<int64_t> parts(numRanks);
  std::vector<float> packed;
  for (int64_t o0 = 0; o0 < outer; o0 += rows) {
    int64_t n = std::min(rows, outer - o0);
    for (int64_t e0 = 0; e0 < maxExtent; e0 += span) {
      // Rank q's extent positions in this piece, in each of its n rows.
      int64_t pieceSize = 0;
      for (int64_t q = 0; q < numRanks; ++q) {
        parts[q] =
            std::clamp<int64_t>(getShardSize(total, numRanks, q) - e0, 0, span);
        if (!fitsInt(n * parts[q] * inner, what))
          return;
        counts[q] = static_cast<int>(n * parts[q] * inner);
        pieceSize += counts[q];
      }
      const float *send = in + o0 * row;
      if (n > 1 || span < maxExtent) {
        packed.resize(pieceSize);
        float *dst = packed.data();
        for (int64_t q = 0; q < numRanks; ++q) {
          int64_t offset = getShardOffset(total, numRanks, q) + e0;
          for (int64_t o = o0; o < o0 + n; ++o) {
            if (parts[q])
              std::memcpy(dst, in + (o * total + offset) * inner,
                          sizeof(float) * parts[q] * inner);
            dst += parts[q] * inner;
          }
        }
        send = packed.data();
      }
      float *mineOut = out + (o0 * myExtent + std::min(e0, myExtent)) * inner;
      if (!reduceBlocks(send, mineOut, counts, op, what))
        return;
    }
  }
}

void MPICommunicator::allToAll(const float *in, float *out,
                               const AllToAllShape &shape) {
  if (!enter(CollectiveCall::allToAll(shape), true))
    return;
  const CollectiveCall &what = current[myRank];
  TransferWatchdog::Scope transfer =
      startTransfer(what, bytesOf(shape.outer, shape.first, shape.middle,
                                  shape.second, shape.inner));
  // Each block moves in rounds: in round t, elements [t * piece, (t + 1) *
  // piece) of every block in the order both ends walk it
  // (forEachAllToAllRun), packed into one message per peer, exchanged with
  // MPI_Alltoallv and unpacked into place. Every rank computes the same
  // number of rounds from the largest block of any pair.
  int64_t piece = std::max<int64_t>(1, stageElements / numRanks);
  int64_t largest = 0;
  for (int64_t r = 0; r < numRanks; ++r)
    for (int64_t q = 0; q < numRanks; ++q)
      largest = std::max(largest, allToAllBlockSize(shape, numRanks, r, q));
  if (!fitsInt(numRanks * std::min(piece, largest), what))
    return;
  std::vector<int> sendCounts(numRanks), sendDispls(numRanks),
      recvCounts(numRanks), recvDispls(numRanks);
  std::vector<float> packed, arrived;
  for (int64_t begin = 0; begin < largest; begin += piece) {
    int64_t end = begin + piece;
    int64_t sent = 0, received = 0;
    for (int64_t q = 0; q < numRanks; ++q) {
      int64_t outBlock = allToAllBlockSize(shape, numRanks, myRank, q);
      int64_t backBlock = allToAllBlockSize(shape, numRanks, q, myRank);
      int64_t outPiece = std::clamp<int64_t>(outBlock - begin, 0, piece);
      int64_t backPiece = std::clamp<int64_t>(backBlock - begin, 0, piece);
      sendCounts[q] = static_cast<int>(outPiece);
      sendDispls[q] = static_cast<int>(sent);
      recvCounts[q] = static_cast<int>(backPiece);
      recvDispls[q] = static_cast<int>(received);
      sent += outPiece;
      received += backPiece;
    }
    packed.resize(sent);
    arrived.resize(received);
    for (int64_t q = 0; q < numRanks; ++q) {
      float *dst = packed.data() + sendDispls[q];
      forEachAllToAllRun(
          shape, numRanks, myRank, q,
          [&](int64_t from, int64_t, int64_t count) {
            std::memcpy(dst, in + from, sizeof(float) * count);
            dst += count;
          },
          begin, end);
    }
    if (!check(MPI_Alltoallv(packed.data(), sendCounts.data(),
                             sendDispls.data(), MPI_FLOAT, arrived.data(),
                             recvCounts.data(), recvDispls.data(), MPI_FLOAT,
                             data),
               what))
      return;
    for (int64_t q = 0; q < numRanks; ++q) {
      const float *src = arrived.data() + recvDispls[q];
      forEachAllToAllRun(
          shape, numRanks, q, myRank,
          [&](int64_t, int64_t to, int64_t count) {
            std::memcpy(out + to, src, sizeof(float) * count);
            src += count;
          },
          begin, end);
    }
  }
}

void MPICommunicator::broadcast(float *buffer, int64_t count, int64_t root) {
  if (!enter(CollectiveOp::Broadcast, count, root, 0, Reduction::Sum, true))
    return;
  const CollectiveCall &what = current[myRank];
  if (root < 0 || root >= numRanks) {
    setError(what.describe() + ": there is no rank " + std::to_string(root) +
             " in a job of " + std::to_string(numRanks));
    return;
  }
  if (count == 0 || !fitsInt(count, what))
    return;
  TransferWatchdog::Scope transfer = startTransfer(what, bytesOf(count));
  check(MPI_Bcast(buffer, static_cast<int>(count), MPI_FLOAT,
                  static_cast<int>(root), data),
        what);
}

/// The size of one process's shared-memory segment of Open MPI's on-host
/// transport (the vader BTL of Open MPI 4, sm in 5), read from the MPI tool
/// interface; 0 when the library has no such variable.
uint64_t sharedMemorySegmentBytes() {
  int provided = 0;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS)
    return 0;
  uint64_t bytes = 0;
  for (const char *name : {"btl_vader_segment_size", "btl_sm_segment_size"}) {
    int index = 0;
    if (MPI_T_cvar_get_index(name, &index) != MPI_SUCCESS)
      continue;
    char cvarName[256], description[256];
    int nameLength = sizeof(cvarName), descriptionLength = sizeof(description);
    int verbosity = 0, bind = 0, scope = 0;
    MPI_Datatype type;
    MPI_T_enum enumType;
    if (MPI_T_cvar_get_info(index, cvarName, &nameLength, &verbosity, &type,
                            &enumType, description, &descriptionLength, &bind,
                            &scope) != MPI_SUCCESS ||
        bind != MPI_T_BIND_NO_OBJECT)
      continue;
    MPI_T_cvar_handle handle;
    int count = 0;
    if (MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) != MPI_SUCCESS)
      continue;
    // Wide enough for any integer type the variable may have.
    alignas(8) unsigned char value[16] = {0};
    if (count == 1 && MPI_T_cvar_read(handle, value) == MPI_SUCCESS) {
      auto read = [&](auto v) {
        std::memcpy(&v, value, sizeof v);
        bytes = v > 0 ? uint64_t(v) : 0;
      };
      if (type == MPI_INT || type == MPI_INT32_T)
        read(int32_t());
      else if (type == MPI_UNSIGNED || type == MPI_UINT32_T)
        read(uint32_t());
      else if (type == MPI_LONG || type == MPI_LONG_LONG ||
               type == MPI_INT64_T || type == MPI_COUNT)
        read(int64_t());
      else if (type == MPI_UNSIGNED_LONG || type == MPI_UNSIGNED_LONG_LONG ||
               type == MPI_UINT64_T)
        read(uint64_t());
    }
    MPI_T_cvar_handle_free(&handle);
    if (bytes)
      break;
  }
  MPI_T_finalize();
  return bytes;
}

class MPIGroupImpl final : public MPIGroup {
public:
  MPIGroupImpl(std::chrono::milliseconds timeout) : comm(timeout) {
    // Which host each rank runs on, once, for reports.
    char name[MPI_MAX_PROCESSOR_NAME] = {0};
    int length = 0;
    MPI_Get_processor_name(name, &length);
    std::vector<char> names(comm.size() * MPI_MAX_PROCESSOR_NAME);
    MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names.data(),
                  MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
    for (int64_t q = 0; q < comm.size(); ++q)
      hosts.emplace_back(names.data() + q * MPI_MAX_PROCESSOR_NAME);
    // Ranks on one host exchange through shared memory: each process maps
    // the segment of every rank on its host, and the pages it touches
    // there count in its resident memory.
    // Every rank takes the job's largest figure: a limit that each rank
    // reduced by its own would let ranks on fuller hosts plan differently
    // from the others, and their collectives would not match.
    uint64_t onHost =
        std::count(hosts.begin(), hosts.end(), hosts[comm.rank()]);
    uint64_t segment = onHost > 1 ? sharedMemorySegmentBytes() : 0;
    uint64_t local[3] = {segment * onHost, segment, onHost}, job[3] = {0};
    MPI_Allreduce(local, job, 3, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    transport = job[0];
    if (transport) {
      bool oneHost =
          std::count(hosts.begin(), hosts.end(), hosts[0]) == comm.size();
      char text[200];
      std::snprintf(text, sizeof text,
                    "the MPI library's shared-memory segments (%.1f MiB for "
                    "each of the %llu ranks on %s)",
                    double(job[1]) / (1 << 20),
                    static_cast<unsigned long long>(job[2]),
                    oneHost ? "this host" : "the fullest host");
      transportText = text;
    }
  }

  uint64_t transportBytes() const override { return transport; }
  std::string describeTransport() const override { return transportText; }

  std::string describe() const override {
    int64_t n = comm.size();
    std::vector<std::pair<std::string, std::string>> byHost;
    for (int64_t q = 0; q < n; ++q) {
      auto it = std::find_if(byHost.begin(), byHost.end(), [&](const auto &h) {
        return h.first == hosts[q];
      });
      if (it == byHost.end()) {
        byHost.push_back({hosts[q], "rank " + std::to_string(q)});
        continue;
      }
      if (it->second.rfind("rank ", 0) == 0)
        it->second.replace(0, 5, "ranks ");
      it->second += ", " + std::to_string(q);
    }
    std::string text = std::to_string(n) +
                       (n == 1 ? " MPI process on " : " MPI processes on ") +
                       std::to_string(byHost.size()) +
                       (byHost.size() == 1 ? " host (" : " hosts (");
    for (size_t i = 0; i < byHost.size(); ++i)
      text += (i ? "; " : "") + byHost[i].first + ": " + byHost[i].second;
    return text + ")";
  }

  int64_t size() const override { return comm.size(); }
  std::vector<int64_t> localRanks() const override { return {comm.rank()}; }
  const char *name() const override { return "MPI"; }
  int64_t rank() const override { return comm.rank(); }
  Communicator &communicator() override { return comm; }
  void setStageBytes(size_t bytes) override {
    comm.setStageElements(static_cast<int64_t>(bytes / sizeof(float)));
  }

  bool run(const std::function<void(Communicator &)> &body) override {
    comm.beginRun();
    Communicator *previous = currentCommunicator();
    setCurrentCommunicator(&comm);
    body(comm);
    comm.finish();
    comm.endRun();
    setCurrentCommunicator(previous);
    return !comm.failed();
  }
  std::string error() const override { return comm.error(); }
  void abort(const std::string &message) override { comm.abort(message); }

private:
  MPICommunicator comm;
  std::vector<std::string> hosts;
  uint64_t transport = 0;
  std::string transportText;
};
} // namespace

std::unique_ptr<MPIGroup> MPIGroup::create(std::string &error,
                                           std::chrono::milliseconds timeout) {
  std::call_once(mpiInit, initializeMPI);
  if (!mpiInitError.empty()) {
    error = mpiInitError;
    return nullptr;
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) {
    error = "MPI has been finalized in this process";
    return nullptr;
  }
  // MPI is initialized for one thread (MPI_THREAD_FUNNELED) unless the
  // application asked for more: every call must come from the thread that
  // initialized it.
  int provided = 0, isMain = 0;
  MPI_Query_thread(&provided);
  MPI_Is_thread_main(&isMain);
  if (!isMain && provided < MPI_THREAD_MULTIPLE) {
    error = "the MPI backend runs on the thread that initialized MPI; this "
            "is another thread";
    return nullptr;
  }
  return std::make_unique<MPIGroupImpl>(timeout);
}

std::string mlir::tp::rt::getMPILibraryVersion() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, length);
  return version.substr(0, version.find_first_of("\n,"));
}

extern "C" int tp_rt_run_on_mpi(int64_t numRanks,
                                void (*body)(int64_t rank, void *user),
                                void *user, char *error, size_t errorSize) {
  // One group for the process: making one is collective, and a group that
  // is freed while a slow peer's last notice is on its way could pass that
  // notice to the next.
  if (std::string bad =
          checkRunRequest(body != nullptr, numRanks, INT_MAX, "MPI jobs");
      !bad.empty())
    return reportRunError(error, errorSize, "tp runtime: " + bad);
  static std::string message;
  static std::unique_ptr<MPIGroup> group = MPIGroup::create(message);
  if (!group)
    return reportRunError(error, errorSize, "tp runtime: " + message);
  if (group->size() != numRanks)
    return reportRunError(
        error, errorSize,
        "tp runtime: the model is compiled for " + std::to_string(numRanks) +
            " ranks, but this MPI job has " + std::to_string(group->size()) +
            " processes; run it with mpirun -np " + std::to_string(numRanks));
  if (group->run([&](Communicator &comm) { body(comm.rank(), user); }))
    return 0;
  return reportRunError(error, errorSize, group->error());
}
