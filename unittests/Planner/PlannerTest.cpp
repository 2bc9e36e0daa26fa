//===- PlannerTest.cpp - the planner is exact -----------------------------===//
//
// The dynamic program against enumerating every assignment, on random
// chains of 1 to 8 layers with random widths (below and above D), batches,
// device counts, machine profiles, hand-fixed layers and memory limits
// (feasible and not).
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Planner/Planner.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

using namespace mlir::tp;
using namespace mlir::tp::plan;

namespace {
constexpr ShardingKind kAll[] = {ShardingKind::row, ShardingKind::column,
                                 ShardingKind::replicated, ShardingKind::batch};
constexpr int kNumChoices = 4;

MachineProfile randomProfile(std::mt19937_64 &rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  MachineProfile p;
  double flops = 1e3;
  int points = 1 + int(rng() % 4);
  for (int c = 0; c < points; ++c) {
    flops *= 10 + 1000 * unit(rng);
    p.gemm.push_back({flops, 1e9 * (1 + 200 * unit(rng))});
  }
  double rows = 1;
  int rowPoints = 1 + int(rng() % 3);
  for (int c = 0; c < rowPoints; ++c) {
    rows *= 2 + 30 * unit(rng);
    p.gemmRows.push_back({rows, 1e9 * (1 + 200 * unit(rng))});
  }
  double width = 1;
  int widthPoints = int(rng() % 3);
  for (int c = 0; c < widthPoints; ++c) {
    width *= 2 + 30 * unit(rng);
    p.gemmWidth.push_back({width, 1e9 * (1 + 200 * unit(rng))});
  }
  p.gemmBytesPerSecond = 1e9 * (1 + 100 * unit(rng));
  // Sometimes the streaming rate by size.
  double bytes = 1;
  int streamPoints = int(rng() % 3);
  for (int c = 0; c < streamPoints; ++c) {
    bytes *= 4 + 1000 * unit(rng);
    p.gemmStream.push_back({bytes, 1e9 * (1 + 100 * unit(rng))});
  }
  // Sometimes a single row's rate by size.
  bytes = 1;
  int singleRowPoints = int(rng() % 3);
  for (int c = 0; c < singleRowPoints; ++c) {
    bytes *= 4 + 1000 * unit(rng);
    p.gemmSingleRow.push_back({bytes, 1e9 * (1 + 100 * unit(rng))});
  }
  // Sometimes the generated matmul's output blocks, with a cache small
  // enough for the chains' slices to reach.
  if (rng() % 2)
    p.outputBlocks = MachineProfile::OutputBlocks{
        double(1 << 16) * (1 + 1000 * unit(rng)), int64_t(4) << (rng() % 3),
        1e9 * (1 + 100 * unit(rng))};
  // Sometimes sgemm's packing buffer, from small to larger than the
  // chains' weights.
  if (rng() % 2)
    p.blasWorkspace = MachineProfile::BLASWorkspace{1 + int64_t(rng() % 4096),
                                                    1 + int64_t(rng() % 4096)};
  for (double &e : p.epilogueSecondsPerElement)
    e = 1e-10 * (1 + 100 * unit(rng));
  p.rowOpSecondsPerElement = 1e-9 * (0.5 + 20 * unit(rng));
  p.collectiveLatency = 1e-7 * (1 + 1000 * unit(rng));
  p.collectiveBytesPerSecond = 1e8 * (1 + 1000 * unit(rng));
  // Some collectives priced by size.
  for (auto &points : p.collectiveBandwidth) {
    double bytes = 1;
    int n = int(rng() % 4);
    for (int c = 0; c < n; ++c) {
      bytes *= 4 + 1000 * unit(rng);
      points.push_back({bytes, 1e8 * (1 + 1000 * unit(rng))});
    }
  }
  return p;
}

Chain randomChain(std::mt19937_64 &rng) {
  Chain c;
  c.devices = 1 + int64_t(rng() % 8);
  c.batch = 1 + int64_t(rng() % 4096);
  c.matmul = MatmulLowering(rng() % 3);
  int layers = 1 + int(rng() % 8);
  int64_t width = 1 + int64_t(rng() % 3000);
  for (int i = 0; i < layers; ++i) {
    Layer l;
    l.in = width;
    width = rng() % 5 == 0 ? 1 + int64_t(rng() % 8) : 1 + int64_t(rng() % 3000);
    l.out = width;
    l.bias = rng() % 4 != 0;
    l.activation = ActivationKind(rng() % kNumActivationKinds);
    if (rng() % 5 == 0)
      l.separate.push_back(ActivationKind(rng() % kNumActivationKinds));
    if (rng() % 6 == 0)
      l.fixed = kAll[rng() % kNumChoices];
    l.rowOps = rng() % 7 == 0 ? 1 + rng() % 2 : 0;
    c.layers.push_back(l);
  }
  return c;
}

/// Every assignment's plan, honouring fixed layers and, where given,
/// `keep`.
std::vector<Plan> everyPlan(
    const Chain &c, const MachineProfile &p,
    const std::function<bool(const std::vector<ShardingKind> &)> &keep = {}) {
  size_t n = c.layers.size();
  std::vector<Plan> plans;
  std::vector<int> digit(n, 0);
  std::vector<ShardingKind> choices(n);
  while (true) {
    bool ok = true;
    for (size_t i = 0; i < n; ++i) {
      choices[i] = kAll[digit[i]];
      if (c.layers[i].fixed && *c.layers[i].fixed != choices[i])
        ok = false;
    }
    if (ok && (!keep || keep(choices)))
      plans.push_back(evaluate(c, p, choices));
    size_t i = 0;
    while (i < n && ++digit[i] == kNumChoices)
      digit[i++] = 0;
    if (i == n)
      break;
  }
  return plans;
}

/// Bytes as the planner's messages print them (KiB, MiB or GiB).
std::string mib(uint64_t bytes) {
  double b = double(bytes);
  if (b >= 1024.0 * 1024 * 1024)
    return llvm::formatv("{0:F2} GiB", b / (1024.0 * 1024 * 1024)).str();
  if (b >= 1024.0 * 1024 || b == 0)
    return llvm::formatv("{0:F1} MiB", b / (1024.0 * 1024)).str();
  return llvm::formatv("{0:F1} KiB", b / 1024.0).str();
}

/// The best plan by trying every assignment; nullopt when none fits.
std::optional<Plan> exhaustive(const Chain &c, const MachineProfile &p,
                               uint64_t limit) {
  std::optional<Plan> best;
  for (Plan &plan : everyPlan(c, p))
    if ((!limit || plan.peakBytes <= limit) &&
        (!best || plan.seconds < best->seconds))
      best = std::move(plan);
  return best;
}

TEST(PlannerTest, DynamicProgramEqualsExhaustiveEnumeration) {
  std::mt19937_64 rng(20261202);
  int feasible = 0, infeasible = 0, limited = 0;
  for (int trial = 0; trial < 600; ++trial) {
    Chain c = randomChain(rng);
    MachineProfile p = randomProfile(rng);
    // No limit, or one between the smallest and the largest plan.
    uint64_t limit = 0;
    if (trial % 3) {
      std::optional<Plan> any = exhaustive(c, p, 0);
      ASSERT_TRUE(any);
      uint64_t lo = std::numeric_limits<uint64_t>::max(), hi = 0;
      for (ShardingKind k : kAll) {
        std::vector<ShardingKind> same(c.layers.size(), k);
        for (size_t i = 0; i < c.layers.size(); ++i)
          if (c.layers[i].fixed)
            same[i] = *c.layers[i].fixed;
        uint64_t bytes = evaluate(c, p, same).peakBytes;
        lo = std::min(lo, bytes);
        hi = std::max(hi, bytes);
      }
      limit = lo / 2 + rng() % (hi - lo / 2 + 1);
      ++limited;
    }
    std::optional<Plan> expected = exhaustive(c, p, limit);
    llvm::Expected<Plan> found = planChain(c, p, limit);
    if (!expected) {
      ++infeasible;
      ASSERT_FALSE(static_cast<bool>(found)) << "trial " << trial;
      // The error names the smallest plan's bytes, found although the
      // program drops partial plans that cannot fit.
      uint64_t smallest = std::numeric_limits<uint64_t>::max();
      for (const Plan &plan : everyPlan(c, p))
        smallest = std::min(smallest, plan.peakBytes);
      std::string message = llvm::toString(found.takeError());
      EXPECT_NE(message.find("the smallest needs " + mib(smallest)),
                std::string::npos)
          << "trial " << trial << ": " << message;
      continue;
    }
    ++feasible;
    ASSERT_TRUE(static_cast<bool>(found))
        << "trial " << trial << ": " << llvm::toString(found.takeError());
    EXPECT_NEAR(found->seconds, expected->seconds,
                1e-9 * expected->seconds + 1e-15)
        << "trial " << trial;
    if (limit)
      EXPECT_LE(found->peakBytes, limit);
    for (size_t i = 0; i < c.layers.size(); ++i)
      if (c.layers[i].fixed)
        EXPECT_EQ(found->choices[i], *c.layers[i].fixed);
    // The plan's own cost is what evaluate says of its choices.
    EXPECT_NEAR(evaluate(c, p, found->choices).seconds, found->seconds,
                1e-12 * found->seconds + 1e-15);
    // Each runner-up is the fastest plan that changes that layer's choice
    // (without a limit, runnersUp takes a shortcut: check it against a
    // program per layer and choice).
    std::vector<std::optional<Plan>> second = runnersUp(c, p, *found, limit);
    for (size_t i = 0; i < c.layers.size(); ++i) {
      std::optional<double> fastest;
      if (!c.layers[i].fixed)
        for (ShardingKind k : kAll) {
          if (k == found->choices[i])
            continue;
          Chain other = c;
          other.layers[i].fixed = k;
          llvm::Expected<Plan> plan = planChain(other, p, limit);
          if (!plan) {
            llvm::consumeError(plan.takeError());
            continue;
          }
          if (!fastest || plan->seconds < *fastest)
            fastest = plan->seconds;
        }
      ASSERT_EQ(second[i].has_value(), fastest.has_value())
          << "trial " << trial << " layer " << i;
      if (fastest) {
        EXPECT_NEAR(second[i]->seconds, *fastest, 1e-9 * *fastest + 1e-15)
            << "trial " << trial << " layer " << i;
        EXPECT_NE(second[i]->choices[i], found->choices[i]);
      }
    }
  }
  // The trials exercised both outcomes and the limit.
  EXPECT_GT(feasible, 300);
  EXPECT_GT(infeasible, 5);
  EXPECT_GT(limited, 300);
}

/// Whether `choices` split each shared weight and each shared bias one way,
/// as tp-partition requires.
bool honoursTies(const Chain &c, const std::vector<ShardingKind> &choices) {
  auto alike = [&](const std::vector<std::vector<size_t>> &groups,
                   std::optional<int64_t> (*splitDim)(ShardingKind)) {
    for (const std::vector<size_t> &group : groups)
      for (size_t i : group)
        if (splitDim(choices[i]) != splitDim(choices[group.front()]))
          return false;
    return true;
  };
  return alike(c.tiedWeights, getWeightSplitDim) &&
         alike(c.tiedBiases, getBiasSplitDim);
}

TEST(PlannerTest, SharedArgumentsTakeOneSplit) {
  // Square layers whose weights and biases are drawn from a few arguments.
  // Up to 81 combinations of the groups' splits, the planner tries each:
  // its plan is the fastest of those that honour the ties. Beyond, it
  // holds one group at a time: its plan honours them.
  std::mt19937_64 rng(20261207);
  int enumerated = 0, heldOneAtATime = 0;
  for (int trial = 0; trial < 400; ++trial) {
    Chain c;
    c.devices = 2 + int64_t(rng() % 7);
    c.batch = 1 + int64_t(rng() % 2048);
    c.matmul = MatmulLowering(rng() % 3);
    size_t n = 2 + rng() % 7;
    int64_t width = 1 + int64_t(rng() % 2048);
    size_t weights = 1 + rng() % n, biases = 1 + rng() % n;
    if (trial % 2) {
      // Pairs of layers, most of them tied, to reach past 81.
      weights = (n + 1) / 2;
      biases = 1 + rng() % 3;
    }
    std::vector<std::vector<size_t>> byWeight(weights), byBias(biases);
    for (size_t i = 0; i < n; ++i) {
      Layer l;
      l.in = l.out = width;
      l.activation = ActivationKind(rng() % kNumActivationKinds);
      c.layers.push_back(l);
      byWeight[trial % 2 ? i / 2 : rng() % weights].push_back(i);
      byBias[rng() % biases].push_back(i);
    }
    uint64_t combinations = 1;
    for (auto [groups, tied, classes] :
         {std::tuple{&byWeight, &c.tiedWeights, 3},
          std::tuple{&byBias, &c.tiedBiases, 2}})
      for (std::vector<size_t> &group : *groups)
        if (group.size() > 1) {
          tied->push_back(group);
          combinations *= classes;
        }
    MachineProfile p = randomProfile(rng);
    llvm::Expected<Plan> found = planChain(c, p);
    ASSERT_TRUE(static_cast<bool>(found))
        << "trial " << trial << ": " << llvm::toString(found.takeError());
    EXPECT_TRUE(honoursTies(c, found->choices)) << "trial " << trial;
    EXPECT_NEAR(evaluate(c, p, found->choices).seconds, found->seconds,
                1e-12 * found->seconds + 1e-15);
    if (combinations > 81) {
      ++heldOneAtATime;
      continue;
    }
    ++enumerated;
    // Every assignment that honours the ties, priced.
    std::optional<double> fastest;
    for (const Plan &plan :
         everyPlan(c, p, [&](const std::vector<ShardingKind> &choices) {
           return honoursTies(c, choices);
         }))
      if (!fastest || plan.seconds < *fastest)
        fastest = plan.seconds;
    ASSERT_TRUE(fastest);
    EXPECT_NEAR(found->seconds, *fastest, 1e-9 * *fastest + 1e-15)
        << "trial " << trial;
  }
  EXPECT_GT(enumerated, 150);
  EXPECT_GT(heldOneAtATime, 50);
}

/// A chain of `layers` layers of random widths 1 to 512 at D = 3, batch 64.
Chain longVariedChain(int layers, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Chain c;
  c.devices = 3;
  c.batch = 64;
  int64_t width = 1 + int64_t(rng() % 512);
  for (int i = 0; i < layers; ++i) {
    Layer l;
    l.in = width;
    width = 1 + int64_t(rng() % 512);
    l.out = width;
    c.layers.push_back(l);
  }
  return c;
}

TEST(PlannerTest, LongChainsPlanFastOrSayWhyNot) {
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  // Without a limit, or under one the fastest plan meets, a long chain
  // needs one partial plan per state; its runners-up are exact too.
  Chain c = longVariedChain(1000, 7);
  llvm::Expected<Plan> fastest = planChain(c, p);
  ASSERT_TRUE(static_cast<bool>(fastest))
      << llvm::toString(fastest.takeError());
  llvm::Expected<Plan> loose = planChain(c, p, fastest->peakBytes);
  ASSERT_TRUE(static_cast<bool>(loose)) << llvm::toString(loose.takeError());
  EXPECT_EQ(loose->choices, fastest->choices);
  std::vector<std::optional<Plan>> second = runnersUp(c, p, *fastest);
  for (size_t i = 0; i < c.layers.size(); ++i) {
    ASSERT_TRUE(second[i].has_value());
    EXPECT_GE(second[i]->seconds, fastest->seconds * (1 - 1e-12));
  }
  // Under binding limits (the smallest plan needs about 96.4% of the
  // fastest's bytes here), each answer is a plan within the limit, no
  // faster than the fastest, or one of the two errors: none fits, or the
  // fronts grew too large to search exactly. All three occur in the sweep:
  // too large from just above the smallest to 98% (sgemm's packing buffer,
  // which each partial plan carries as the largest so far, keeps more of
  // them apart), planned above.
  Chain shorter = longVariedChain(400, 7);
  llvm::Expected<Plan> free = planChain(shorter, p);
  ASSERT_TRUE(static_cast<bool>(free));
  int planned = 0, tooMany = 0, none = 0;
  for (double fraction = 0.9575; fraction < 1.0; fraction += 0.0025) {
    uint64_t limit = uint64_t(fraction * double(free->peakBytes));
    llvm::Expected<Plan> plan = planChain(shorter, p, limit);
    if (plan) {
      ++planned;
      EXPECT_LE(plan->peakBytes, limit);
      EXPECT_GE(plan->seconds, free->seconds * (1 - 1e-12));
      continue;
    }
    std::string message = llvm::toString(plan.takeError());
    if (message.find("too many to search exactly") != std::string::npos)
      ++tooMany;
    else if (message.find("no plan fits") != std::string::npos)
      ++none;
    else
      ADD_FAILURE() << message;
  }
  EXPECT_GT(planned, 0);
  EXPECT_GT(tooMany, 0);
  EXPECT_GT(none, 0);
}

TEST(PlannerTest, CollectivesFollowThePartitioner) {
  Chain c;
  c.devices = 4;
  c.batch = 8;
  c.layers = {{64, 64}, {64, 64}, {64, 64}};
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  using K = ShardingKind;
  Plan rc = evaluate(c, p, {K::row, K::column, K::replicated});
  EXPECT_EQ(rc.layers[0].collective, ""); // paired with the column layer
  EXPECT_EQ(rc.layers[1].collective, "all_reduce");
  EXPECT_EQ(rc.layers[2].collective, "");
  Plan cc = evaluate(c, p, {K::column, K::column, K::row});
  EXPECT_EQ(cc.layers[0].collective, "reduce_scatter");
  EXPECT_EQ(cc.layers[1].collective, "all_reduce");
  EXPECT_EQ(cc.layers[2].collective, "all_gather");
  // The batch split: all_to_all to and from a feature split, a
  // reduce_scatter along the batch after a column layer, nothing between
  // batch layers, and a gather at the end.
  Plan bc = evaluate(c, p, {K::batch, K::column, K::batch});
  EXPECT_EQ(bc.layers[0].collective, "all_to_all");
  EXPECT_EQ(bc.layers[1].collective, "reduce_scatter");
  EXPECT_EQ(bc.layers[2].collective, "all_gather");
  Plan rb = evaluate(c, p, {K::row, K::batch, K::batch});
  EXPECT_EQ(rb.layers[0].collective, "all_to_all");
  EXPECT_EQ(rb.layers[1].collective, "");
  // An all_to_all moves 1/D of what an all_gather of the same tensor does.
  EXPECT_EQ(bc.layers[0].collectiveBytes, cc.layers[2].collectiveBytes);
  EXPECT_LT(bc.layers[0].communication, cc.layers[2].communication);
  // A softmax after a layer needs whole rows: no pairing across it (the
  // column layer after it starts from a replicated input), while a split
  // of the batch, which holds whole rows, goes on as it would.
  Plan rr = evaluate(c, p, {K::row, K::row, K::row});
  Plan bb = evaluate(c, p, {K::batch, K::batch, K::batch});
  c.layers[0].rowOps = 1;
  // The softmax's output is live beside the rows it reads: the gathered
  // output of a row layer, a batch split's own rows.
  EXPECT_EQ(evaluate(c, p, {K::row, K::row, K::row}).layers[0].activationBytes,
            rr.layers[0].activationBytes +
                4 * uint64_t(c.batch) * c.layers[0].out);
  EXPECT_EQ(
      evaluate(c, p, {K::batch, K::batch, K::batch}).layers[0].activationBytes,
      bb.layers[0].activationBytes +
          4 * uint64_t(c.batch / c.devices) * c.layers[0].out);
  Plan rcWhole = evaluate(c, p, {K::row, K::column, K::replicated});
  EXPECT_EQ(rcWhole.layers[0].collective, "all_gather");
  EXPECT_EQ(rcWhole.layers[1].collective, "all_reduce");
  Plan ccWhole = evaluate(c, p, {K::column, K::column, K::row});
  EXPECT_EQ(ccWhole.layers[0].collective, "all_reduce");
  EXPECT_GT(rcWhole.seconds, rc.seconds);
  Plan bbWhole = evaluate(c, p, {K::batch, K::batch, K::batch});
  EXPECT_EQ(bbWhole.layers[0].collective, "");
  EXPECT_EQ(evaluate(c, p, {K::row, K::batch, K::batch}).layers[0].collective,
            "all_to_all");
  EXPECT_EQ(
      evaluate(c, p, {K::column, K::batch, K::batch}).layers[0].collective,
      "reduce_scatter");
  EXPECT_EQ(
      evaluate(c, p, {K::batch, K::column, K::batch}).layers[0].collective,
      "all_to_all");
  c.layers[0].rowOps = 0;
  c.devices = 1;
  EXPECT_EQ(evaluate(c, p, {K::row, K::row, K::row}).layers[0].communication,
            0);
}

TEST(PlannerTest, BatchSplitWinsForNarrowLayersAtLargeBatch) {
  Chain c;
  c.devices = 2;
  c.batch = 8192;
  for (int i = 0; i < 4; ++i)
    c.layers.push_back({256, 256});
  llvm::Expected<Plan> plan =
      planChain(c, MachineProfile::builtinDefault(MatmulLowering::blas));
  ASSERT_TRUE(static_cast<bool>(plan));
  for (ShardingKind k : plan->choices)
    EXPECT_EQ(k, ShardingKind::batch);
}

TEST(PlannerTest, LayersNarrowerThanTheWidthPointsSplitTheBatch) {
  // 1024 -> 4 -> 1024 at batch 2048: below the narrowest width measured
  // (8), a GEMM's time is reading its x, not its FLOPs (W's streaming, a
  // few KiB, differs). A row split of the 4-wide layer leaves each rank
  // all of x, a batch split half of it.
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  ASSERT_FALSE(p.gemmWidth.empty());
  EXPECT_NEAR(p.gemmSeconds(2048, 2, 1024), p.gemmSeconds(2048, 4, 1024),
              0.001 * p.gemmSeconds(2048, 4, 1024));
  EXPECT_NEAR(p.gemmSeconds(2048, 4, 1024), p.gemmSeconds(2048, 8, 1024),
              0.001 * p.gemmSeconds(2048, 8, 1024));
  EXPECT_LT(p.gemmSeconds(1024, 4, 1024), p.gemmSeconds(2048, 2, 1024) * 0.6);
  Chain c;
  c.devices = 2;
  c.batch = 2048;
  c.layers.push_back({1024, 4});
  c.layers.push_back({4, 1024});
  llvm::Expected<Plan> plan = planChain(c, p);
  ASSERT_TRUE(static_cast<bool>(plan));
  EXPECT_EQ(plan->choices[0], ShardingKind::batch);
}

TEST(PlannerTest, WideSoftmaxRunsOnAShardOfTheRows) {
  // 256 -> 8192 then a softmax at batch 2048: a row split gathers the
  // output and runs the softmax on every row on each rank; a batch split
  // runs it on half of them, which outweighs its weights' streaming.
  Chain c;
  c.devices = 2;
  c.batch = 2048;
  c.layers.push_back({256, 8192});
  c.layers[0].rowOps = 1;
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  llvm::Expected<Plan> plan = planChain(c, p);
  ASSERT_TRUE(static_cast<bool>(plan));
  EXPECT_EQ(plan->choices[0], ShardingKind::batch);
  Plan row = evaluate(c, p, {ShardingKind::row});
  // The softmax's share: every row on a row split, half on a batch split.
  c.layers[0].rowOps = 0;
  double elements = 2048.0 * 8192;
  EXPECT_NEAR(row.seconds - evaluate(c, p, {ShardingKind::row}).seconds,
              elements * p.rowOpSecondsPerElement, 1e-9);
  EXPECT_NEAR(plan->seconds - evaluate(c, p, {ShardingKind::batch}).seconds,
              elements / 2 * p.rowOpSecondsPerElement, 1e-9);
}

TEST(PlannerTest, TensorParallelismWinsForWideLayersAtSmallBatch) {
  Chain c;
  c.devices = 2;
  c.batch = 8;
  for (int i = 0; i < 4; ++i)
    c.layers.push_back({8192, 8192});
  llvm::Expected<Plan> plan =
      planChain(c, MachineProfile::builtinDefault(MatmulLowering::blas));
  ASSERT_TRUE(static_cast<bool>(plan));
  for (ShardingKind k : plan->choices)
    EXPECT_NE(k, ShardingKind::replicated);
}

TEST(PlannerTest, MemoryLimitForcesSplitsOrFailsClearly) {
  Chain c;
  c.devices = 4;
  c.batch = 4;
  c.layers = {{1024, 1024}, {1024, 1024}};
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  // Latency-dominated: replicated is fastest without a limit.
  p.collectiveLatency = 1;
  llvm::Expected<Plan> free = planChain(c, p);
  ASSERT_TRUE(static_cast<bool>(free));
  EXPECT_EQ(free->choices[0], ShardingKind::replicated);
  uint64_t limit = free->peakBytes / 2;
  llvm::Expected<Plan> tight = planChain(c, p, limit);
  ASSERT_TRUE(static_cast<bool>(tight));
  EXPECT_LE(tight->peakBytes, limit);
  llvm::Expected<Plan> none = planChain(c, p, 1024);
  ASSERT_FALSE(static_cast<bool>(none));
  EXPECT_EQ(llvm::toString(none.takeError()),
            "no plan fits the memory limit of 1.0 KiB per device: the "
            "smallest needs 2.4 MiB (weight shards, the input, the live "
            "activations and sgemm's packing buffer at batch 4)");
  // Without the packing buffer the same plans need its bytes less: the
  // smallest, a row split, packs 320 steps of K by 4 rows of x and 256 of
  // W, and the message leaves the buffer out.
  p.blasWorkspace.reset();
  llvm::Expected<Plan> unpacked = planChain(c, p, 1024);
  ASSERT_FALSE(static_cast<bool>(unpacked));
  EXPECT_EQ(llvm::toString(unpacked.takeError()),
            "no plan fits the memory limit of 1.0 KiB per device: the "
            "smallest needs 2.1 MiB (weight shards, the input and the live "
            "activations at batch 4)");
}

TEST(PlannerTest, GeneratedMatmulsCountTheirPackedBuffers) {
  Chain c;
  c.devices = 2;
  c.batch = 4096;
  c.layers = {{2048, 2048}};
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  auto live = [&](MatmulLowering matmul, ShardingKind k) {
    c.matmul = matmul;
    return evaluate(c, p, {k}).layers[0].activationBytes;
  };
  constexpr uint64_t MiB = 1 << 20;
  // The packed result's rows pad to panels of 16 or of 6, whichever is
  // more (the model serves both register tiles): 4096 rows pad to 4098,
  // 2048 to 2052; each of the result's two copies grows by those rows.
  auto padding = [](uint64_t rows, uint64_t cols) {
    return 2 * rows * cols * 4;
  };
  // Replicated: a 32 MiB result, packed (32 MiB) and transposed on its way
  // out (32 MiB more), beside the 32 MiB output; sgemm writes the output.
  EXPECT_EQ(live(MatmulLowering::blas, ShardingKind::replicated), 32 * MiB);
  EXPECT_EQ(live(MatmulLowering::codegen, ShardingKind::replicated),
            96 * MiB + padding(2, 2048));
  // auto leaves a result this large to sgemm (8M outputs over both
  // devices, kAutoCodegenMaxOutputs is 2M); at 256 rows (1M) it generates.
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::replicated),
            32 * MiB);
  c.batch = 256;
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::replicated),
            live(MatmulLowering::codegen, ShardingKind::replicated));
  EXPECT_GT(live(MatmulLowering::automatic, ShardingKind::replicated),
            live(MatmulLowering::blas, ShardingKind::replicated));
  // A row split's result is half as wide: 2M outputs over both at 1024
  // rows, the limit, and sgemm's; at 1023, generated. Followed by a column
  // layer, nothing is gathered after it, so its scratch shows.
  auto firstOfPair = [&](MatmulLowering matmul) {
    Chain pair = c;
    pair.matmul = matmul;
    pair.layers = {{2048, 2048}, {2048, 2048}};
    return evaluate(pair, p, {ShardingKind::row, ShardingKind::column})
        .layers[0]
        .activationBytes;
  };
  c.batch = 1024;
  EXPECT_EQ(firstOfPair(MatmulLowering::automatic),
            firstOfPair(MatmulLowering::blas));
  c.batch = 1023;
  EXPECT_EQ(firstOfPair(MatmulLowering::automatic),
            firstOfPair(MatmulLowering::codegen));
  EXPECT_GT(firstOfPair(MatmulLowering::codegen),
            firstOfPair(MatmulLowering::blas));
  // An uneven batch split: 512 and 511 rows of 2048 per rank; the
  // smaller rank generates, so its scratch is counted.
  c.batch = 1023;
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::batch),
            live(MatmulLowering::codegen, ShardingKind::batch));
  c.batch = 1024;
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::batch),
            live(MatmulLowering::blas, ShardingKind::batch));
  // A batch split's result is as wide but has half the rows: 511 of 2048
  // per rank is just under the limit, and generated.
  c.batch = 1022;
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::batch),
            live(MatmulLowering::codegen, ShardingKind::batch));
  c.batch = 4096;
  // Column: the contiguous copy of x's 16 MiB slice too; the all_reduce's
  // 32 MiB result comes after the scratch is freed.
  EXPECT_EQ(live(MatmulLowering::blas, ShardingKind::column), 64 * MiB);
  EXPECT_EQ(live(MatmulLowering::codegen, ShardingKind::column),
            112 * MiB + padding(2, 2048));
  // Row: the scratch, the padded 16 MiB result twice, against the
  // all_gather's 32 MiB result, which comes after it: the larger counts
  // (the scratch, by its padding), not the sum.
  EXPECT_EQ(live(MatmulLowering::codegen, ShardingKind::row),
            live(MatmulLowering::blas, ShardingKind::row) + padding(2, 1024));
  // Batch: 2048 rows each; the 16 MiB result twice and the copy of the
  // rank's 16 MiB of x, beside the 16 MiB output (the end's all_gather of
  // 32 MiB is smaller).
  EXPECT_EQ(live(MatmulLowering::blas, ShardingKind::batch), 48 * MiB);
  EXPECT_EQ(live(MatmulLowering::codegen, ShardingKind::batch),
            64 * MiB + padding(4, 2048));
  // auto leaves narrow layers to sgemm, but generates an uneven split,
  // whose width is not known statically (at 256 rows, under the size rule).
  c.batch = 256;
  c.layers = {{2048, 200}};
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::replicated),
            live(MatmulLowering::blas, ShardingKind::replicated));
  EXPECT_GT(live(MatmulLowering::codegen, ShardingKind::replicated),
            live(MatmulLowering::blas, ShardingKind::replicated));
  c.layers = {{2048, 513}};
  EXPECT_GT(live(MatmulLowering::automatic, ShardingKind::row),
            live(MatmulLowering::blas, ShardingKind::row));
  c.layers = {{2048, 500}};
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::row),
            live(MatmulLowering::blas, ShardingKind::row));
  // The same on the in-features: a column split of 301 is uneven, of 300
  // static and below the line; 200 in-features are narrow unsplit.
  c.layers = {{301, 2048}};
  EXPECT_GT(live(MatmulLowering::automatic, ShardingKind::column),
            live(MatmulLowering::blas, ShardingKind::column));
  c.layers = {{300, 2048}};
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::column),
            live(MatmulLowering::blas, ShardingKind::column));
  c.layers = {{200, 2048}};
  EXPECT_EQ(live(MatmulLowering::automatic, ShardingKind::replicated),
            live(MatmulLowering::blas, ShardingKind::replicated));
  // So a limit that the sgemm plan meets can be one no generated plan
  // fits.
  c.batch = 4096;
  c.layers = {{2048, 2048}};
  c.layers[0].fixed = ShardingKind::replicated;
  c.matmul = MatmulLowering::blas;
  llvm::Expected<Plan> blas = planChain(c, p);
  ASSERT_TRUE(static_cast<bool>(blas));
  ASSERT_TRUE(static_cast<bool>(planChain(c, p, blas->peakBytes)));
  c.matmul = MatmulLowering::codegen;
  llvm::Expected<Plan> generated = planChain(c, p, blas->peakBytes);
  ASSERT_FALSE(static_cast<bool>(generated));
  EXPECT_NE(llvm::toString(generated.takeError())
                .find("no plan fits the memory limit of 85.8 MiB per "
                      "device: the smallest needs 144.0 MiB"),
            std::string::npos);
}

TEST(PlannerTest, ProfilesRoundTripAndBadOnesAreErrors) {
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  llvm::Expected<MachineProfile> back = MachineProfile::fromJSON(p.toJSON());
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->gemm.size(), p.gemm.size());
  EXPECT_DOUBLE_EQ(back->collectiveLatency, p.collectiveLatency);
  EXPECT_DOUBLE_EQ(back->rowOpSecondsPerElement, p.rowOpSecondsPerElement);
  EXPECT_DOUBLE_EQ(back->gemmSeconds(100, 100, 100),
                   p.gemmSeconds(100, 100, 100));
  ASSERT_TRUE(back->blasWorkspace.has_value());
  EXPECT_EQ(back->blasWorkspace->depth, p.blasWorkspace->depth);
  EXPECT_EQ(back->blasWorkspace->panel, p.blasWorkspace->panel);
  auto error = [](const char *text) {
    llvm::Expected<MachineProfile> bad = MachineProfile::fromJSON(text);
    EXPECT_FALSE(static_cast<bool>(bad));
    return bad ? std::string() : llvm::toString(bad.takeError());
  };
  EXPECT_EQ(error("[1]"), "machine profile: not a JSON object");
  std::string epilogue =
      "\"epilogue_seconds_per_element\": {\"identity\": 1, \"relu\": 1, "
      "\"gelu\": 1, \"gelu_tanh\": 1, \"sigmoid\": 1, \"tanh\": 1, "
      "\"silu\": 1}";
  EXPECT_EQ(error("{\"epilogue_seconds_per_element\": {\"relu\": 1}}"),
            "machine profile: 'epilogue_seconds_per_element' needs a "
            "positive number between 1e-30 and 1e30 for 'identity'");
  EXPECT_EQ(error(("{" + epilogue +
                   ", \"collective_latency_seconds\": 1, "
                   "\"collective_bytes_per_second\": 1, \"gemm\": []}")
                      .c_str()),
            "machine profile: 'gemm_bytes_per_second' must be a positive "
            "number between 1e-30 and 1e30");
  EXPECT_EQ(error(("{" + epilogue +
                   ", \"gemm_bytes_per_second\": 1, "
                   "\"collective_latency_seconds\": 1, "
                   "\"collective_bytes_per_second\": 1, \"gemm\": []}")
                      .c_str()),
            "machine profile: 'gemm' must be a non-empty list of "
            "{flops, flops_per_second}");
  EXPECT_EQ(error(("{" + epilogue +
                   ", \"gemm_bytes_per_second\": 1, "
                   "\"collective_latency_seconds\": 1, "
                   "\"collective_bytes_per_second\": 1, \"gemm\": "
                   "[{\"flops\": 10, \"flops_per_second\": 1}, "
                   "{\"flops\": 5, \"flops_per_second\": 1}]}")
                      .c_str()),
            "machine profile: 'gemm' points must have increasing 'flops'");
  EXPECT_EQ(error(("{" + epilogue +
                   ", \"gemm_bytes_per_second\": 1, "
                   "\"collective_latency_seconds\": 1, "
                   "\"collective_bytes_per_second\": 1, \"gemm\": "
                   "[{\"flops\": 1, \"flops_per_second\": 1}]}")
                      .c_str()),
            "machine profile: 'gemm_rows' must be a non-empty list of "
            "{rows, flops_per_second}");
  std::string base = "{" + epilogue +
                     ", \"gemm_bytes_per_second\": 1, "
                     "\"collective_latency_seconds\": 1, "
                     "\"collective_bytes_per_second\": 1, \"gemm\": "
                     "[{\"flops\": 1, \"flops_per_second\": 1}], "
                     "\"gemm_rows\": [{\"rows\": 1, \"flops_per_second\": "
                     "1}]";
  EXPECT_EQ(error((base + ", \"gemm_width\": [{\"width\": 8}]}").c_str()),
            "machine profile: each 'gemm_width' point needs a positive "
            "'width' and 'flops_per_second' between 1e-30 and 1e30");
  // A denormal rate or a latency near the top of the double range would
  // make every cost infinite or NaN.
  EXPECT_EQ(error((base + ", \"gemm_width\": [{\"width\": 8, "
                          "\"flops_per_second\": 1e-320}]}")
                      .c_str()),
            "machine profile: each 'gemm_width' point needs a positive "
            "'width' and 'flops_per_second' between 1e-30 and 1e30");
  EXPECT_EQ(error(("{" + epilogue +
                   ", \"gemm_bytes_per_second\": 1, "
                   "\"collective_latency_seconds\": 1e308}")
                      .c_str()),
            "machine profile: 'collective_latency_seconds' must be a positive "
            "number between 1e-30 and 1e30");
  EXPECT_EQ(error((base + ", \"gemm_stream\": [{\"bytes\": 8, "
                          "\"bytes_per_second\": 0}]}")
                      .c_str()),
            "machine profile: each 'gemm_stream' point needs a positive "
            "'bytes' and 'bytes_per_second' between 1e-30 and 1e30");
  EXPECT_EQ(error((base + ", \"collective_bandwidth\": []}").c_str()),
            "machine profile: 'collective_bandwidth' must be an object of "
            "lists by collective");
  EXPECT_EQ(error((base + ", \"collective_bandwidth\": {\"all_gahter\": "
                          "[]}}")
                      .c_str()),
            "machine profile: 'collective_bandwidth' has an unknown "
            "collective 'all_gahter' (all_gather, all_reduce, reduce_scatter "
            "or all_to_all)");
  EXPECT_EQ(error((base + ", \"collective_bandwidth\": {\"all_reduce\": "
                          "[{\"bytes\": 4, \"bytes_per_second\": -1}]}}")
                      .c_str()),
            "machine profile: each 'collective_bandwidth.all_reduce' point "
            "needs a positive 'bytes' and 'bytes_per_second' between 1e-30 "
            "and 1e30");
  EXPECT_EQ(error((base + ", \"blas_workspace\": {\"depth\": 320}}").c_str()),
            "machine profile: 'blas_workspace' must be an object with "
            "'depth' and 'panel', integers from 1 to 2^30 (the steps of K "
            "and the rows of W that sgemm packs at a time)");
  EXPECT_EQ(error((base + ", \"blas_workspace\": {\"depth\": 320, "
                          "\"panel\": -640}}")
                      .c_str()),
            "machine profile: 'blas_workspace' must be an object with "
            "'depth' and 'panel', integers from 1 to 2^30 (the steps of K "
            "and the rows of W that sgemm packs at a time)");
  EXPECT_EQ(error((base + ", \"matmul\": \"mkl\"}").c_str()),
            "machine profile: 'matmul' must be \"auto\", \"codegen\" or "
            "\"blas\" (the lowering whose GEMMs the profile times)");
  for (const char *source : {"42", "null", "[\"a\"]", "{}"})
    EXPECT_EQ(error((base + ", \"source\": " + source + "}").c_str()),
              "machine profile: 'source' must be a string (where the "
              "profile's figures come from)")
        << source;

  // The lowering a profile times round-trips; a profile that names none
  // (written by hand) says nothing about it.
  for (MatmulLowering m : {MatmulLowering::blas, MatmulLowering::codegen,
                           MatmulLowering::automatic}) {
    MachineProfile builtin = MachineProfile::builtinDefault(m);
    EXPECT_EQ(builtin.matmul, m);
    llvm::Expected<MachineProfile> again =
        MachineProfile::fromJSON(builtin.toJSON());
    ASSERT_TRUE(static_cast<bool>(again));
    EXPECT_EQ(again->matmul, m);
  }
  llvm::Expected<MachineProfile> unstated =
      MachineProfile::fromJSON(base + "}");
  ASSERT_TRUE(static_cast<bool>(unstated));
  EXPECT_FALSE(unstated->matmul.has_value());
  // Calibrations from before the field timed sgemm.
  llvm::Expected<MachineProfile> older = MachineProfile::fromJSON(
      base + ", \"source\": \"calibrated by tp-run --calibrate\"}");
  ASSERT_TRUE(static_cast<bool>(older));
  EXPECT_EQ(older->matmul, MatmulLowering::blas);
  // The generated matmul's packing costs the narrow GEMMs, which auto
  // leaves to sgemm.
  EXPECT_GT(MachineProfile::builtinDefault(MatmulLowering::codegen)
                .gemmSeconds(8, 64, 64),
            MachineProfile::builtinDefault(MatmulLowering::automatic)
                .gemmSeconds(8, 64, 64));

  // A collective priced by size: the points' bandwidth at their sizes,
  // interpolated between, the scalar bandwidth for a collective without
  // points; and the bandwidth a calibration reads off a time gives that
  // time back.
  MachineProfile c = p;
  c.collectiveLatency = 1e-6;
  c.collectiveBytesPerSecond = 1e9;
  c.collectiveBandwidth = {};
  c.collectiveBandwidth[size_t(CollectiveKind::allGather)] = {{1 << 20, 2e9},
                                                              {4 << 20, 8e9}};
  EXPECT_DOUBLE_EQ(c.collectiveSeconds(CollectiveKind::allGather, 1 << 20, 2),
                   1e-6 + 0.5 * (1 << 20) / 2e9);
  EXPECT_DOUBLE_EQ(c.collectiveSeconds(CollectiveKind::allGather, 2 << 20, 4),
                   3e-6 + 0.75 * (2 << 20) / 5e9);
  EXPECT_DOUBLE_EQ(c.collectiveSeconds(CollectiveKind::allReduce, 1 << 20, 2),
                   2e-6 + (1 << 20) / 1e9);
  EXPECT_DOUBLE_EQ(c.collectiveSeconds(CollectiveKind::allToAll, 1 << 20, 2),
                   1e-6 + 0.25 * (1 << 20) / 1e9);
  for (size_t k = 0; k < kNumCollectiveKinds; ++k) {
    auto kind = CollectiveKind(k);
    double seconds = c.collectiveSeconds(kind, 3 << 20, 3);
    EXPECT_NEAR(MachineProfile::impliedBandwidth(kind, 3 << 20, 3, seconds,
                                                 c.collectiveLatency),
                k == 0 ? 2e9 + 6e9 * std::log(3.0) / std::log(4.0) : 1e9, 1e-3);
    EXPECT_EQ(symbolizeCollectiveKind(stringifyCollectiveKind(kind)), kind);
  }
  llvm::Expected<MachineProfile> sized = MachineProfile::fromJSON(c.toJSON());
  ASSERT_TRUE(static_cast<bool>(sized)) << llvm::toString(sized.takeError());
  EXPECT_DOUBLE_EQ(
      sized->collectiveSeconds(CollectiveKind::allGather, 2 << 20, 2),
      c.collectiveSeconds(CollectiveKind::allGather, 2 << 20, 2));
  EXPECT_TRUE(
      sized->collectiveBandwidth[size_t(CollectiveKind::allReduce)].empty());

  // A narrow weight runs at its width's rate, whatever the rows.
  EXPECT_DOUBLE_EQ(p.gemmSeconds(4096, 8, 1024),
                   2.0 * 4096 * 8 * 1024 /
                           MachineProfile::interpolate(p.gemmWidth, 8) +
                       p.streamSeconds(4096, 8, 1024));

  // Rates between measured points follow the logarithm of the size.
  MachineProfile::RatePoint a{8, 20e9}, b{512, 80e9};
  EXPECT_DOUBLE_EQ(MachineProfile::interpolate({a, b}, 64), 50e9);
  EXPECT_DOUBLE_EQ(MachineProfile::interpolate({a, b}, 1), 20e9);
  EXPECT_DOUBLE_EQ(MachineProfile::interpolate({a, b}, 4096), 80e9);
  // Few rows run slower than the same FLOPs on many (the built-in profile
  // measured it), and a one-row GEMM takes the time of reading its weights.
  EXPECT_GT(p.gemmSeconds(32, 4096, 4096), p.gemmSeconds(4096, 32, 4096));
  EXPECT_GT(p.streamSeconds(1, 4096, 4096), 0.5 * p.gemmSeconds(1, 4096, 4096));
  // Streaming scales with the weights' bytes: of two GEMMs of the same
  // FLOPs, the one with twice the weights (a batch split of a large layer
  // against a row split) streams more and takes longer.
  EXPECT_GT(p.gemmSeconds(512, 4096, 4096), p.gemmSeconds(1024, 2048, 4096));
  EXPECT_NEAR(p.gemmSeconds(512, 4096, 4096) - p.gemmSeconds(1024, 2048, 4096),
              p.streamSeconds(512, 4096, 4096) -
                  p.streamSeconds(1024, 2048, 4096),
              1e-9);

  // The rate a calibration reads off a time is the compute rate that gives
  // the time back; a time mostly streaming leaves the compute a tenth.
  MachineProfile s = p;
  s.gemm = {{1, 50e9}};
  s.gemmRows = {{1, 50e9}};
  s.gemmWidth = {};
  s.gemmStream = {{1 << 20, 20e9}, {64 << 20, 5e9}};
  EXPECT_DOUBLE_EQ(s.streamSeconds(4, 4096, 4096), 4.0 * 4096 * 4096 / 5e9);
  EXPECT_DOUBLE_EQ(s.streamSeconds(4, 64, 64), 4.0 * 64 * 64 / 20e9);
  EXPECT_NEAR(s.computeRate(512, 2048, 2048, s.gemmSeconds(512, 2048, 2048)),
              50e9, 1e-3);
  double streaming = s.streamSeconds(4, 4096, 4096);
  EXPECT_DOUBLE_EQ(s.computeRate(4, 4096, 4096, streaming),
                   2.0 * 4 * 4096 * 4096 / (0.1 * streaming));
  llvm::Expected<MachineProfile> streamed =
      MachineProfile::fromJSON(s.toJSON());
  ASSERT_TRUE(static_cast<bool>(streamed))
      << llvm::toString(streamed.takeError());
  EXPECT_DOUBLE_EQ(streamed->gemmSeconds(300, 3000, 5000),
                   s.gemmSeconds(300, 3000, 5000));
}

TEST(PlannerTest, GeneratedMatmulsPayForOutputSlicesTheCacheCannotHold) {
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::codegen);
  ASSERT_TRUE(p.outputBlocks.has_value());
  EXPECT_FALSE(MachineProfile::builtinDefault(MatmulLowering::blas)
                   .outputBlocks.has_value());
  p.outputBlocks = MachineProfile::OutputBlocks{32 << 20, 16, 10e9};
  // Slices of y (m x min(n, 4096)) of two ranks at once: up to half the
  // cache, nothing; from all of it, every pass over K's 256-step blocks
  // reads and writes y in memory; linear between.
  EXPECT_EQ(p.outputTrafficSeconds(1024, 2048, 4096, 2), 0);
  EXPECT_DOUBLE_EQ(p.outputTrafficSeconds(1024, 4096, 2048, 2),
                   8.0 * 1024 * 4096 * 8 / 10e9);
  EXPECT_DOUBLE_EQ(p.outputTrafficSeconds(768, 4096, 2048, 2),
                   0.5 * 8.0 * 768 * 4096 * 8 / 10e9);
  // Past 4096 outputs the slice stops growing; the passes still cover y.
  EXPECT_DOUBLE_EQ(p.outputTrafficSeconds(1024, 8192, 300, 2),
                   8.0 * 1024 * 8192 * 2 / 10e9);
  EXPECT_EQ(p.outputTrafficSeconds(256, 8192, 4096, 2), 0);
  // One rank alone has the cache to itself.
  EXPECT_EQ(p.outputTrafficSeconds(1024, 4096, 2048, 1), 0);
  // 4 lanes (a 6 x 8 tile) make blocks of 2048 outputs; 8 lanes have the
  // 16 columns of 16 lanes' tile.
  p.outputBlocks->lanes = 8;
  EXPECT_DOUBLE_EQ(p.outputTrafficSeconds(1024, 4096, 2048, 2),
                   8.0 * 1024 * 4096 * 8 / 10e9);
  p.outputBlocks->lanes = 4;
  EXPECT_EQ(p.outputTrafficSeconds(1024, 4096, 2048, 2), 0);

  // The row split of a 4096 layer at batch 1024 on two ranks leaves each
  // a 1024 x 2048 y, the column split a 1024 x 4096 one: the same FLOPs
  // and weights, but only the column split's slices overflow the cache.
  Chain c;
  c.devices = 2;
  c.batch = 1024;
  c.matmul = MatmulLowering::codegen;
  for (int i = 0; i < 4; ++i)
    c.layers.push_back({4096, 4096, /*bias=*/false});
  MachineProfile q = MachineProfile::builtinDefault(MatmulLowering::codegen);
  llvm::Expected<Plan> plan = planChain(c, q);
  ASSERT_TRUE(static_cast<bool>(plan)) << llvm::toString(plan.takeError());
  for (ShardingKind k : plan->choices)
    EXPECT_EQ(k, ShardingKind::row);
  // The same profile, written and read back, prices it alike.
  llvm::Expected<MachineProfile> back = MachineProfile::fromJSON(q.toJSON());
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  ASSERT_TRUE(back->outputBlocks.has_value());
  EXPECT_DOUBLE_EQ(back->outputTrafficSeconds(1024, 4096, 2048, 2),
                   q.outputTrafficSeconds(1024, 4096, 2048, 2));
  // A bad section is named.
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(q.toJSON());
  ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
  auto errorWith = [&](llvm::StringRef key, llvm::json::Value value) {
    llvm::json::Value copy = *json;
    llvm::json::Object &root = *copy.getAsObject();
    if (key.empty())
      root["output_blocks"] = std::move(value);
    else
      (*root.getObject("output_blocks"))[key] = std::move(value);
    std::string text;
    llvm::raw_string_ostream(text) << copy;
    llvm::Expected<MachineProfile> bad = MachineProfile::fromJSON(text);
    EXPECT_FALSE(static_cast<bool>(bad));
    return bad ? std::string() : llvm::toString(bad.takeError());
  };
  EXPECT_EQ(errorWith("lanes", 12),
            "machine profile: 'output_blocks.lanes' must be 4, 8 or 16 (the "
            "generated matmul's register tile)");
  EXPECT_EQ(errorWith("", 3),
            "machine profile: 'output_blocks' must be an object with "
            "'cache_bytes', 'lanes' and 'bytes_per_second'");
  EXPECT_EQ(errorWith("cache_bytes", -1),
            "machine profile: 'output_blocks.cache_bytes' must be a positive "
            "number between 1e-30 and 1e30");
  EXPECT_EQ(errorWith("bytes_per_second", "fast"),
            "machine profile: 'output_blocks.bytes_per_second' must be a "
            "positive number between 1e-30 and 1e30");
}
TEST(PlannerTest, SgemmsPackingBufferCountsOnceAtItsLargest) {
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::blas);
  p.blasWorkspace = MachineProfile::BLASWorkspace{320, 640};
  // 320 steps of K, by all the rows and up to 640 rows of W.
  EXPECT_EQ(p.blasWorkspaceBytes(4096, 2048, 2048), 4u * 320 * (4096 + 640));
  EXPECT_EQ(p.blasWorkspaceBytes(100, 50, 10), 4u * 10 * (100 + 50));
  // A single row is sgemv's, which packs nothing.
  EXPECT_EQ(p.blasWorkspaceBytes(1, 2048, 2048), 0u);
  Chain c;
  c.devices = 2;
  c.batch = 1024;
  c.matmul = MatmulLowering::blas;
  c.layers = {{512, 2048}, {2048, 256}, {256, 4096}};
  std::vector<ShardingKind> choices = {ShardingKind::row, ShardingKind::column,
                                       ShardingKind::batch};
  Plan with = evaluate(c, p, choices);
  MachineProfile none = p;
  none.blasWorkspace.reset();
  Plan without = evaluate(c, none, choices);
  // The buffer stays resident: the plan's peak adds the largest layer's,
  // once, whichever layer the other bytes peak at.
  uint64_t largest = 0;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    EXPECT_EQ(with.layers[i].activationBytes,
              without.layers[i].activationBytes);
    largest = std::max(largest, with.layers[i].workspaceBytes);
  }
  // Row: 1024 rows, 320 of the 512 steps of K, 640 of the 1024 rows of W.
  EXPECT_EQ(with.layers[0].workspaceBytes, 4u * 320 * (1024 + 640));
  // Column: 1024 of the 2048 steps of K split, 256 rows of W.
  EXPECT_EQ(with.layers[1].workspaceBytes, 4u * 320 * (1024 + 256));
  // Batch: 512 rows of the 1024.
  EXPECT_EQ(with.layers[2].workspaceBytes, 4u * 256 * (512 + 640));
  EXPECT_EQ(largest, with.layers[0].workspaceBytes);
  EXPECT_EQ(with.peakBytes, without.peakBytes + largest);
  // Generated matmuls pack into their own scratch, which the activations
  // count: no buffer of BLAS's.
  c.matmul = MatmulLowering::codegen;
  for (const LayerCost &cost : evaluate(c, p, choices).layers)
    EXPECT_EQ(cost.workspaceBytes, 0u);
  // A limit between the two peaks: the plan that fits without the buffer
  // does not with it.
  c.matmul = MatmulLowering::blas;
  for (Layer &l : c.layers)
    l.fixed = choices[&l - c.layers.data()];
  EXPECT_TRUE(static_cast<bool>(planChain(c, none, without.peakBytes)));
  llvm::Expected<Plan> over = planChain(c, p, without.peakBytes);
  ASSERT_FALSE(static_cast<bool>(over));
  llvm::consumeError(over.takeError());
}

TEST(PlannerTest, SingleRowsStreamTheirWeightsOnce) {
  // A single row is W's bytes at the single-row rate; two rows are a GEMM.
  MachineProfile p = MachineProfile::builtinDefault(MatmulLowering::automatic);
  ASSERT_FALSE(p.gemmSingleRow.empty());
  double w = 4.0 * 4096 * 4096;
  EXPECT_DOUBLE_EQ(p.gemmSeconds(1, 4096, 4096),
                   w / MachineProfile::interpolate(p.gemmSingleRow, w));
  EXPECT_GT(p.gemmSeconds(2, 4096, 4096), 2 * p.gemmSeconds(1, 4096, 4096));
  // Without the points a single row is priced as any GEMM.
  MachineProfile q = p;
  q.gemmSingleRow.clear();
  EXPECT_DOUBLE_EQ(
      q.gemmSeconds(1, 4096, 4096),
      q.streamSeconds(1, 4096, 4096) +
          2.0 * 4096 * 4096 /
              std::min(MachineProfile::interpolate(q.gemm, 2.0 * 4096 * 4096),
                       MachineProfile::interpolate(q.gemmRows, 1.0)));
  llvm::Expected<MachineProfile> back = MachineProfile::fromJSON(p.toJSON());
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_DOUBLE_EQ(back->gemmSeconds(1, 3000, 700),
                   p.gemmSeconds(1, 3000, 700));
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(p.toJSON());
  ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
  (*json->getAsObject())["gemm_single_row"] =
      llvm::json::Array{llvm::json::Object{{"bytes", 8}}};
  std::string text;
  llvm::raw_string_ostream(text) << *json;
  llvm::Expected<MachineProfile> bad = MachineProfile::fromJSON(text);
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "machine profile: each 'gemm_single_row' point needs a positive "
            "'bytes' and 'bytes_per_second' between 1e-30 and 1e30");

  // At batch 1 under auto, a layer's local GEMM is not generated: no
  // packed buffers, and its compute is the shard of W at that rate.
  Chain c;
  c.devices = 2;
  c.batch = 1;
  c.matmul = MatmulLowering::automatic;
  c.layers = {{4096, 4096}};
  MachineProfile noEpilogue = p;
  noEpilogue.epilogueSecondsPerElement.fill(0);
  for (ShardingKind k : {ShardingKind::row, ShardingKind::column}) {
    LayerCost cost = evaluate(c, noEpilogue, {k}).layers[0];
    double shard = 4.0 * 2048 * 4096;
    EXPECT_DOUBLE_EQ(cost.compute, shard / MachineProfile::interpolate(
                                               p.gemmSingleRow, shard));
    c.matmul = MatmulLowering::blas;
    uint64_t blasBytes = evaluate(c, p, {k}).layers[0].activationBytes;
    c.matmul = MatmulLowering::automatic;
    EXPECT_EQ(cost.activationBytes, blasBytes);
  }
  // With codegen the row is generated, and priced at codegen's rate.
  c.matmul = MatmulLowering::codegen;
  MachineProfile g = MachineProfile::builtinDefault(MatmulLowering::codegen);
  EXPECT_GT(evaluate(c, g, {ShardingKind::row}).layers[0].compute,
            2 * evaluate(c, p, {ShardingKind::row}).layers[0].compute);
}
} // namespace
