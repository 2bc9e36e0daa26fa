//===- CommunicatorTest.cpp - the collectives of every backend ------------===//
//
// Every collective with sizes 0, 1 and uneven, against values computed
// directly; each rank checks its own result. On threads D runs over 1 to 16
// (more ranks than this machine has cores); under mpirun
// (TP_TEST_BACKEND=mpi) D is the job's size. The expected values are
// reduced left to right in rank order, and compared exactly: every backend
// must give the same bits.
//
// Then misuse (mismatched ops or sizes, a rank that stops early or fails, a
// rank that is late), reported with the rank and the op instead of a hang,
// on each backend.
//
//===----------------------------------------------------------------------===//

#include "../Support/TestExecutor.h"

#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Runtime/ThreadGroup.h"
#include "tp-mlir/Support/BalancedSplit.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using namespace mlir::tp;
using namespace mlir::tp::rt;

namespace {
/// A value that differs between ranks and elements.
float valueOf(int64_t rank, int64_t i) { return rank * 1000.0f + i; }

/// The rank counts to test: every size on threads, the job's under MPI.
std::vector<int64_t> rankCounts() {
  if (int64_t fixed = test::getFixedDevices())
    return {fixed};
  return {1, 2, 3, 5, 8, 16};
}

bool onThreads() {
  return test::getTestBackend() == mlir::tp::Backend::threads;
}

/// Runs `body` on every rank of a `size`-rank executor and expects success.
void runRanks(int64_t size, const std::function<void(Communicator &)> &body) {
  Executor &executor = test::getTestExecutor(size);
  bool ok = executor.run(body);
  ASSERT_TRUE(ok) << executor.error();
}

/// Sets the MPI piece size for a scope.
struct StageScope {
  explicit StageScope(size_t bytes) { test::setStageBytes(bytes); }
  ~StageScope() { test::setStageBytes(0); }
};

class CollectiveTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(CollectiveTest, AllGatherUnevenShards) {
  int64_t size = GetParam();
  for (int64_t total : {0, 1, 7, 37}) {
    for (int64_t outer : {1, 3}) {
      const int64_t inner = 2;
      runRanks(size, [&](Communicator &comm) {
        int64_t r = comm.rank();
        int64_t extent = getShardSize(total, size, r);
        std::vector<float> in(outer * extent * inner);
        for (size_t i = 0; i < in.size(); ++i)
          in[i] = valueOf(r, i);
        std::vector<float> out(outer * total * inner, -1.0f);
        comm.allGather(in.data(), out.data(), outer, extent, inner);
        // Element (o, j, i) of the result comes from the rank owning j.
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < total; ++j)
            for (int64_t i = 0; i < inner; ++i) {
              int64_t owner = 0;
              while (j >= getShardOffset(total, size, owner) +
                              getShardSize(total, size, owner))
                ++owner;
              int64_t local = j - getShardOffset(total, size, owner);
              int64_t ext = getShardSize(total, size, owner);
              float expected = valueOf(owner, (o * ext + local) * inner + i);
              ASSERT_EQ(out[(o * total + j) * inner + i], expected)
                  << "rank " << r << " total " << total << " outer " << outer;
            }
      });
    }
  }
}

/// op over ranks 0..size-1 of `v(q)`, left to right.
float reduceInOrder(Reduction op, int64_t size,
                    const std::function<float(int64_t)> &v) {
  float acc = v(0);
  for (int64_t q = 1; q < size; ++q) {
    switch (op) {
    case Reduction::Sum:
      acc += v(q);
      break;
    case Reduction::Prod:
      acc *= v(q);
      break;
    case Reduction::Max:
      acc = std::max(acc, v(q));
      break;
    case Reduction::Min:
      acc = std::min(acc, v(q));
      break;
    }
  }
  return acc;
}

TEST_P(CollectiveTest, AllReduceEveryKind) {
  int64_t size = GetParam();
  for (size_t stage : test::getStageSizesToTest()) {
    StageScope scope(stage);
    for (int64_t count : {0, 1, 5, 10007}) {
      for (Reduction op :
           {Reduction::Sum, Reduction::Prod, Reduction::Max, Reduction::Min}) {
        // Values whose sums round differently in different orders.
        auto value = [](int64_t q, int64_t i) {
          return (i % 3 == 0 ? -1.0f : 1.0f) * (1.0f + 0.001f * q) +
                 1e-7f * float(i % 11) * q;
        };
        runRanks(size, [&](Communicator &comm) {
          int64_t r = comm.rank();
          std::vector<float> in(count), out(count, 0.0f);
          for (int64_t i = 0; i < count; ++i)
            in[i] = value(r, i);
          comm.allReduce(in.data(), out.data(), count, op);
          for (int64_t i = 0; i < count; ++i)
            ASSERT_EQ(
                out[i],
                reduceInOrder(op, size, [&](int64_t q) { return value(q, i); }))
                << stringifyReduction(op) << " count " << count << " i " << i
                << " rank " << r;
        });
      }
    }
  }
}

// Results of 4 MiB and more are written with non-temporal stores on
// threads: an odd count, and outputs one float off alignment on every
// rank, at a different offset on each (so aligned differently), or in
// place.
TEST_P(CollectiveTest, LargeResultsPastTheCache) {
  int64_t size = GetParam();
  const int64_t count = (int64_t(4) << 20) / 4 + 3;
  enum Where { OneOff, OffByRank, InPlace };
  for (Where where : {OneOff, OffByRank, InPlace})
    for (Reduction op : {Reduction::Sum, Reduction::Max, Reduction::Min}) {
      runRanks(size, [&](Communicator &comm) {
        int64_t r = comm.rank();
        std::vector<float> storage(count + 4, 0.0f);
        float *out = storage.data() + (where == OffByRank ? r % 4 : 1);
        std::vector<float> separate(count);
        float *in = where == InPlace ? out : separate.data();
        for (int64_t i = 0; i < count; ++i)
          in[i] = float((i * 7 + r * 13) % 1001);
        comm.allReduce(in, out, count, op);
        for (int64_t i = 0; i < count; ++i)
          ASSERT_EQ(out[i],
                    reduceInOrder(op, size,
                                  [&](int64_t q) {
                                    return float((i * 7 + q * 13) % 1001);
                                  }))
              << stringifyReduction(op) << " i " << i << " rank " << r;
      });
    }
  runRanks(size, [&](Communicator &comm) {
    int64_t r = comm.rank();
    int64_t extent = getShardSize(count, size, r);
    std::vector<float> in(extent), storage(count + 1, -1.0f);
    for (int64_t i = 0; i < extent; ++i)
      in[i] = valueOf(r, i);
    float *out = storage.data() + 1;
    comm.allGather(in.data(), out, 1, extent, 1);
    for (int64_t q = 0, j = 0; q < size; ++q)
      for (int64_t i = 0; i < getShardSize(count, size, q); ++i, ++j)
        ASSERT_EQ(out[j], valueOf(q, i)) << "rank " << r << " j " << j;
  });
}

// Large all_gathers stream each shard into every rank's output, forward or
// backward by how far apart the shard and the output lie modulo 4 KiB: the
// shard at several distances after the output in one block (both ways for
// the rank's own place), rows of the middle dimension (outer > 1), and in
// place (the shard already in its place in the output).
TEST_P(CollectiveTest, LargeAllGatherAtEveryDistance) {
  int64_t size = GetParam();
  const int64_t total = (int64_t(4) << 20) / 4 / 2 + 3, outer = 2;
  for (int64_t apart : {-1, 0, 3, 100, 700, 1021}) {
    int64_t rows = apart < 0 ? 1 : outer;
    runRanks(size, [&](Communicator &comm) {
      int64_t r = comm.rank();
      int64_t extent = getShardSize(total, size, r);
      int64_t offset = getShardOffset(total, size, r);
      std::vector<float> block(rows * total + rows * extent + 1100, -1.0f);
      float *out = block.data() + 1;
      float *in = apart < 0 ? out + offset : out + rows * total + apart;
      for (int64_t o = 0; o < rows; ++o)
        for (int64_t i = 0; i < extent; ++i)
          in[o * extent + i] = valueOf(r, o * extent + i);
      comm.allGather(in, out, rows, extent, 1);
      for (int64_t q = 0; q < size; ++q) {
        int64_t e = getShardSize(total, size, q);
        int64_t at = getShardOffset(total, size, q);
        for (int64_t o = 0; o < rows; ++o)
          for (int64_t i = 0; i < e; ++i)
            ASSERT_EQ(out[o * total + at + i], valueOf(q, o * e + i))
                << "rank " << r << " apart " << apart << " from rank " << q
                << " row " << o << " i " << i;
      }
    });
  }
}

TEST_P(CollectiveTest, AllReduceInPlace) {
  int64_t size = GetParam();
  for (size_t stage : test::getStageSizesToTest()) {
    StageScope scope(stage);
    runRanks(size, [&](Communicator &comm) {
      std::vector<float> buf(100, float(comm.rank() + 1));
      comm.allReduce(buf.data(), buf.data(), 100, Reduction::Sum);
      for (float v : buf)
        ASSERT_EQ(v, size * (size + 1) / 2.0f);
    });
  }
}

TEST_P(CollectiveTest, ReduceScatterUneven) {
  int64_t size = GetParam();
  for (size_t stage : test::getStageSizesToTest()) {
    StageScope scope(stage);
    for (int64_t total : {0, 1, 3, 29}) {
      for (int64_t outer : {1, 2}) {
        // Every kind: the first two ranks are combined in one pass.
        for (Reduction op : {Reduction::Sum, Reduction::Prod, Reduction::Max,
                             Reduction::Min}) {
          const int64_t inner = 3;
          auto value = [](int64_t q, int64_t i) {
            return valueOf(q, i) + 1e-3f * float(q % 3);
          };
          runRanks(size, [&](Communicator &comm) {
            int64_t r = comm.rank();
            std::vector<float> in(outer * total * inner);
            for (size_t i = 0; i < in.size(); ++i)
              in[i] = value(r, i);
            int64_t offset = getShardOffset(total, size, r);
            int64_t extent = getShardSize(total, size, r);
            std::vector<float> out(outer * extent * inner, -1.0f);
            comm.reduceScatter(in.data(), out.data(), outer, total, inner, op);
            for (int64_t o = 0; o < outer; ++o)
              for (int64_t j = 0; j < extent; ++j)
                for (int64_t i = 0; i < inner; ++i) {
                  int64_t flat = (o * total + offset + j) * inner + i;
                  float expected = reduceInOrder(
                      op, size, [&](int64_t q) { return value(q, flat); });
                  ASSERT_EQ(out[(o * extent + j) * inner + i], expected)
                      << stringifyReduction(op) << " rank " << r << " total "
                      << total << " outer " << outer;
                }
          });
        }
      }
    }
  }
}

TEST_P(CollectiveTest, AllToAllBothWaysUneven) {
  int64_t size = GetParam();
  for (size_t stage : test::getStageSizesToTest()) {
    StageScope scope(stage);
    // The whole tensor [outer x first x middle x second x inner], element
    // (o, a, m, b, i) holding its own row-major index, so that any misplaced
    // element shows.
    for (int64_t first : {0, 1, 7}) {
      for (int64_t second : {1, 5, 18}) {
        for (AllToAllShape shape :
             {AllToAllShape{1, first, 1, second, 1, true},
              AllToAllShape{1, first, 1, second, 1, false},
              AllToAllShape{2, first, 3, second, 2, true},
              AllToAllShape{2, first, 3, second, 2, false}}) {
          shape.first = first;
          shape.second = second;
          runRanks(size, [&](Communicator &comm) {
            int64_t r = comm.rank();
            auto wholeIndex = [&](int64_t o, int64_t a, int64_t m, int64_t b,
                                  int64_t i) {
              return float((((o * first + a) * shape.middle + m) * second + b) *
                               shape.inner +
                           i);
            };
            // This rank's input and expected output: shards of `first` and
            // `second`, one way or the other.
            int64_t aIn =
                shape.concatFirst ? getShardSize(first, size, r) : first;
            int64_t aInOff =
                shape.concatFirst ? getShardOffset(first, size, r) : 0;
            int64_t bIn =
                shape.concatFirst ? second : getShardSize(second, size, r);
            int64_t bInOff =
                shape.concatFirst ? 0 : getShardOffset(second, size, r);
            int64_t aOut =
                shape.concatFirst ? first : getShardSize(first, size, r);
            int64_t aOutOff =
                shape.concatFirst ? 0 : getShardOffset(first, size, r);
            int64_t bOut =
                shape.concatFirst ? getShardSize(second, size, r) : second;
            int64_t bOutOff =
                shape.concatFirst ? getShardOffset(second, size, r) : 0;
            std::vector<float> in, expected;
            for (int64_t o = 0; o < shape.outer; ++o)
              for (int64_t a = 0; a < aIn; ++a)
                for (int64_t m = 0; m < shape.middle; ++m)
                  for (int64_t b = 0; b < bIn; ++b)
                    for (int64_t i = 0; i < shape.inner; ++i)
                      in.push_back(wholeIndex(o, aInOff + a, m, bInOff + b, i));
            for (int64_t o = 0; o < shape.outer; ++o)
              for (int64_t a = 0; a < aOut; ++a)
                for (int64_t m = 0; m < shape.middle; ++m)
                  for (int64_t b = 0; b < bOut; ++b)
                    for (int64_t i = 0; i < shape.inner; ++i)
                      expected.push_back(
                          wholeIndex(o, aOutOff + a, m, bOutOff + b, i));
            std::vector<float> out(expected.size(), -1.0f);
            comm.allToAll(in.data(), out.data(), shape);
            ASSERT_EQ(out, expected)
                << "rank " << r << " of " << size << ", " << shape.outer << "x"
                << first << "x" << shape.middle << "x" << second << "x"
                << shape.inner << ", concat "
                << (shape.concatFirst ? "first" : "second");
          });
        }
      }
    }
  }
}

TEST_P(CollectiveTest, BroadcastAndBarrier) {
  int64_t size = GetParam();
  int64_t root = size - 1;
  runRanks(size, [&](Communicator &comm) {
    std::vector<float> buf(33, float(comm.rank()));
    comm.barrier();
    comm.broadcast(buf.data(), 33, root);
    comm.synchronize();
    for (float v : buf)
      ASSERT_EQ(v, float(root));
  });
}

INSTANTIATE_TEST_SUITE_P(Ranks, CollectiveTest,
                         ::testing::ValuesIn(rankCounts()));

//===----------------------------------------------------------------------===//
// Misuse, on the test's backend (two or more ranks)
//===----------------------------------------------------------------------===//

/// The ranks of misuse tests: 2 on threads, the job's size under MPI.
// The pipeline tp-overlap-collectives makes: chunk i + 1 starts before
// chunk i is waited for, so two collectives are in flight, with a blocking
// one in between; every result matches its blocking counterpart.
TEST_P(CollectiveTest, AsyncCollectivesInFlightTogether) {
  int64_t size = GetParam();
  const int64_t chunks = 5, count = 1001, total = 37, inner = 3;
  runRanks(size, [&](Communicator &comm) {
    int64_t r = comm.rank();
    int64_t extent = getShardSize(total, size, r);
    std::vector<std::vector<float>> in(chunks), out(chunks);
    std::vector<int64_t> handles(chunks);
    auto start = [&](int64_t i) {
      if (i % 2 == 0) {
        in[i].resize(count);
        for (int64_t k = 0; k < count; ++k)
          in[i][k] = valueOf(r, k + i);
        out[i].assign(count, -1.0f);
        handles[i] = comm.startAllReduce(in[i].data(), out[i].data(), count,
                                         Reduction::Sum);
      } else {
        in[i].resize(extent * inner);
        for (size_t k = 0; k < in[i].size(); ++k)
          in[i][k] = valueOf(r, k + i);
        out[i].assign(total * inner, -1.0f);
        handles[i] =
            comm.startAllGather(in[i].data(), out[i].data(), 1, extent, inner);
      }
      ASSERT_NE(handles[i], 0) << comm.error();
    };
    auto check = [&](int64_t i) {
      comm.wait(handles[i]);
      ASSERT_FALSE(comm.failed()) << comm.error();
      if (i % 2 == 0) {
        for (int64_t k = 0; k < count; ++k)
          ASSERT_EQ(out[i][k],
                    reduceInOrder(Reduction::Sum, size,
                                  [&](int64_t q) { return valueOf(q, k + i); }))
              << "chunk " << i << " element " << k << " rank " << r;
        return;
      }
      for (int64_t q = 0, j = 0; q < size; ++q)
        for (int64_t k = 0; k < getShardSize(total, size, q) * inner; ++k, ++j)
          ASSERT_EQ(out[i][j], valueOf(q, k + i))
              << "chunk " << i << " rank " << r;
    };
    start(0);
    for (int64_t i = 1; i < chunks; ++i) {
      start(i);
      std::vector<float> sync(3, 1.0f);
      comm.allReduce(sync.data(), sync.data(), 3, Reduction::Sum);
      ASSERT_EQ(sync[0], float(size));
      check(i - 1);
    }
    check(chunks - 1);
  });
}

int64_t misuseRanks() {
  int64_t fixed = test::getFixedDevices();
  return fixed ? fixed : 2;
}

TEST(CommunicatorMisuse, RunsAgainAfterAnError) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP() << "a mismatch needs two ranks";
  Executor &executor = test::getTestExecutor(size);
  bool ok = executor.run([&](Communicator &comm) {
    std::vector<float> a(4, 1.0f);
    comm.allReduce(a.data(), a.data(), comm.rank() == 0 ? 4 : 3,
                   Reduction::Sum);
  });
  EXPECT_FALSE(ok);
  EXPECT_NE(executor.error().find("collective mismatch"), std::string::npos)
      << executor.error();
  // A new run starts afresh: call numbers and the error are forgotten.
  runRanks(size, [&](Communicator &comm) {
    std::vector<float> a(4, 1.0f);
    comm.allReduce(a.data(), a.data(), 4, Reduction::Sum);
    ASSERT_EQ(a[0], float(size));
  });
}

TEST(CommunicatorMisuse, MismatchedOpsNameRankAndOp) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  std::vector<std::string> seen(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> a(4, 1.0f), b(4 * size, 0.0f);
    if (comm.rank() == size - 1)
      comm.allGather(a.data(), b.data(), 1, 4, 1);
    else
      comm.allReduce(a.data(), b.data(), 4, Reduction::Sum);
    // A later call fails at once instead of waiting.
    comm.barrier();
    seen[comm.rank()] = comm.error();
  });
  std::string expected = "collective mismatch: rank 0 called all_reduce "
                         "(call #1, 4 elements, sum) but rank " +
                         std::to_string(size - 1) +
                         " called all_gather (call #1, shard 1x4x1)";
  for (int64_t r : executor.localRanks())
    EXPECT_EQ(seen[r], expected) << "rank " << r;
}

TEST(CommunicatorMisuse, MismatchedSizes) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> a(8, 1.0f);
    comm.allReduce(a.data(), a.data(), comm.rank() == 1 ? 7 : 8,
                   Reduction::Max);
  });
  EXPECT_EQ(executor.error(),
            "collective mismatch: rank 0 called all_reduce (call #1, 8 "
            "elements, max) but rank 1 called all_reduce (call #1, 7 "
            "elements, max)");
}

// An all_gather whose ranks name different results, or whose shards do not
// fill the result they name, fails before any data moves: a rank whose
// result is smaller would be written past its end.
TEST(CommunicatorMisuse, AllGatherResultsThatDisagree) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> in(2, 1.0f), out(4 * size, 0.0f);
    comm.allGather(in.data(), out.data(), 1, 2, 1,
                   comm.rank() == 1 ? 2 * size - 1 : 2 * size);
  });
  EXPECT_EQ(executor.error(),
            "collective mismatch: rank 0 called all_gather (call #1, shard "
            "1x2x1 of 1x" +
                std::to_string(2 * size) +
                "x1) but rank 1 called all_gather (call #1, shard 1x2x1 of "
                "1x" +
                std::to_string(2 * size - 1) + "x1)");
  std::string shards = "2";
  for (int64_t q = 1; q < size; ++q)
    shards += ", 2";
  executor.run([&](Communicator &comm) {
    std::vector<float> in(2, 1.0f), out(4 * size, 0.0f);
    comm.allGather(in.data(), out.data(), 1, 2, 1, 2 * size + 1);
  });
  EXPECT_EQ(executor.error(),
            "collective mismatch: the shards of all_gather (call #1, shard "
            "1x2x1 of 1x" +
                std::to_string(2 * size + 1) + "x1) add up to " +
                std::to_string(2 * size) + " (" + shards +
                " on the ranks in order), not " + std::to_string(2 * size + 1));
}

TEST(CommunicatorMisuse, MismatchedAllToAll) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> in(64, 1.0f), out(64, 0.0f);
    AllToAllShape shape{1, comm.rank() == 1 ? 5 : 4, 1, 6, 1, true};
    comm.allToAll(in.data(), out.data(), shape);
  });
  EXPECT_EQ(executor.error(),
            "collective mismatch: rank 0 called all_to_all (call #1, "
            "1x4x1x6x1, concat first) but rank 1 called all_to_all (call #1, "
            "1x5x1x6x1, concat first)");
}

TEST(CommunicatorMisuse, BroadcastFromARankOutsideTheJob) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> a(3, float(comm.rank()));
    comm.broadcast(a.data(), 3, size);
  });
  EXPECT_EQ(executor.error(),
            "broadcast (call #1, 3 elements from rank " + std::to_string(size) +
                "): there is no rank " + std::to_string(size) +
                " in a job of " + std::to_string(size));
}

TEST(CommunicatorMisuse, RankThatStopsEarlyIsReportedNotAwaited) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  auto start = std::chrono::steady_clock::now();
  executor.run([&](Communicator &comm) {
    comm.barrier();
    if (comm.rank() != 1)
      comm.barrier(); // rank 1 returns after one call
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  if (executor.localRanks().front() == 1 && executor.localRanks().size() == 1)
    return; // the rank that stopped has nothing to report
  std::string error = executor.error();
  EXPECT_NE(error.find("rank 1 finished after 1 collective calls while rank"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("waits in barrier (call #2)"), std::string::npos)
      << error;
}

TEST(CommunicatorMisuse, RankThatFailsIsNamedWithItsReason) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    if (comm.rank() == 1)
      return comm.abort("cannot read its shard of w.safetensors");
    std::vector<float> a(2, 1.0f);
    comm.synchronize();
    comm.allReduce(a.data(), a.data(), 2, Reduction::Sum);
  });
  EXPECT_EQ(executor.error(),
            "rank 1 failed: cannot read its shard of w.safetensors");
}

TEST(CommunicatorMisuse, AsyncMismatchNamesRankAndCall) {
  int64_t size = misuseRanks();
  if (size < 2)
    GTEST_SKIP();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> a(8, 1.0f), b(8, 0.0f);
    int64_t h = comm.startAllReduce(a.data(), b.data(),
                                    comm.rank() == 1 ? 7 : 8, Reduction::Sum);
    comm.wait(h);
  });
  EXPECT_EQ(executor.error(),
            "collective mismatch: rank 0 called all_reduce (call #1, 8 "
            "elements, sum) but rank 1 called all_reduce (call #1, 7 "
            "elements, sum)");
}

TEST(CommunicatorMisuse, AsyncWaitOutOfOrder) {
  int64_t size = misuseRanks();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> a(4, 1.0f), b(4), c(4);
    int64_t first = comm.startAllReduce(a.data(), b.data(), 4, Reduction::Sum);
    int64_t second = comm.startAllReduce(a.data(), c.data(), 4, Reduction::Sum);
    comm.wait(second);
    comm.wait(first);
  });
  std::string error = executor.error();
  EXPECT_NE(error.find("tp.wait on asynchronous collective #2, but #1 is the "
                       "oldest in flight; collectives complete in the order "
                       "they start"),
            std::string::npos)
      << error;
}

TEST(CommunicatorMisuse, AsyncTooManyInFlight) {
  int64_t size = misuseRanks();
  Executor &executor = test::getTestExecutor(size);
  executor.run([&](Communicator &comm) {
    std::vector<float> a(4, 1.0f);
    std::vector<std::vector<float>> outs(5, std::vector<float>(4));
    for (auto &out : outs)
      comm.startAllReduce(a.data(), out.data(), 4, Reduction::Sum);
  });
  std::string error = executor.error();
  EXPECT_NE(error.find("an asynchronous collective was started with 3 "
                       "already in flight; at most 3 may be"),
            std::string::npos)
      << error;
}

//===----------------------------------------------------------------------===//
// Threads only: timeouts (under MPI a timeout ends the job; a lit test
// covers it)
//===----------------------------------------------------------------------===//

TEST(ThreadsMisuse, LateRankTimesOut) {
  if (!onThreads())
    GTEST_SKIP();
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

TEST(ThreadsMisuse, SynchronizeHasNoTimeLimit) {
  if (!onThreads())
    GTEST_SKIP();
  auto group = ThreadGroup::create(2, std::chrono::milliseconds(50));
  bool ok = group->run([&](Communicator &comm) {
    if (comm.rank() == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    comm.synchronize();
  });
  EXPECT_TRUE(ok) << group->error();
}
TEST(ThreadsMisuse, AsyncWaitTimesOutOnALateRank) {
  if (!onThreads())
    GTEST_SKIP();
  auto group = ThreadGroup::create(2, std::chrono::milliseconds(100));
  group->run([&](Communicator &comm) {
    if (comm.rank() == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::vector<float> a(2, 1.0f), b(2);
    comm.wait(comm.startAllReduce(a.data(), b.data(), 2, Reduction::Sum));
  });
  EXPECT_EQ(group->communicator(0).error(),
            "rank 0 timed out after 100 ms in all_reduce (call #1, 2 "
            "elements, sum) waiting for rank(s) 1");
}

TEST(ThreadsMisuse, AsyncWaitOnARankThatFinished) {
  if (!onThreads())
    GTEST_SKIP();
  auto group = ThreadGroup::create(2);
  auto start = std::chrono::steady_clock::now();
  group->run([&](Communicator &comm) {
    if (comm.rank() == 1)
      return;
    std::vector<float> a(2, 1.0f), b(2);
    comm.wait(comm.startAllReduce(a.data(), b.data(), 2, Reduction::Sum));
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(group->error(), "rank 1 finished after 0 collective calls while "
                            "rank 0 waits in all_reduce (call #1, 2 elements, "
                            "sum)");
}
TEST(ThreadsMisuse, AsyncAbortBetweenStartAndWait) {
  if (!onThreads())
    GTEST_SKIP();
  auto group = ThreadGroup::create(2);
  auto start = std::chrono::steady_clock::now();
  group->run([&](Communicator &comm) {
    std::vector<float> a(1024, 1.0f), b(1024);
    int64_t h = comm.startAllReduce(a.data(), b.data(), 1024, Reduction::Sum);
    if (comm.rank() == 1)
      return comm.abort("cannot read its input");
    comm.wait(h);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(group->error(), "rank 1 failed: cannot read its input");
}

TEST(ThreadsMisuse, AsyncFinishWithCollectivesInFlight) {
  if (!onThreads())
    GTEST_SKIP();
  auto group = ThreadGroup::create(2);
  auto start = std::chrono::steady_clock::now();
  // The buffers outlive the run: rank 1 returns without its wait, and
  // rank 0 may still be reading rank 1's input when it does.
  std::vector<std::vector<float>> a(2, std::vector<float>(4, 1.0f)),
      b(2, std::vector<float>(4));
  group->run([&](Communicator &comm) {
    int64_t r = comm.rank();
    int64_t h =
        comm.startAllReduce(a[r].data(), b[r].data(), 4, Reduction::Sum);
    if (r == 0)
      comm.wait(h);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(group->error(),
            "rank 1 failed: finished with 1 asynchronous collective(s) in "
            "flight; every start needs its wait");
}
} // namespace
