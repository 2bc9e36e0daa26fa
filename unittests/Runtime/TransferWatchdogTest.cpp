//===- TransferWatchdogTest.cpp - the time limit inside a data transfer ---===//
//
// The watchdog calls its `expire` with the reason when a transfer outlives
// its limit, and never for transfers that end in time, however many; told
// to, it holds the rank whose transfer it reported.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/TransferWatchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace mlir::tp;
using namespace mlir::tp::rt;
using namespace std::chrono_literals;

namespace {
/// What the watchdog reported.
struct Reports {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::string> reasons;

  TransferWatchdog::Expire callback() {
    return [this](const std::string &why) {
      std::lock_guard<std::mutex> lock(mutex);
      reasons.push_back(why);
      arrived.notify_all();
    };
  }
  /// Whether a report arrived within `wait`.
  bool waitFor(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex);
    return arrived.wait_for(lock, wait, [&] { return !reasons.empty(); });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return reasons.size();
  }
};

CollectiveCall allReduceCall() {
  CollectiveCall call =
      CollectiveCall::of(CollectiveOp::AllReduce, 4096, 0, 0, Reduction::Sum);
  call.call = 7;
  return call;
}

TEST(TransferWatchdogTest, ReportsATransferPastItsLimit) {
  Reports reports;
  TransferWatchdog watchdog(3, 20ms, reports.callback());
  auto start = TransferWatchdog::Clock::now();
  watchdog.arm(allReduceCall(), 0);
  ASSERT_TRUE(reports.waitFor(10s));
  EXPECT_GE(TransferWatchdog::Clock::now() - start, 20ms);
  watchdog.disarm();
  EXPECT_EQ(reports.reasons.front(),
            "rank 3 timed out after 20 ms inside the data transfer of "
            "all_reduce (call #7, 4096 elements, sum), which every rank had "
            "entered: a rank stopped taking part in it");
  // Once: the expired transfer is not reported again.
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(reports.count(), 1u);
}

TEST(TransferWatchdogTest, TransfersInTimeAreNotReported) {
  Reports reports;
  TransferWatchdog watchdog(0, 50ms, reports.callback());
  // Many short transfers over several limits: each one's deadline is its
  // own, not the first one's.
  auto end = TransferWatchdog::Clock::now() + 300ms;
  while (TransferWatchdog::Clock::now() < end) {
    TransferWatchdog::Scope transfer(watchdog, allReduceCall(), 4096);
    std::this_thread::sleep_for(1ms);
  }
  // Idle past the limit, then one more transfer that wakes the thread.
  std::this_thread::sleep_for(120ms);
  { TransferWatchdog::Scope transfer(watchdog, allReduceCall(), 4096); }
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(reports.count(), 0u);
  // And the next transfer past its limit is still caught.
  watchdog.arm(allReduceCall(), 0);
  EXPECT_TRUE(reports.waitFor(10s));
  watchdog.disarm();
}

/// What the held thread of HoldsTheRankAfterAReport touches: never freed,
/// since it never returns, and reachable from here for LeakSanitizer.
Reports *heldReports;
TransferWatchdog *heldWatchdog;
std::atomic<bool> *heldReturned;

TEST(TransferWatchdogTest, HoldsTheRankAfterAReport) {
  heldReports = new Reports;
  heldWatchdog =
      new TransferWatchdog(0, 20ms, heldReports->callback(), /*hold=*/true);
  heldReturned = new std::atomic<bool>(false);
  heldWatchdog->arm(allReduceCall(), 0);
  ASSERT_TRUE(heldReports->waitFor(10s));
  // The transfer ends after it was reported: the rank goes no further.
  std::thread([] {
    heldWatchdog->disarm();
    *heldReturned = true;
  }).detach();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(*heldReturned);
}

TEST(TransferWatchdogTest, LargeTransfersAreGivenTimeForTheirBytes) {
  Reports reports;
  TransferWatchdog watchdog(0, 1000ms, reports.callback());
  EXPECT_EQ(watchdog.limitFor(0), 1000ms);
  EXPECT_EQ(watchdog.limitFor(-5), 1000ms);
  // 10 MB a second on the slowest link.
  EXPECT_EQ(watchdog.limitFor(50'000'000), 6000ms);
  // Saturated: no overflow into a deadline in the past.
  EXPECT_EQ(watchdog.limitFor(INT64_MAX),
            1000ms + std::chrono::milliseconds(kMaxTimeoutMs));
  watchdog.arm(allReduceCall(), INT64_MAX);
  std::this_thread::sleep_for(50ms);
  watchdog.disarm();
  EXPECT_EQ(reports.count(), 0u);
}
} // namespace
