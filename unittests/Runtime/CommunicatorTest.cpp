//===- CommunicatorTest.cpp - the threads backend's collectives -----------===//
//
// Every collective for D = 1 to 16 (more ranks than this machine has cores),
// with sizes 0, 1 and uneven, against values computed directly; and misuse
// (mismatched ops or sizes, a rank that stops early, a rank that is late)
// reported with the rank and the op instead of a hang.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Support/BalancedSplit.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using namespace mlir::tp;
using namespace mlir::tp::rt;

namespace {
/// A value that differs between ranks and elements.
float valueOf(int64_t rank, int64_t i) { return rank * 1000.0f + i; }

class CollectiveTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(CollectiveTest, AllGatherUnevenShards) {
  int64_t size = GetParam();
  for (int64_t total : {0, 1, 7, 37}) {
    const int64_t outer = 3, inner = 2;
    auto group = ThreadGroup::create(size);
    std::vector<std::vector<float>> outs(size);
    group->run([&](Communicator &comm) {
      int64_t r = comm.rank();
      int64_t extent = getShardSize(total, size, r);
      std::vector<float> in(outer * extent * inner);
      for (size_t i = 0; i < in.size(); ++i)
        in[i] = valueOf(r, i);
      outs[r].assign(outer * total * inner, -1.0f);
      comm.allGather(in.data(), outs[r].data(), outer, extent, inner);
    });
    ASSERT_FALSE(group->communicator(0).failed())
        << group->communicator(0).error();
    // Element (o, j, i) of the result comes from the rank owning j.
    for (int64_t r = 0; r < size; ++r)
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < total; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            int64_t owner = 0;
            while (j >= getShardOffset(total, size, owner) +
                            getShardSize(total, size, owner))
              ++owner;
            int64_t local = j - getShardOffset(total, size, owner);
            int64_t extent = getShardSize(total, size, owner);
            float expected = valueOf(owner, (o * extent + local) * inner + i);
            ASSERT_EQ(outs[r][(o * total + j) * inner + i], expected)
                << "rank " << r << " total " << total;
          }
  }
}

TEST_P(CollectiveTest, AllReduceEveryKind) {
  int64_t size = GetParam();
  for (int64_t count : {0, 1, 5, 10007}) {
    for (Reduction op :
         {Reduction::Sum, Reduction::Prod, Reduction::Max, Reduction::Min}) {
      auto group = ThreadGroup::create(size);
      std::vector<std::vector<float>> outs(size);
      group->run([&](Communicator &comm) {
        int64_t r = comm.rank();
        std::vector<float> in(count);
        for (int64_t i = 0; i < count; ++i)
          in[i] = (i % 3 == 0 ? -1.0f : 1.0f) * (1.0f + 0.001f * r);
        outs[r].assign(count, 0.0f);
        comm.allReduce(in.data(), outs[r].data(), count, op);
      });
      ASSERT_FALSE(group->communicator(0).failed());
      for (int64_t i = 0; i < count; ++i) {
        float sign = i % 3 == 0 ? -1.0f : 1.0f;
        float expected = sign * 1.0f;
        for (int64_t q = 1; q < size; ++q) {
          float v = sign * (1.0f + 0.001f * q);
          switch (op) {
          case Reduction::Sum:
            expected += v;
            break;
          case Reduction::Prod:
            expected *= v;
            break;
          case Reduction::Max:
            expected = std::max(expected, v);
            break;
          case Reduction::Min:
            expected = std::min(expected, v);
            break;
          }
        }
        for (int64_t r = 0; r < size; ++r)
          ASSERT_EQ(outs[r][i], expected)
              << stringifyReduction(op) << " count " << count << " i " << i;
      }
    }
  }
}

TEST_P(CollectiveTest, AllReduceInPlace) {
  int64_t size = GetParam();
  auto group = ThreadGroup::create(size);
  std::vector<std::vector<float>> bufs(size);
  group->run([&](Communicator &comm) {
    bufs[comm.rank()].assign(100, float(comm.rank() + 1));
    comm.allReduce(bufs[comm.rank()].data(), bufs[comm.rank()].data(), 100,
                   Reduction::Sum);
  });
  for (auto &b : bufs)
    for (float v : b)
      ASSERT_EQ(v, size * (size + 1) / 2.0f);
}

TEST_P(CollectiveTest, ReduceScatterUneven) {
  int64_t size = GetParam();
  for (int64_t total : {0, 1, 3, 29}) {
    const int64_t outer = 2, inner = 3;
    auto group = ThreadGroup::create(size);
    std::vector<std::vector<float>> outs(size);
    group->run([&](Communicator &comm) {
      int64_t r = comm.rank();
      std::vector<float> in(outer * total * inner);
      for (size_t i = 0; i < in.size(); ++i)
        in[i] = valueOf(r, i);
      outs[r].assign(outer * getShardSize(total, size, r) * inner, -1.0f);
      comm.reduceScatter(in.data(), outs[r].data(), outer, total, inner,
                         Reduction::Sum);
    });
    ASSERT_FALSE(group->communicator(0).failed());
    for (int64_t r = 0; r < size; ++r) {
      int64_t offset = getShardOffset(total, size, r);
      int64_t extent = getShardSize(total, size, r);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < extent; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            int64_t flat = (o * total + offset + j) * inner + i;
            float expected = 0;
            for (int64_t q = 0; q < size; ++q)
              expected += valueOf(q, flat);
            ASSERT_EQ(outs[r][(o * extent + j) * inner + i], expected);
          }
    }
  }
}

TEST_P(CollectiveTest, BroadcastAndBarrier) {
  int64_t size = GetParam();
  int64_t root = size - 1;
  auto group = ThreadGroup::create(size);
  std::vector<std::vector<float>> bufs(size);
  group->run([&](Communicator &comm) {
    int64_t r = comm.rank();
    bufs[r].assign(33, float(r));
    comm.barrier();
    comm.broadcast(bufs[r].data(), 33, root);
    comm.barrier();
  });
  ASSERT_FALSE(group->communicator(0).failed());
  for (auto &b : bufs)
    for (float v : b)
      ASSERT_EQ(v, float(root));
}

INSTANTIATE_TEST_SUITE_P(Ranks, CollectiveTest,
                         ::testing::Values(1, 2, 3, 5, 8, 16));

TEST(CommunicatorMisuse, MismatchedOpsNameRankAndOp) {
  auto group = ThreadGroup::create(2);
  group->run([&](Communicator &comm) {
    std::vector<float> a(4, 1.0f), b(8, 0.0f);
    if (comm.rank() == 0)
      comm.allReduce(a.data(), b.data(), 4, Reduction::Sum);
    else
      comm.allGather(a.data(), b.data(), 1, 4, 1);
    // A later call fails at once instead of waiting.
    comm.barrier();
  });
  std::string error = group->communicator(1).error();
  EXPECT_EQ(error, "collective mismatch: rank 0 called all_reduce (call #1, "
                   "4 elements, sum) but rank 1 called all_gather (call #1, "
                   "shard 1x4x1)");
}

TEST(CommunicatorMisuse, MismatchedSizes) {
  auto group = ThreadGroup::create(3);
  group->run([&](Communicator &comm) {
    std::vector<float> a(8, 1.0f);
    comm.allReduce(a.data(), a.data(), comm.rank() == 2 ? 7 : 8,
                   Reduction::Max);
  });
  EXPECT_EQ(group->communicator(0).error(),
            "collective mismatch: rank 0 called all_reduce (call #1, 8 "
            "elements, max) but rank 2 called all_reduce (call #1, 7 "
            "elements, max)");
}

TEST(CommunicatorMisuse, RankThatStopsEarlyIsReportedNotAwaited) {
  auto group = ThreadGroup::create(3, std::chrono::milliseconds(600000));
  auto start = std::chrono::steady_clock::now();
  group->run([&](Communicator &comm) {
    comm.barrier();
    if (comm.rank() != 1)
      comm.barrier(); // rank 1 returns after one call
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  std::string error = group->communicator(0).error();
  EXPECT_NE(error.find("rank 1 finished after 1 collective calls while rank"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("waits in barrier (call #2)"), std::string::npos)
      << error;
}

TEST(CommunicatorMisuse, LateRankTimesOut) {
  auto group = ThreadGroup::create(2, std::chrono::milliseconds(100));
  group->run([&](Communicator &comm) {
    if (comm.rank() == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::vector<float> a(2, 1.0f);
    comm.allReduce(a.data(), a.data(), 2, Reduction::Sum);
  });
  EXPECT_EQ(group->communicator(1).error(),
            "rank 0 timed out after 100 ms in all_reduce (call #1, 2 "
            "elements, sum) waiting for rank(s) 1");
}
} // namespace
