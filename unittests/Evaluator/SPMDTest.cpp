//===- SPMDTest.cpp - collectives and manifests in the evaluator ----------===//
//
// The SPMD evaluator is the oracle for partitioned code, so its collectives
// are checked here against values worked out by hand, including empty shards
// (a width smaller than D) and single elements.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tp;

namespace {
class SPMDTest : public ::testing::Test {
protected:
  SPMDTest() {
    DialectRegistry registry;
    registerModelDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  FailureOr<RankTensors> run(StringRef source,
                             ArrayRef<SmallVector<Tensor>> rankArgs) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += diag.str() + "\n";
      return success();
    });
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return failure();
    return evaluateSPMD(lookupEntry(*module, ""), rankArgs);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;
};

Tensor row(std::vector<float> values) {
  int64_t n = values.size();
  return Tensor({1, n}, std::move(values));
}

TEST_F(SPMDTest, RejectsAUsedRank) {
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
      func.func @f(%a: tensor<2xf32>) -> index attributes {tp.spmd} {
        %r = tp.rank : index
        return %r : index
      }
    })mlir",
                 {{Tensor(ArrayRef<int64_t>{2})}});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("'tp.rank' op has uses; the reference evaluator "
                             "runs tensor code only"),
            std::string::npos)
      << diagnostics;
}

TEST(ShardingRuleTest, FirstRanksTakeTheRemainder) {
  // 10 over 3: 4, 3, 3 at offsets 0, 4, 7.
  EXPECT_EQ(getShardSize(10, 3, 0), 4);
  EXPECT_EQ(getShardSize(10, 3, 2), 3);
  EXPECT_EQ(getShardOffset(10, 3, 1), 4);
  EXPECT_EQ(getShardOffset(10, 3, 2), 7);
  // 2 over 5: ranks 2..4 hold nothing, at offset 2.
  EXPECT_EQ(getShardSize(2, 5, 1), 1);
  EXPECT_EQ(getShardSize(2, 5, 4), 0);
  EXPECT_EQ(getShardOffset(2, 5, 4), 2);
  EXPECT_EQ(getLocalDimSize(12, 4), 3);
  EXPECT_EQ(getLocalDimSize(10, 4), ShapedType::kDynamic);
  for (int64_t size = 1; size < 40; ++size)
    for (int64_t d = 1; d <= 9; ++d) {
      int64_t total = 0;
      for (int64_t r = 0; r < d; ++r) {
        EXPECT_EQ(getShardOffset(size, d, r), total);
        total += getShardSize(size, d, r);
      }
      EXPECT_EQ(total, size) << size << " over " << d;
    }
}

TEST_F(SPMDTest, AllGatherWithEmptyShards) {
  // Two features over three devices: rank 2 contributes nothing.
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
      func.func @f(%s: tensor<1x?xf32>) -> tensor<1x2xf32> attributes {tp.spmd} {
        %0 = tp.all_gather %s along 1 : tensor<1x?xf32> -> tensor<1x2xf32>
        return %0 : tensor<1x2xf32>
      }
    })mlir",
                 {{row({5})}, {row({7})}, {Tensor({1, 0})}});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ((*out)[r][0].data, (std::vector<float>{5, 7}));
}

TEST_F(SPMDTest, AllGatherRejectsWrongTotal) {
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
      func.func @f(%s: tensor<1x?xf32>) -> tensor<1x3xf32> attributes {tp.spmd} {
        %0 = tp.all_gather %s along 1 : tensor<1x?xf32> -> tensor<1x3xf32>
        return %0 : tensor<1x3xf32>
      }
    })mlir",
                 {{row({1, 2})}, {row({3, 4})}});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("produced a tensor of shape 1x4, but its type is "
                             "'tensor<1x3xf32>'"),
            std::string::npos)
      << diagnostics;
}

TEST_F(SPMDTest, AllReduceKindsOnOneElement) {
  const char *source = R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
      func.func @f(%a: tensor<1x1xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) attributes {tp.spmd} {
        %0 = tp.all_reduce sum %a : tensor<1x1xf32>
        %1 = tp.all_reduce prod %a : tensor<1x1xf32>
        %2 = tp.all_reduce max %a : tensor<1x1xf32>
        %3 = tp.all_reduce min %a : tensor<1x1xf32>
        return %0, %1, %2, %3 : tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>
      }
    })mlir";
  auto out = run(source, {{row({2})}, {row({-3})}, {row({0.5f})}});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ((*out)[r][0].data[0], -0.5f);
    EXPECT_EQ((*out)[r][1].data[0], -3.0f);
    EXPECT_EQ((*out)[r][2].data[0], 2.0f);
    EXPECT_EQ((*out)[r][3].data[0], -3.0f);
  }
}

TEST_F(SPMDTest, ReduceScatterAndAllSliceFollowTheRule) {
  // [1 2 3] + [10 20 30] = [11 22 33], scattered over 2 ranks as [11 22], [33].
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
      func.func @f(%a: tensor<1x3xf32>) -> (tensor<1x?xf32>, tensor<1x?xf32>) attributes {tp.spmd} {
        %0 = tp.reduce_scatter sum %a along 1 : tensor<1x3xf32> -> tensor<1x?xf32>
        %1 = tp.all_slice %a along 1 : tensor<1x3xf32> -> tensor<1x?xf32>
        return %0, %1 : tensor<1x?xf32>, tensor<1x?xf32>
      }
    })mlir",
                 {{row({1, 2, 3})}, {row({10, 20, 30})}});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  EXPECT_EQ((*out)[0][0].data, (std::vector<float>{11, 22}));
  EXPECT_EQ((*out)[1][0].data, (std::vector<float>{33}));
  // all_slice takes each rank's slice of its own (replicated) tensor.
  EXPECT_EQ((*out)[0][1].data, (std::vector<float>{1, 2}));
  EXPECT_EQ((*out)[1][1].data, (std::vector<float>{30}));
}

TEST_F(SPMDTest, ReduceScatterOfOneElementOverFourDevices) {
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [4]>} {
      func.func @f(%a: tensor<1x1xf32>) -> tensor<1x?xf32> attributes {tp.spmd} {
        %0 = tp.reduce_scatter sum %a along 1 : tensor<1x1xf32> -> tensor<1x?xf32>
        return %0 : tensor<1x?xf32>
      }
    })mlir",
                 {{row({1})}, {row({2})}, {row({3})}, {row({4})}});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  EXPECT_EQ((*out)[0][0].data, (std::vector<float>{10}));
  for (int r = 1; r < 4; ++r)
    EXPECT_EQ((*out)[r][0].getNumElements(), 0);
}

TEST_F(SPMDTest, MismatchedReduceShapesNameTheRank) {
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
      func.func @f(%a: tensor<1x?xf32>) -> tensor<1x?xf32> attributes {tp.spmd} {
        %0 = tp.all_reduce sum %a : tensor<1x?xf32>
        return %0 : tensor<1x?xf32>
      }
    })mlir",
                 {{row({1, 2})}, {row({3})}});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("rank 1 contributes shape 1x1 but rank 0 "
                             "contributes 1x2"),
            std::string::npos)
      << diagnostics;
}

TEST_F(SPMDTest, WrongNumberOfRanksIsAnError) {
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
      func.func @f(%a: tensor<1x1xf32>) -> tensor<1x1xf32> attributes {tp.spmd} {
        return %a : tensor<1x1xf32>
      }
    })mlir",
                 {{row({1})}, {row({2})}});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("is partitioned for 3 devices, but arguments "
                             "for 2 ranks were given"),
            std::string::npos)
      << diagnostics;
}

TEST_F(SPMDTest, ShardArgumentsFollowsTheManifest) {
  module = parseSourceString<ModuleOp>(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
      func.func @f(%w: tensor<?x2xf32> {tp.shard = #tp.shard<shape = [4, 2], dim = 0, offsets = [0, 2, 3], sizes = [2, 1, 1]>},
                   %b: tensor<4xf32> {tp.shard = #tp.shard<shape = [4]>}) attributes {tp.spmd} {
        return
      }
    })mlir",
                                       &context);
  ASSERT_TRUE(module);
  Tensor w({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor b({4}, {9, 8, 7, 6});
  auto ranks = shardArguments(lookupEntry(*module, ""), {w, b});
  ASSERT_TRUE(succeeded(ranks));
  EXPECT_EQ((*ranks)[0][0].data, (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ((*ranks)[1][0].data, (std::vector<float>{4, 5}));
  EXPECT_EQ((*ranks)[2][0].data, (std::vector<float>{6, 7}));
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ((*ranks)[r][1].data, b.data);
  // A full tensor of the wrong shape is refused.
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(
      failed(shardArguments(lookupEntry(*module, ""), {Tensor({4, 3}), b})));
  EXPECT_NE(message.find("the manifest expects 4x2, got shape 4x3"),
            std::string::npos)
      << message;
}
} // namespace
