//===- ThreadGroup.cpp - D ranks as D threads -----------------------------===//
//
// Each collective is two phases separated by barriers. Every rank first
// publishes its buffers and sizes in its slot; the last rank to arrive at the
// first barrier checks that all ranks called the same collective with
// compatible sizes. In the data phase each rank reads (for a large
// all_gather, writes) the other ranks' buffers directly (no staging copy),
// and the second barrier keeps every buffer alive until all ranks are done
// with it.
//
// A barrier waits on a condition variable, so D may exceed the number of
// cores. It fails at once when a rank it waits for has finished or failed,
// and after the timeout otherwise; an error is sticky and fails every later
// call.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/ThreadGroup.h"

#include "../CollectiveCall.h"
#include "tp-mlir/Support/Limits.h"

#include "tp-mlir/Support/BalancedSplit.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

using namespace mlir::tp;
using namespace mlir::tp::rt;

namespace {
using Op = CollectiveOp;

/// Outputs at least this large (per rank) are written with non-temporal
/// stores: they would not stay in cache anyway, and a plain store first
/// reads each line it writes. Below it, the next layer finds them in cache.
constexpr int64_t kStreamBytes = int64_t(4) << 20;

/// A rank writes what it sends to every output in pieces of this many floats
/// (16 KiB): a piece stays in L1 between the outputs it goes to.
constexpr int64_t kPiece = 4096;

/// Copies `n` floats from `src` to `dst`, with non-temporal stores where
/// `stream` and the host has them; streamFence() must follow before other
/// threads read `dst`.
///
/// A load that follows a store to an address equal modulo 4 KiB waits for
/// the store ("4K aliasing"). Copying forward, each load follows the stores
/// of the last few iterations, `dst - src` bytes apart modulo 4 KiB; when
/// that is under half a page, the copy runs backward, where it is over half
/// a page, further than the stores in flight. Buffers of 16 MiB placed one
/// after the other (16 MiB and 16 bytes apart) ran an all_gather at half
/// the speed the other way (docs/performance.md).
void copyOut(float *dst, const float *src, int64_t n, bool stream) {
#if defined(__SSE2__)
  if (stream) {
    uintptr_t apart =
        (reinterpret_cast<uintptr_t>(dst) - reinterpret_cast<uintptr_t>(src)) %
        4096;
    if (apart == 0 || apart >= 2048) {
      int64_t i = 0;
      for (; i < n && reinterpret_cast<uintptr_t>(dst + i) % 16; ++i)
        dst[i] = src[i];
      for (; i + 4 <= n; i += 4)
        _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
      for (; i < n; ++i)
        dst[i] = src[i];
      return;
    }
    int64_t i = n;
    for (; i > 0 && reinterpret_cast<uintptr_t>(dst + i) % 16; --i)
      dst[i - 1] = src[i - 1];
    for (; i >= 4; i -= 4)
      _mm_stream_ps(dst + i - 4, _mm_loadu_ps(src + i - 4));
    for (; i > 0; --i)
      dst[i - 1] = src[i - 1];
    return;
  }
#endif
  if (n)
    std::memcpy(dst, src, sizeof(float) * n);
}

/// Orders this thread's non-temporal stores before what follows (the
/// barrier that lets other ranks read them).
void streamFence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

/// What one rank published for its current call.
struct Slot : CollectiveCall {
  const float *in = nullptr;
  float *out = nullptr;
  uint64_t arrivedGeneration = 0;
  bool finished = false;
};

/// What one rank published for one asynchronous collective: its call and
/// buffers, and how far the rank has got with it (each field holds the
/// handle of the latest call that reached that point).
struct Post : CollectiveCall {
  const float *in = nullptr;
  float *out = nullptr;
  int64_t posted = 0;  // buffers published (the start)
  int64_t reading = 0; // in the data phase, reading other ranks' buffers
  int64_t done = 0;    // finished with every other rank's buffers
};

/// Posts per rank: a wait returns only when every rank is done with its
/// call, and waits come in start order, so a slot is free again by the
/// time it comes round; one more than needed, for clarity of the bound.
constexpr int64_t kPostSlots = Communicator::kMaxInFlight + 1;

class ThreadGroupImpl;

class ThreadCommunicator final : public Communicator {
public:
  ThreadCommunicator(ThreadGroupImpl &group, int64_t rank)
      : group(group), myRank(rank) {}

  int64_t rank() const override { return myRank; }
  int64_t size() const override;
  void allGather(const float *in, float *out, int64_t outer, int64_t extent,
                 int64_t inner, int64_t total = -1) override;
  void allReduce(const float *in, float *out, int64_t count,
                 Reduction op) override;
  void reduceScatter(const float *in, float *out, int64_t outer, int64_t total,
                     int64_t inner, Reduction op) override;
  void allToAll(const float *in, float *out,
                const AllToAllShape &shape) override;
  void broadcast(float *buffer, int64_t count, int64_t root) override;
  void barrier() override;
  void synchronize() override;
  void finish() override;
  void abort(const std::string &message) override;
  bool failed() const override;
  std::string error() const override;

  int64_t startAllReduce(const float *in, float *out, int64_t count,
                         Reduction op) override;
  int64_t startAllGather(const float *in, float *out, int64_t outer,
                         int64_t extent, int64_t inner,
                         int64_t total = -1) override;
  void wait(int64_t handle) override;

private:
  /// Publishes an asynchronous call in this rank's post for `handle`.
  int64_t start(const CollectiveCall &call, const float *in, float *out);
  /// After an error: waits until no rank touches the buffers of this rank's
  /// calls in flight, and forgets them.
  void settleInFlight();
  /// Publishes this rank's call and waits for all ranks (without a time
  /// limit when `bounded` is false); false on error.
  bool enter(Op op, int64_t a, int64_t b, int64_t c, Reduction red,
             const float *in, float *out, bool bounded = true);
  bool enter(const CollectiveCall &call, const float *in, float *out,
             bool bounded = true);
  /// The second barrier of a collective.
  void leave();

  void resetAsync() { resetStarted(); }

  friend class ThreadGroupImpl;
  ThreadGroupImpl &group;
  int64_t myRank;
  uint64_t calls = 0;
};

class ThreadGroupImpl final : public ThreadGroup {
public:
  ThreadGroupImpl(int64_t size, std::chrono::milliseconds timeout,
                  std::chrono::microseconds spin)
      : numRanks(size), timeout(timeout), slots(size), posts(size),
        spin(size <= static_cast<int64_t>(std::thread::hardware_concurrency())
                 ? spin
                 : std::chrono::microseconds(0)) {
    for (int64_t r = 0; r < size; ++r)
      comms.push_back(std::make_unique<ThreadCommunicator>(*this, r));
  }

  Communicator &communicator(int64_t rank) override { return *comms[rank]; }
  int64_t size() const override { return numRanks; }
  std::vector<int64_t> localRanks() const override {
    std::vector<int64_t> ranks(numRanks);
    for (int64_t r = 0; r < numRanks; ++r)
      ranks[r] = r;
    return ranks;
  }
  const char *name() const override { return "threads"; }
  std::string describe() const override {
    return std::to_string(numRanks) + (numRanks == 1 ? " thread" : " threads");
  }
  ~ThreadGroupImpl() override { stopWorkers(); }

  /// Runs `body` on every rank: ranks 1 to D-1 on threads the group starts
  /// at its first run and keeps (a run then costs a wake-up, not D thread
  /// creations), rank 0 on the calling thread.
  bool run(const std::function<void(Communicator &)> &body) override;
  std::string error() const override {
    std::lock_guard<std::mutex> lock(mutex);
    return errorMessage;
  }
  /// Every rank lives in this process; there is nobody else to tell.
  void abort(const std::string &message) override {
    std::lock_guard<std::mutex> lock(mutex);
    setErrorLocked(message);
  }

  /// Waits until every rank has arrived, for at most the timeout when
  /// `bounded`. The last to arrive runs `validate` (under the lock) before
  /// releasing the others.
  bool arrive(int64_t rank, bool validate, bool bounded = true) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!errorMessage.empty())
      return false;
    uint64_t generation = currentGeneration;
    slots[rank].arrivedGeneration = generation + 1;
    if (++waiting == numRanks) {
      if (validate)
        validateLocked();
      release();
      return errorMessage.empty();
    }
    spinOutside(lock, generation);
    auto deadline = bounded ? std::chrono::steady_clock::now() + timeout
                            : std::chrono::steady_clock::time_point::max();
    while (currentGeneration == generation && errorMessage.empty()) {
      for (int64_t q = 0; q < numRanks; ++q) {
        const Slot &s = slots[q];
        if (s.finished && s.arrivedGeneration != generation + 1) {
          setErrorLocked(finishedWhileWaiting(q, s.call, rank, slots[rank]));
          break;
        }
      }
      if (!errorMessage.empty())
        break;
      if (!bounded) {
        cv.wait(lock);
        continue;
      }
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout &&
          currentGeneration == generation && errorMessage.empty()) {
        std::string missing;
        for (int64_t q = 0; q < numRanks; ++q)
          if (slots[q].arrivedGeneration != generation + 1)
            missing += (missing.empty() ? "" : ", ") + std::to_string(q);
        setErrorLocked(timedOut(rank, timeout, slots[rank], missing));
      }
    }
    return errorMessage.empty();
  }

  /// Waits until every rank has arrived, whatever else happens: the second
  /// barrier of a collective, which every rank has entered.
  void arriveAll(int64_t rank) {
    std::unique_lock<std::mutex> lock(mutex);
    uint64_t generation = currentGeneration;
    slots[rank].arrivedGeneration = generation + 1;
    if (++waiting == numRanks) {
      release();
      return;
    }
    spinOutside(lock, generation);
    cv.wait(lock, [&] { return currentGeneration != generation; });
  }

  void finish(int64_t rank) {
    std::lock_guard<std::mutex> lock(mutex);
    slots[rank].finished = true;
    progress.fetch_add(1, std::memory_order_release);
    cv.notify_all();
  }

  void fail(int64_t rank, const std::string &message) {
    std::lock_guard<std::mutex> lock(mutex);
    setErrorLocked("rank " + std::to_string(rank) + " failed: " + message);
    slots[rank].finished = true;
  }

  bool failed() const {
    std::lock_guard<std::mutex> lock(mutex);
    return !errorMessage.empty();
  }

  /// Forgets the calls, arrivals and error of an earlier run.
  void reset() {
    std::lock_guard<std::mutex> lock(mutex);
    for (Slot &s : slots)
      s = Slot();
    for (auto &comm : comms) {
      comm->calls = 0;
      comm->resetAsync();
    }
    for (auto &rankPosts : posts)
      for (Post &p : rankPosts)
        p = Post();
    waiting = 0;
    currentGeneration = 0;
    released.store(0, std::memory_order_relaxed);
    errorMessage.clear();
    hasError.store(false, std::memory_order_relaxed);
  }

  /// Sets `field` of `rank`'s post for `handle` and wakes the waiters.
  void advance(int64_t rank, int64_t handle, int64_t Post::*field) {
    std::lock_guard<std::mutex> lock(mutex);
    posts[rank][handle % kPostSlots].*field = handle;
    progress.fetch_add(1, std::memory_order_release);
    cv.notify_all();
  }

  /// Waits until every rank has published `handle` (bounded by the
  /// timeout), then checks that all made the same call. On success, marks
  /// this rank as reading the others' buffers, under the same lock, so that
  /// an error set from now on still waits for it (awaitDone). False on
  /// error.
  bool awaitPosted(int64_t rank, int64_t handle) {
    int64_t slot = handle % kPostSlots;
    auto allPosted = [&] {
      for (int64_t q = 0; q < numRanks; ++q)
        if (posts[q][slot].posted != handle)
          return false;
      return true;
    };
    std::unique_lock<std::mutex> lock(mutex);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Polled once, before the loop: every later look happens under the
    // lock, so no rank's finish can slip between a check and the sleep.
    spinFor(lock, [&] { return allPosted(); });
    while (errorMessage.empty() && !allPosted()) {
      for (int64_t q = 0; q < numRanks; ++q)
        if (slots[q].finished && posts[q][slot].posted != handle) {
          setErrorLocked(finishedWhileWaiting(q, comms[q]->calls, rank,
                                              posts[rank][slot]));
          break;
        }
      if (!errorMessage.empty())
        break;
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout &&
          errorMessage.empty() && !allPosted()) {
        std::string missing;
        for (int64_t q = 0; q < numRanks; ++q)
          if (posts[q][slot].posted != handle)
            missing += (missing.empty() ? "" : ", ") + std::to_string(q);
        setErrorLocked(timedOut(rank, timeout, posts[rank][slot], missing));
      }
    }
    if (errorMessage.empty()) {
      std::string mismatch = checkCollectiveCalls(
          numRanks,
          [&](int64_t q) -> const CollectiveCall & { return posts[q][slot]; });
      if (!mismatch.empty())
        setErrorLocked(std::move(mismatch));
    }
    if (!errorMessage.empty())
      return false;
    posts[rank][slot].reading = handle;
    progress.fetch_add(1, std::memory_order_release);
    return true;
  }

  /// Waits until no rank reads or writes this rank's buffers for `handle`
  /// any more: every rank is done with it, or, after an error, none is
  /// inside its data phase (one that failed before it never touches them).
  void awaitDone(int64_t handle) {
    int64_t slot = handle % kPostSlots;
    auto settled = [&] {
      for (int64_t q = 0; q < numRanks; ++q) {
        const Post &p = posts[q][slot];
        if (p.done == handle)
          continue;
        if (errorMessage.empty() || p.reading == handle)
          return false;
      }
      return true;
    };
    std::unique_lock<std::mutex> lock(mutex);
    spinFor(lock, settled);
    cv.wait(lock, settled);
  }

  const int64_t numRanks;
  const std::chrono::milliseconds timeout;
  std::vector<Slot> slots;
  std::vector<std::array<Post, kPostSlots>> posts;
  /// The polling before a wait sleeps; 0 when the ranks outnumber the
  /// cores, where it would take the core of the rank it waits for.
  const std::chrono::microseconds spin;

private:
  /// Starts the threads of ranks 1 to D-1 if they are not running; false
  /// (with the group's error set) if one cannot be made.
  bool startWorkers();
  /// A rank's thread: runs each posted job until the group stops.
  void serve(int64_t rank);
  void stopWorkers();

  struct Start {
    ThreadGroupImpl *group;
    int64_t rank;
  };
  std::vector<pthread_t> workers;
  std::vector<Start> starts;
  std::mutex poolMutex;
  std::condition_variable poolCv, doneCv;
  const std::function<void(int64_t)> *job = nullptr;
  uint64_t jobNumber = 0;
  int64_t running = 0;
  bool stopping = false;

public:
private:
  void validateLocked() {
    std::string mismatch = checkCollectiveCalls(
        numRanks,
        [&](int64_t q) -> const CollectiveCall & { return slots[q]; });
    if (!mismatch.empty())
      setErrorLocked(std::move(mismatch));
  }
  void setErrorLocked(std::string message) {
    if (errorMessage.empty())
      errorMessage = std::move(message);
    hasError.store(true, std::memory_order_release);
    cv.notify_all();
  }

  /// The last rank to arrive lets the others go (under the lock).
  void release() {
    waiting = 0;
    ++currentGeneration;
    released.store(currentGeneration, std::memory_order_release);
    cv.notify_all();
  }

  /// Polls without the lock, for at most `spin`, until `changed()` (read
  /// without the lock) or an error, before the caller sleeps on the
  /// condition variable (see ThreadGroup::kDefaultSpin). The caller
  /// rechecks everything under the lock afterwards.
  template <typename Changed>
  void pollUnlocked(std::unique_lock<std::mutex> &lock, Changed changed) {
    if (spin.count() == 0)
      return;
    lock.unlock();
    auto until = std::chrono::steady_clock::now() + spin;
    for (int i = 1;; ++i) {
      if (changed() || hasError.load(std::memory_order_acquire))
        break;
      if (i % 64 == 0 && std::chrono::steady_clock::now() > until)
        break;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    lock.lock();
  }

  /// Polls until any rank makes progress on an asynchronous call, unless
  /// `ready` (read under the lock) holds already.
  template <typename Ready>
  void spinFor(std::unique_lock<std::mutex> &lock, Ready ready) {
    if (ready())
      return;
    uint64_t seen = progress.load(std::memory_order_acquire);
    pollUnlocked(
        lock, [&] { return progress.load(std::memory_order_acquire) != seen; });
  }

  /// Polls for generation `generation` to end.
  void spinOutside(std::unique_lock<std::mutex> &lock, uint64_t generation) {
    pollUnlocked(lock, [&] {
      return released.load(std::memory_order_acquire) != generation;
    });
  }

  /// currentGeneration and whether there is an error, readable without
  /// the lock while spinning.
  std::atomic<uint64_t> released{0};
  std::atomic<bool> hasError{false};
  /// Counts every step of an asynchronous call, for spinFor.
  std::atomic<uint64_t> progress{0};

  mutable std::mutex mutex;
  std::condition_variable cv;
  int64_t waiting = 0;
  uint64_t currentGeneration = 0;
  std::string errorMessage;
  std::vector<std::unique_ptr<ThreadCommunicator>> comms;
};

int64_t ThreadCommunicator::size() const { return group.numRanks; }

bool ThreadCommunicator::enter(Op op, int64_t a, int64_t b, int64_t c,
                               Reduction red, const float *in, float *out,
                               bool bounded) {
  return enter(CollectiveCall::of(op, a, b, c, red), in, out, bounded);
}

bool ThreadCommunicator::enter(const CollectiveCall &call, const float *in,
                               float *out, bool bounded) {
  Slot &s = group.slots[myRank];
  static_cast<CollectiveCall &>(s) = call;
  s.call = ++calls;
  s.in = in;
  s.out = out;
  return group.arrive(myRank, /*validate=*/true, bounded);
}

// Every rank is inside the collective by now; the wait is only for the
// others to finish reading this rank's buffers, so it has no time limit:
// returning early would let a buffer be freed while another rank reads it.
void ThreadCommunicator::leave() { group.arriveAll(myRank); }

/// The data phase of an all_gather on `rank`: every rank's shard (`in(q)`,
/// `extent(q)` rows of the middle dimension) into every output `out(q)`, in
/// rank order. A result too large for the cache (streamed) is pushed: this
/// rank writes its own shard into every output, so each shard is read once
/// (pulling reads each shard D times: at D = 2, a third more bytes;
/// docs/performance.md), in pieces that stay in L1 between the outputs. A
/// smaller one is pulled: this rank writes its own output, which the next
/// layer then finds in this core's cache. Either way no two ranks write
/// the same element. A copy onto itself (a shard already in its place) is
/// skipped.
template <typename In, typename Out, typename Extent>
void gatherShards(int64_t rank, int64_t size, int64_t outer, int64_t inner,
                  In in, Out out, Extent extent) {
  int64_t total = 0;
  for (int64_t q = 0; q < size; ++q)
    total += extent(q);
  auto copy = [&](int64_t q, int64_t p, int64_t offset, int64_t o,
                  int64_t begin, int64_t count, bool stream) {
    float *dst = out(p) + (o * total + offset) * inner + begin;
    const float *src = in(q) + o * extent(q) * inner + begin;
    if (dst != src)
      copyOut(dst, src, count, stream);
  };
  if (int64_t(sizeof(float)) * outer * total * inner < kStreamBytes) {
    for (int64_t q = 0, offset = 0; q < size; offset += extent(q++))
      for (int64_t o = 0; o < outer; ++o)
        copy(q, rank, offset, o, 0, extent(q) * inner, /*stream=*/false);
    return;
  }
  int64_t offset = 0;
  for (int64_t q = 0; q < rank; ++q)
    offset += extent(q);
  int64_t n = extent(rank) * inner;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; i += kPiece)
      for (int64_t p = 0; p < size; ++p)
        copy(rank, p, offset, o, i, std::min(kPiece, n - i), /*stream=*/true);
  streamFence();
}

/// Reduces `rank`'s balanced share of `count` elements over every rank's
/// `in(q)` and writes it into every rank's `out(q)`. Only this rank touches
/// those elements, so an input may alias its output.
///
/// One pass with no buffer (each 4-float vector read from every input and
/// streamed to every output) was tried: alone in a microbenchmark it took a
/// 16 MiB all_reduce at D = 2 from 1.9 to 1.4 ms, but in `tp-bench
/// collectives` and in the 4 x 4096 chain's all_reduces it was 1.3 to 1.5
/// times slower than this buffer of 4,096 floats (docs/performance.md).
template <typename In, typename Out>
void reduceShare(int64_t rank, int64_t size, int64_t count, Reduction op, In in,
                 Out out) {
  int64_t begin = getShardOffset(count, size, rank);
  int64_t end = begin + getShardSize(count, size, rank);
  bool stream = int64_t(sizeof(float)) * count >= kStreamBytes;
  alignas(16) float acc[kPiece];
  for (int64_t i = begin; i < end; i += kPiece) {
    int64_t n = std::min(kPiece, end - i);
    reduceInto(
        op, acc, size, [&](int64_t q) { return in(q) + i; }, n);
    for (int64_t q = 0; q < size; ++q)
      copyOut(out(q) + i, acc, n, stream);
  }
  if (stream)
    streamFence();
}

void ThreadCommunicator::allGather(const float *in, float *out, int64_t outer,
                                   int64_t extent, int64_t inner,
                                   int64_t total) {
  if (!enter(CollectiveCall::allGather(outer, extent, inner, total), in, out))
    return;
  const std::vector<Slot> &slots = group.slots;
  gatherShards(
      myRank, group.numRanks, outer, inner,
      [&](int64_t q) { return slots[q].in; },
      [&](int64_t q) { return slots[q].out; },
      [&](int64_t q) { return slots[q].b; });
  leave();
}

void ThreadCommunicator::allReduce(const float *in, float *out, int64_t count,
                                   Reduction op) {
  if (!enter(Op::AllReduce, count, 0, 0, op, in, out))
    return;
  const std::vector<Slot> &slots = group.slots;
  reduceShare(
      myRank, group.numRanks, count, op, [&](int64_t q) { return slots[q].in; },
      [&](int64_t q) { return slots[q].out; });
  leave();
}

int64_t ThreadCommunicator::start(const CollectiveCall &call, const float *in,
                                  float *out) {
  if (group.failed())
    return 0;
  int64_t handle = pushStarted();
  if (!handle)
    return 0;
  Post &p = group.posts[myRank][handle % kPostSlots];
  static_cast<CollectiveCall &>(p) = call;
  p.call = ++calls;
  p.in = in;
  p.out = out;
  group.advance(myRank, handle, &Post::posted);
  return handle;
}

int64_t ThreadCommunicator::startAllReduce(const float *in, float *out,
                                           int64_t count, Reduction op) {
  return start(CollectiveCall::of(Op::AllReduce, count, 0, 0, op), in, out);
}

int64_t ThreadCommunicator::startAllGather(const float *in, float *out,
                                           int64_t outer, int64_t extent,
                                           int64_t inner, int64_t total) {
  return start(CollectiveCall::allGather(outer, extent, inner, total), in, out);
}

void ThreadCommunicator::settleInFlight() {
  for (int64_t handle : inFlight())
    group.awaitDone(handle);
  forgetStarted();
}

void ThreadCommunicator::wait(int64_t handle) {
  // After an error no data moves, but a rank may still be inside the data
  // phase of a call this rank posted: its buffers must outlive that.
  if (group.failed() || !popStarted(handle)) {
    group.awaitDone(handle);
    return settleInFlight();
  }
  if (!group.awaitPosted(myRank, handle)) {
    group.awaitDone(handle);
    return settleInFlight();
  }
  const auto &posts = group.posts;
  int64_t slot = handle % kPostSlots;
  const Post &mine = posts[myRank][slot];
  auto in = [&](int64_t q) { return posts[q][slot].in; };
  if (mine.op == Op::AllReduce)
    reduceShare(myRank, group.numRanks, mine.a,
                static_cast<Reduction>(mine.reduction), in,
                [&](int64_t q) { return posts[q][slot].out; });
  else
    gatherShards(
        myRank, group.numRanks, mine.a, mine.c, in,
        [&](int64_t q) { return posts[q][slot].out; },
        [&](int64_t q) { return posts[q][slot].b; });
  group.advance(myRank, handle, &Post::done);
  group.awaitDone(handle);
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
    reduceInto(
        op, dst, size,
        [&](int64_t q) {
          return group.slots[q].in + (o * total + offset) * inner;
        },
        n);
  }
  leave();
}

void ThreadCommunicator::allToAll(const float *in, float *out,
                                  const AllToAllShape &shape) {
  if (!enter(CollectiveCall::allToAll(shape), in, out))
    return;
  // This rank assembles its output from every rank's input directly.
  int64_t size = group.numRanks;
  for (int64_t q = 0; q < size; ++q) {
    const float *src = group.slots[q].in;
    forEachAllToAllRun(
        shape, size, q, myRank, [&](int64_t from, int64_t to, int64_t count) {
          std::memcpy(out + to, src + from, sizeof(float) * count);
        });
  }
  leave();
}

void ThreadCommunicator::broadcast(float *buffer, int64_t count, int64_t root) {
  // enter() rejects a root outside the job on every rank.
  if (!enter(Op::Broadcast, count, root, 0, Reduction::Sum, buffer, buffer))
    return;
  if (myRank != root && count)
    std::memcpy(buffer, group.slots[root].in, sizeof(float) * count);
  leave();
}

void ThreadCommunicator::barrier() {
  enter(Op::Barrier, 0, 0, 0, Reduction::Sum, nullptr, nullptr);
}

void ThreadCommunicator::synchronize() {
  enter(Op::Barrier, 0, 0, 0, Reduction::Sum, nullptr, nullptr,
        /*bounded=*/false);
}

void ThreadCommunicator::finish() {
  // abort() settles the calls in flight.
  if (!inFlight().empty())
    abort("finished with " + std::to_string(inFlight().size()) +
          " asynchronous collective(s) in flight; every start needs its "
          "wait");
  group.finish(myRank);
}
void ThreadCommunicator::abort(const std::string &message) {
  group.fail(myRank, message);
  // Once abort returns, the caller may free the buffers of its calls in
  // flight: no other rank may still be reading them.
  settleInFlight();
}
bool ThreadCommunicator::failed() const { return group.failed(); }
std::string ThreadCommunicator::error() const { return group.error(); }
} // namespace

std::unique_ptr<ThreadGroup>
ThreadGroup::create(int64_t size, std::chrono::milliseconds timeout,
                    std::chrono::microseconds spin) {
  return std::make_unique<ThreadGroupImpl>(size, timeout, spin);
}

bool ThreadGroupImpl::run(const std::function<void(Communicator &)> &body) {
  reset();
  std::function<void(int64_t)> runRank = [&](int64_t r) {
    Communicator &comm = communicator(r);
    Communicator *previous = currentCommunicator();
    setCurrentCommunicator(&comm);
    body(comm);
    comm.finish();
    setCurrentCommunicator(previous);
  };
  if (numRanks > 1 && !startWorkers())
    return false;
  // Ranks 1 to D-1 run on the group's threads, rank 0 on the caller's.
  {
    std::lock_guard<std::mutex> lock(poolMutex);
    job = &runRank;
    running = numRanks - 1;
    ++jobNumber;
  }
  poolCv.notify_all();
  runRank(0);
  std::unique_lock<std::mutex> lock(poolMutex);
  doneCv.wait(lock, [&] { return running == 0; });
  job = nullptr;
  return !failed();
}

bool ThreadGroupImpl::startWorkers() {
  if (!workers.empty())
    return true;
  // pthreads rather than std::thread: a thread that cannot be made (too many
  // threads, too little memory) is an error of this run, not a terminate.
  starts.resize(numRanks);
  for (int64_t r = 1; r < numRanks; ++r) {
    starts[r] = {this, r};
    pthread_t thread;
    int rc = pthread_create(
        &thread, nullptr,
        [](void *arg) -> void * {
          auto *start = static_cast<Start *>(arg);
          start->group->serve(start->rank);
          return nullptr;
        },
        &starts[r]);
    if (rc != 0) {
      abort("cannot start a thread for rank " + std::to_string(r) + ": " +
            std::strerror(rc));
      stopWorkers();
      return false;
    }
    workers.push_back(thread);
  }
  return true;
}

void ThreadGroupImpl::serve(int64_t rank) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int64_t)> *work;
    {
      std::unique_lock<std::mutex> lock(poolMutex);
      poolCv.wait(lock, [&] { return stopping || jobNumber != seen; });
      if (stopping)
        return;
      seen = jobNumber;
      work = job;
    }
    (*work)(rank);
    std::lock_guard<std::mutex> lock(poolMutex);
    if (--running == 0)
      doneCv.notify_all();
  }
}

void ThreadGroupImpl::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(poolMutex);
    stopping = true;
  }
  poolCv.notify_all();
  for (pthread_t thread : workers)
    pthread_join(thread, nullptr);
  workers.clear();
  stopping = false;
}

extern "C" int tp_rt_run_on_threads(int64_t numRanks,
                                    void (*body)(int64_t rank, void *user),
                                    void *user, char *error, size_t errorSize) {
  if (std::string bad = checkRunRequest(body != nullptr, numRanks,
                                        kMaxThreadRanks, "threads");
      !bad.empty())
    return reportRunError(error, errorSize, "tp runtime: " + bad);
  auto group = ThreadGroup::create(numRanks);
  if (group->run([&](Communicator &comm) { body(comm.rank(), user); }))
    return 0;
  return reportRunError(error, errorSize, group->error());
}
