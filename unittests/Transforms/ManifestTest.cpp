//===- ManifestTest.cpp - the weight manifest against the shapes ----------===//
//
// For chains of awkward widths, every D from 1 to 8 and every strategy, the
// manifest of each weight argument must describe the checkpoint tensor's
// shape, follow the balanced rule, agree with the local argument type, and
// make the weights per device fall as 1/D for split layers.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Evaluator/Tensor.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tp;

namespace {
// widths 17 -> 5 -> 1 -> 12 -> 7: primes, a width below most D, one even.
constexpr const char *kChain = R"mlir(
  func.func @chain(%x: tensor<3x17xf32>,
                   %w0: tensor<5x17xf32> {tp.name = "w0"}, %b0: tensor<5xf32> {tp.name = "b0"},
                   %w1: tensor<1x5xf32> {tp.name = "w1"}, %b1: tensor<1xf32> {tp.name = "b1"},
                   %w2: tensor<12x1xf32> {tp.name = "w2"}, %b2: tensor<12xf32> {tp.name = "b2"},
                   %w3: tensor<7x12xf32> {tp.name = "w3"}, %b3: tensor<7xf32> {tp.name = "b3"})
      -> tensor<3x7xf32> {
    %0 = tp.linear %x, %w0, %b0 activation(relu) : tensor<3x17xf32>, tensor<5x17xf32>, tensor<5xf32> -> tensor<3x5xf32>
    %1 = tp.linear %0, %w1, %b1 : tensor<3x5xf32>, tensor<1x5xf32>, tensor<1xf32> -> tensor<3x1xf32>
    %2 = tp.linear %1, %w2, %b2 activation(tanh) : tensor<3x1xf32>, tensor<12x1xf32>, tensor<12xf32> -> tensor<3x12xf32>
    %3 = tp.linear %2, %w3, %b3 : tensor<3x12xf32>, tensor<7x12xf32>, tensor<7xf32> -> tensor<3x7xf32>
    return %3 : tensor<3x7xf32>
  })mlir";

class ManifestTest
    : public ::testing::TestWithParam<std::tuple<int64_t, const char *, bool>> {
};

TEST_P(ManifestTest, ManifestMatchesShapes) {
  auto [devices, strategy, optimize] = GetParam();
  DialectRegistry registry;
  registerModelDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> model = parseSourceString<ModuleOp>(kChain, &context);
  ASSERT_TRUE(model);
  OwningOpRef<ModuleOp> spmd = model->clone();
  PassManager pm(&context);
  PartitionPipelineOptions options;
  options.devices = devices;
  options.strategy = *symbolizePartitionStrategy(strategy);
  options.optimizeCollectives = optimize;
  addTPPartitionPipeline(pm, options);
  ASSERT_TRUE(succeeded(pm.run(*spmd)));

  auto modelFn = *model->getOps<func::FuncOp>().begin();
  auto spmdFn = *spmd->getOps<func::FuncOp>().begin();
  int64_t fullElements = 0, maxLocalElements = 0;
  SmallVector<int64_t> localElements(devices, 0);
  for (unsigned i = 1; i < modelFn.getNumArguments(); ++i) {
    SCOPED_TRACE("argument #" + std::to_string(i));
    auto full = cast<RankedTensorType>(modelFn.getArgument(i).getType());
    auto local = cast<RankedTensorType>(spmdFn.getArgument(i).getType());
    auto shard = spmdFn.getArgAttrOfType<ShardAttr>(i, "tp.shard");
    ASSERT_TRUE(shard) << "every weight has a manifest entry";
    EXPECT_EQ(shard.getShape(), full.getShape());
    EXPECT_EQ(spmdFn.getArgAttr(i, "tp.name"),
              modelFn.getArgAttr(i, "tp.name"));
    fullElements += full.getNumElements();
    // Under row, column and alternate every weight matrix is split, so that
    // no device holds a whole layer.
    if (devices > 1 && full.getRank() == 2 &&
        std::string(strategy) != "replicated")
      EXPECT_FALSE(shard.isReplicated());
    if (shard.isReplicated()) {
      EXPECT_EQ(local, full);
      for (int64_t r = 0; r < devices; ++r)
        localElements[r] += full.getNumElements();
      continue;
    }
    int64_t dim = *shard.getDim();
    int64_t extent = full.getDimSize(dim);
    ASSERT_EQ(static_cast<int64_t>(shard.getSizes().size()), devices);
    for (int64_t r = 0; r < devices; ++r) {
      EXPECT_EQ(shard.getOffsets()[r], getShardOffset(extent, devices, r));
      EXPECT_EQ(shard.getSizes()[r], getShardSize(extent, devices, r));
      SmallVector<int64_t> localShape = shard.getLocalShape(r);
      for (int64_t d = 0; d < full.getRank(); ++d) {
        if (d != dim)
          EXPECT_EQ(local.getDimSize(d), full.getDimSize(d));
        else if (local.isDynamicDim(d))
          EXPECT_NE(extent % devices, 0) << "dynamic only when uneven";
        else
          EXPECT_EQ(local.getDimSize(d), localShape[d]);
      }
      localElements[r] += numElements(localShape);
    }
  }
  for (int64_t n : localElements)
    maxLocalElements = std::max(maxLocalElements, n);
  if (std::string(strategy) == "replicated" || devices == 1)
    EXPECT_EQ(maxLocalElements, fullElements);
  else
    EXPECT_LT(maxLocalElements, fullElements);
}

INSTANTIATE_TEST_SUITE_P(AllDevicesAndStrategies, ManifestTest,
                         ::testing::Combine(::testing::Range<int64_t>(1, 9),
                                            ::testing::Values("row", "column",
                                                              "alternate",
                                                              "replicated"),
                                            ::testing::Bool()));
} // namespace
