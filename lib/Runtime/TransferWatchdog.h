//===- TransferWatchdog.h - a time limit on a collective's data transfer --===//
//
// A collective's headers bound the wait for a late rank: the collective
// timeout. Once every rank has entered the data transfer, though, the MPI
// library's own collective holds each of them until every peer takes part,
// and a peer that stops inside it (a frozen process, a host that drops off
// the network) would hold the others for ever. The watchdog bounds that
// time: a thread that sleeps until the deadline of the transfer in
// progress, and calls `expire` with the reason if it is still in progress
// then. Arming and disarming take a lock and, in the steady state, no
// system call: the thread is woken only when a transfer is armed while it
// has nothing to watch. Private to the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_RUNTIME_TRANSFERWATCHDOG_H
#define TP_MLIR_LIB_RUNTIME_TRANSFERWATCHDOG_H

#include "CollectiveCall.h"
#include "tp-mlir/Support/Limits.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace mlir::tp::rt {

class TransferWatchdog {
public:
  using Clock = std::chrono::steady_clock;
  using Expire = std::function<void(const std::string &)>;

  /// The slowest link a transfer is given time for, beyond the timeout.
  static constexpr int64_t kSlowestBytesPerSecond = 10'000'000;

  /// With `holdAfterExpiry`, a transfer that ends after it was reported
  /// does not return from disarm(): `expire` is ending the process, and the
  /// rank must not go on as if nothing was said.
  TransferWatchdog(int64_t rank, std::chrono::milliseconds timeout,
                   Expire expire, bool holdAfterExpiry = false)
      : rank(rank), timeout(timeout), expire(std::move(expire)),
        holdAfterExpiry(holdAfterExpiry), thread([this] { watch(); }) {}

  ~TransferWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    thread.join();
  }

  TransferWatchdog(const TransferWatchdog &) = delete;
  TransferWatchdog &operator=(const TransferWatchdog &) = delete;

  /// How long a transfer of `bytes` may take: the timeout, plus the time
  /// the slowest link takes to move them.
  std::chrono::milliseconds limitFor(int64_t bytes) const {
    // At most the longest timeout more, so that the deadline cannot
    // overflow.
    int64_t extra = std::min<int64_t>(std::max<int64_t>(bytes, 0) /
                                          (kSlowestBytesPerSecond / 1000),
                                      kMaxTimeoutMs);
    return timeout + std::chrono::milliseconds(extra);
  }

  /// The transfer of `what`, `bytes` in all, starts now.
  void arm(const CollectiveCall &what, int64_t bytes) {
    std::chrono::milliseconds limit = limitFor(bytes);
    std::lock_guard<std::mutex> lock(mutex);
    armed = true;
    current = what;
    currentLimit = limit;
    deadline = Clock::now() + limit;
    if (idle) {
      idle = false;
      wake.notify_one();
    }
  }

  /// The transfer armed last is over.
  void disarm() {
    std::unique_lock<std::mutex> lock(mutex);
    armed = false;
    if (holdAfterExpiry && expired)
      never.wait(lock, [] { return false; });
  }

  /// Arms for the lifetime of the scope.
  class Scope {
  public:
    Scope(TransferWatchdog &watchdog, const CollectiveCall &what, int64_t bytes)
        : watchdog(watchdog) {
      watchdog.arm(what, bytes);
    }
    ~Scope() { watchdog.disarm(); }
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    TransferWatchdog &watchdog;
  };

private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stopping) {
      if (!armed) {
        idle = true;
        wake.wait(lock, [&] { return stopping || !idle; });
        continue;
      }
      // A transfer armed after this one moved the deadline: wait for that.
      if (Clock::now() < deadline) {
        wake.wait_until(lock, deadline);
        continue;
      }
      armed = false;
      expired = true;
      std::string why =
          "rank " + std::to_string(rank) + " timed out after " +
          std::to_string(currentLimit.count()) + " ms inside the data " +
          "transfer of " + current.describe() +
          ", which every rank had entered: a rank stopped taking part in it";
      lock.unlock();
      expire(why);
      lock.lock();
    }
  }

  const int64_t rank;
  const std::chrono::milliseconds timeout;
  const Expire expire;
  const bool holdAfterExpiry;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  /// Whether the thread waits for a transfer to be armed.
  bool idle = false;
  bool armed = false;
  /// Whether a transfer was reported.
  bool expired = false;
  /// What disarm() waits on after a report: nothing wakes it.
  std::condition_variable never;
  CollectiveCall current;
  std::chrono::milliseconds currentLimit{0};
  Clock::time_point deadline;

  /// Last, so that it starts when the rest is in place.
  std::thread thread;
};

} // namespace mlir::tp::rt

#endif // TP_MLIR_LIB_RUNTIME_TRANSFERWATCHDOG_H
