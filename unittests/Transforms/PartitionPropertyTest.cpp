//===- PartitionPropertyTest.cpp - partitioned == unpartitioned -----------===//
//
// Random chains (depth 1-8, widths 1-300 with primes and widths below D,
// batch 1-64, D 1-8, every activation, every strategy and mixed hand
// annotations) are partitioned and run on D simulated devices; every rank's
// output must equal the unpartitioned reference.
//
// Replay one case: TP_PROPERTY_SEED=<seed> TPTransformsTests
// More cases:      TP_PROPERTY_CASES=<n> TPTransformsTests
//
//===----------------------------------------------------------------------===//

#include "../Support/RandomChains.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace mlir;
using namespace mlir::tp;

namespace {
using test::Case;
using test::makeCase;

class PartitionPropertyTest : public ::testing::Test {
protected:
  PartitionPropertyTest() {
    DialectRegistry registry;
    registerModelDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Runs one case; returns an empty string on success, else what failed.
  std::string check(const Case &c) {
    std::string diagnostics;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += diag.str() + "\n";
      return success();
    });
    OwningOpRef<ModuleOp> model =
        parseSourceString<ModuleOp>(c.source, &context);
    if (!model)
      return "the generated model does not parse:\n" + diagnostics;
    OwningOpRef<ModuleOp> spmd = model->clone();

    PassManager pm(&context);
    if (c.fuse)
      pm.addPass(createFuseActivations());
    pm.addPass(createSetStrategy(SetStrategyOptions{c.strategyOption()}));
    pm.addPass(createPartition());
    if (c.optimize)
      pm.addPass(createOptimizeCollectives());
    if (failed(pm.run(*spmd)))
      return "the pipeline failed:\n" + diagnostics;

    FunctionOpInterface modelFn = lookupEntry(*model, "chain");
    FunctionOpInterface spmdFn = lookupEntry(*spmd, "chain");
    SmallVector<Tensor> args = test::makeArguments(modelFn, c);
    FailureOr<SmallVector<Tensor>> expected = evaluate(modelFn, args);
    if (failed(expected))
      return "the reference failed:\n" + diagnostics;
    FailureOr<RankTensors> rankArgs = shardArguments(spmdFn, args);
    if (failed(rankArgs))
      return "sharding the arguments failed:\n" + diagnostics;
    FailureOr<RankTensors> actual = evaluateSPMD(spmdFn, *rankArgs);
    if (failed(actual))
      return "the partitioned program failed:\n" + diagnostics;

    const Tensor &ref = (*expected)[0];
    for (int64_t r = 0; r < c.devices; ++r) {
      const Tensor &out = (*actual)[r][0];
      if (out.shape != ref.shape)
        return "rank " + std::to_string(r) + " returned shape " +
               out.shapeString() + ", expected " + ref.shapeString();
      // See docs/partitioning.md for the error measure.
      double err = outputRelativeError(out, ref);
      maxError = std::max(maxError, err);
      if (!(err < 1e-5)) {
        std::string ir;
        llvm::raw_string_ostream os(ir);
        spmd->print(os);
        return "rank " + std::to_string(r) + ": max relative error " +
               std::to_string(err) + "\npartitioned:\n" + ir;
      }
    }
    return "";
  }

  MLIRContext context;
  double maxError = 0;
};

TEST_F(PartitionPropertyTest, PartitionedEqualsUnpartitioned) {
  if (const char *replay = std::getenv("TP_PROPERTY_SEED")) {
    Case c = makeCase(std::strtoull(replay, nullptr, 10));
    std::printf("%s", c.describe().c_str());
    std::string failure = check(c);
    std::printf("max relative error %.3g\n", maxError);
    EXPECT_TRUE(failure.empty()) << c.describe() << failure;
    return;
  }
  int64_t cases = 500;
  if (const char *n = std::getenv("TP_PROPERTY_CASES"))
    cases = std::strtoll(n, nullptr, 10);
  int64_t failures = 0;
  for (int64_t i = 0; i < cases && failures < 3; ++i) {
    // Seeds are spread out so that neighbouring cases differ in every draw.
    uint64_t seed = 1000003ULL * (i + 1);
    Case c = makeCase(seed);
    double before = maxError;
    std::string failure = check(c);
    if (std::getenv("TP_PROPERTY_VERBOSE") && maxError > before)
      std::printf("seed %llu: max error now %.3g (%s)\n",
                  static_cast<unsigned long long>(seed), maxError,
                  c.describe().substr(0, c.describe().find('\n')).c_str());
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << "replay with TP_PROPERTY_SEED=" << seed << "\n"
                    << c.describe() << failure;
    }
  }
  RecordProperty("max_relative_error", std::to_string(maxError));
  std::printf("%lld cases, max relative error %.3g\n",
              static_cast<long long>(cases), maxError);
}
} // namespace
