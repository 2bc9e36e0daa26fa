//===- ThreadCommunicator.cpp - D ranks as D threads ----------------------===//
//
// Each collective is two phases separated by barriers. Every rank first
// publishes its buffers and sizes in its slot; the last rank to arrive at the
// first barrier checks that all ranks called the same collective with
// compatible sizes. In the data phase each rank reads the other ranks'
// buffers directly (no staging copy), and the second barrier keeps every
// buffer alive until all ranks are done with it.
//
// A barrier waits on a condition variable, so D may exceed the number of
// cores. It fails at once when a rank it waits for has finished, and after
// the timeout otherwise; an error is sticky and fails every later call.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/Communicator.h"

#include "tp-mlir/Support/BalancedSplit.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

using namespace mlir::tp;
using namespace mlir::tp::rt;

const char *mlir::tp::rt::stringifyReduction(Reduction op) {
  switch (op) {
  case Reduction::Sum:
    return "sum";
  case Reduction::Prod:
    return "prod";
  case Reduction::Max:
    return "max";
  case Reduction::Min:
    return "min";
  }
  return "unknown";
}

Communicator::~Communicator() = default;
ThreadGroup::~ThreadGroup() = default;

static thread_local Communicator *current = nullptr;
Communicator *mlir::tp::rt::currentCommunicator() { return current; }
void mlir::tp::rt::setCurrentCommunicator(Communicator *comm) {
  current = comm;
}

std::chrono::milliseconds ThreadGroup::defaultTimeout() {
  if (const char *env = std::getenv("TP_RT_TIMEOUT_MS")) {
    long long ms = std::atoll(env);
    if (ms > 0)
      return std::chrono::milliseconds(ms);
  }
  return std::chrono::milliseconds(60000);
}

namespace {
enum class Op { AllGather, AllReduce, ReduceScatter, Broadcast, Barrier };

const char *opName(Op op) {
  switch (op) {
  case Op::AllGather:
    return "all_gather";
  case Op::AllReduce:
    return "all_reduce";
  case Op::ReduceScatter:
    return "reduce_scatter";
  case Op::Broadcast:
    return "broadcast";
  case Op::Barrier:
    return "barrier";
  }
  return "?";
}

/// What one rank published for its current call.
struct Slot {
  Op op = Op::Barrier;
  uint64_t call = 0; // 1-based number of this rank's collective calls
  int64_t a = 0, b = 0, c = 0;
  int32_t reduction = 0;
  const float *in = nullptr;
  float *out = nullptr;
  uint64_t arrivedGeneration = 0;
  bool finished = false;

  std::string describe() const {
    std::ostringstream os;
    os << opName(op) << " (call #" << call;
    switch (op) {
    case Op::AllGather:
      os << ", shard " << a << "x" << b << "x" << c;
      break;
    case Op::AllReduce:
      os << ", " << a << " elements, "
         << stringifyReduction(static_cast<Reduction>(reduction));
      break;
    case Op::ReduceScatter:
      os << ", " << a << "x" << b << "x" << c << ", "
         << stringifyReduction(static_cast<Reduction>(reduction));
      break;
    case Op::Broadcast:
      os << ", " << a << " elements from rank " << b;
      break;
    case Op::Barrier:
      break;
    }
    os << ")";
    return os.str();
  }

  /// Whether another rank's call is the same collective with sizes that fit.
  bool matches(const Slot &o) const {
    if (op != o.op || call != o.call)
      return false;
    switch (op) {
    case Op::AllGather:
      return a == o.a && c == o.c; // extents may differ
    case Op::AllReduce:
      return a == o.a && reduction == o.reduction;
    case Op::ReduceScatter:
      return a == o.a && b == o.b && c == o.c && reduction == o.reduction;
    case Op::Broadcast:
      return a == o.a && b == o.b;
    case Op::Barrier:
      return true;
    }
    return false;
  }
};

float combine(Reduction op, float x, float y) {
  switch (op) {
  case Reduction::Sum:
    return x + y;
  case Reduction::Prod:
    return x * y;
  case Reduction::Max:
    return std::max(x, y);
  case Reduction::Min:
    return std::min(x, y);
  }
  return x;
}

/// acc[i] = op(acc[i], src[i]); written as plain loops so they vectorize.
void combineInto(Reduction op, float *acc, const float *src, int64_t n) {
  switch (op) {
  case Reduction::Sum:
    for (int64_t i = 0; i < n; ++i)
      acc[i] += src[i];
    return;
  case Reduction::Prod:
    for (int64_t i = 0; i < n; ++i)
      acc[i] *= src[i];
    return;
  case Reduction::Max:
    for (int64_t i = 0; i < n; ++i)
      acc[i] = std::max(acc[i], src[i]);
    return;
  case Reduction::Min:
    for (int64_t i = 0; i < n; ++i)
      acc[i] = std::min(acc[i], src[i]);
    return;
  }
}

class ThreadGroupImpl;

class ThreadCommunicator final : public Communicator {
public:
  ThreadCommunicator(ThreadGroupImpl &group, int64_t rank)
      : group(group), myRank(rank) {}

  int64_t rank() const override { return myRank; }
  int64_t size() const override;
  void allGather(const float *in, float *out, int64_t outer, int64_t extent,
                 int64_t inner) override;
  void allReduce(const float *in, float *out, int64_t count,
                 Reduction op) override;
  void reduceScatter(const float *in, float *out, int64_t outer, int64_t total,
                     int64_t inner, Reduction op) override;
  void broadcast(float *buffer, int64_t count, int64_t root) override;
  void barrier() override;
  void finish() override;
  bool failed() const override;
  std::string error() const override;

private:
  /// Publishes this rank's call and waits for all ranks; false on error.
  bool enter(Op op, int64_t a, int64_t b, int64_t c, Reduction red,
             const float *in, float *out);
  /// The second barrier of a collective.
  void leave();

  ThreadGroupImpl &group;
  int64_t myRank;
  uint64_t calls = 0;
};

class ThreadGroupImpl final : public ThreadGroup {
public:
  ThreadGroupImpl(int64_t size, std::chrono::milliseconds timeout)
      : numRanks(size), timeout(timeout), slots(size) {
    for (int64_t r = 0; r < size; ++r)
      comms.push_back(std::make_unique<ThreadCommunicator>(*this, r));
  }

  Communicator &communicator(int64_t rank) override { return *comms[rank]; }

  /// Waits until every rank has arrived. The last to arrive runs
  /// `validate` (under the lock) before releasing the others.
  bool arrive(int64_t rank, bool validate) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!errorMessage.empty())
      return false;
    uint64_t generation = currentGeneration;
    slots[rank].arrivedGeneration = generation + 1;
    if (++waiting == numRanks) {
      if (validate)
        validateLocked();
      waiting = 0;
      ++currentGeneration;
      cv.notify_all();
      return errorMessage.empty();
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (currentGeneration == generation && errorMessage.empty()) {
      for (int64_t q = 0; q < numRanks; ++q) {
        const Slot &s = slots[q];
        if (s.finished && s.arrivedGeneration != generation + 1) {
          setErrorLocked("rank " + std::to_string(q) + " finished after " +
                         std::to_string(s.call) + " collective calls while " +
                         "rank " + std::to_string(rank) + " waits in " +
                         slots[rank].describe());
          break;
        }
      }
      if (!errorMessage.empty())
        break;
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout &&
          currentGeneration == generation && errorMessage.empty()) {
        std::string missing;
        for (int64_t q = 0; q < numRanks; ++q)
          if (slots[q].arrivedGeneration != generation + 1)
            missing += (missing.empty() ? "" : ", ") + std::to_string(q);
        setErrorLocked("rank " + std::to_string(rank) + " timed out after " +
                       std::to_string(timeout.count()) + " ms in " +
                       slots[rank].describe() + " waiting for rank(s) " +
                       missing);
      }
    }
    return errorMessage.empty();
  }

  void finish(int64_t rank) {
    std::lock_guard<std::mutex> lock(mutex);
    slots[rank].finished = true;
    cv.notify_all();
  }

  bool failed() const {
    std::lock_guard<std::mutex> lock(mutex);
    return !errorMessage.empty();
  }
  std::string error() const {
    std::lock_guard<std::mutex> lock(mutex);
    return errorMessage;
  }

  const int64_t numRanks;
  const std::chrono::milliseconds timeout;
  std::vector<Slot> slots;

private:
  void validateLocked() {
    for (int64_t q = 1; q < numRanks; ++q) {
      if (!slots[q].matches(slots[0])) {
        setErrorLocked("collective mismatch: rank 0 called " +
                       slots[0].describe() + " but rank " + std::to_string(q) +
                       " called " + slots[q].describe());
        return;
      }
    }
  }
  void setErrorLocked(std::string message) {
    if (errorMessage.empty())
      errorMessage = std::move(message);
    cv.notify_all();
  }

  mutable std::mutex mutex;
  std::condition_variable cv;
  int64_t waiting = 0;
  uint64_t currentGeneration = 0;
  std::string errorMessage;
  std::vector<std::unique_ptr<ThreadCommunicator>> comms;
};

int64_t ThreadCommunicator::size() const { return group.numRanks; }

bool ThreadCommunicator::enter(Op op, int64_t a, int64_t b, int64_t c,
                               Reduction red, const float *in, float *out) {
  Slot &s = group.slots[myRank];
  s.op = op;
  s.call = ++calls;
  s.a = a;
  s.b = b;
  s.c = c;
  s.reduction = static_cast<int32_t>(red);
  s.in = in;
  s.out = out;
  return group.arrive(myRank, /*validate=*/true);
}

void ThreadCommunicator::leave() { group.arrive(myRank, /*validate=*/false); }

void ThreadCommunicator::allGather(const float *in, float *out, int64_t outer,
                                   int64_t extent, int64_t inner) {
  if (!enter(Op::AllGather, outer, extent, inner, Reduction::Sum, in, out))
    return;
  int64_t total = 0;
  for (const Slot &s : group.slots)
    total += s.b;
  int64_t offset = 0;
  for (const Slot &s : group.slots) {
    size_t bytes = sizeof(float) * s.b * inner;
    if (bytes)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(out + (o * total + offset) * inner, s.in + o * s.b * inner,
                    bytes);
    offset += s.b;
  }
  leave();
}

void ThreadCommunicator::allReduce(const float *in, float *out, int64_t count,
                                   Reduction op) {
  if (!enter(Op::AllReduce, count, 0, 0, op, in, out))
    return;
  // This rank reduces its balanced share of the elements and writes the
  // result into every rank's output. Only this rank touches those elements,
  // so `in` may alias `out`.
  int64_t size = group.numRanks;
  int64_t begin = getShardOffset(count, size, myRank);
  int64_t end = begin + getShardSize(count, size, myRank);
  constexpr int64_t kChunk = 4096;
  float acc[kChunk];
  for (int64_t i = begin; i < end; i += kChunk) {
    int64_t n = std::min(kChunk, end - i);
    std::memcpy(acc, group.slots[0].in + i, sizeof(float) * n);
    for (int64_t q = 1; q < size; ++q)
      combineInto(op, acc, group.slots[q].in + i, n);
    for (int64_t q = 0; q < size; ++q)
      std::memcpy(group.slots[q].out + i, acc, sizeof(float) * n);
  }
  leave();
}

void ThreadCommunicator::reduceScatter(const float *in, float *out,
                                       int64_t outer, int64_t total,
                                       int64_t inner, Reduction op) {
  if (!enter(Op::ReduceScatter, outer, total, inner, op, in, out))
    return;
  int64_t size = group.numRanks;
  int64_t offset = getShardOffset(total, size, myRank);
  int64_t extent = getShardSize(total, size, myRank);
  int64_t n = extent * inner;
  for (int64_t o = 0; o < outer; ++o) {
    float *dst = out + o * n;
    const float *first = group.slots[0].in + (o * total + offset) * inner;
    if (n)
      std::memcpy(dst, first, sizeof(float) * n);
    for (int64_t q = 1; q < size; ++q)
      combineInto(op, dst, group.slots[q].in + (o * total + offset) * inner, n);
  }
  leave();
}

void ThreadCommunicator::broadcast(float *buffer, int64_t count, int64_t root) {
  if (!enter(Op::Broadcast, count, root, 0, Reduction::Sum, buffer, buffer))
    return;
  if (root < 0 || root >= group.numRanks) {
    leave();
    return;
  }
  if (myRank != root && count)
    std::memcpy(buffer, group.slots[root].in, sizeof(float) * count);
  leave();
}

void ThreadCommunicator::barrier() {
  enter(Op::Barrier, 0, 0, 0, Reduction::Sum, nullptr, nullptr);
}

void ThreadCommunicator::finish() { group.finish(myRank); }
bool ThreadCommunicator::failed() const { return group.failed(); }
std::string ThreadCommunicator::error() const { return group.error(); }
} // namespace

std::unique_ptr<ThreadGroup>
ThreadGroup::create(int64_t size, std::chrono::milliseconds timeout) {
  return std::make_unique<ThreadGroupImpl>(size, timeout);
}

void ThreadGroup::run(const std::function<void(Communicator &)> &body) {
  auto &impl = static_cast<ThreadGroupImpl &>(*this);
  std::vector<std::thread> threads;
  for (int64_t r = 0; r < impl.numRanks; ++r)
    threads.emplace_back([&, r] {
      Communicator &comm = communicator(r);
      setCurrentCommunicator(&comm);
      body(comm);
      comm.finish();
      setCurrentCommunicator(nullptr);
    });
  for (std::thread &t : threads)
    t.join();
}
