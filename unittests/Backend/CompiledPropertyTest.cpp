//===- CompiledPropertyTest.cpp - compiled SPMD code == reference ---------===//
//
// Random chains are partitioned, compiled for CPU threads (BLAS and codegen
// matmuls alternately) and run on D threads; every rank's output must match
// the unpartitioned reference evaluator.
//
// Replay one case: TP_COMPILED_SEED=<seed> TPBackendTests
// More cases:      TP_COMPILED_CASES=<n> TPBackendTests
//
//===----------------------------------------------------------------------===//

#include "../Support/RandomChains.h"

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace mlir;
using namespace mlir::tp;
using test::Case;

namespace {
class CompiledPropertyTest : public ::testing::Test {
protected:
  CompiledPropertyTest() {
    DialectRegistry registry;
    registerModelDialects(registry);
    registerCPUBackendDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  std::string check(const Case &c, const std::string &matmul) {
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
    PartitionPipelineOptions options;
    options.strategy = c.strategyOption();
    options.optimizeCollectives = c.optimize;
    addTPPartitionPipeline(pm, options);
    if (failed(pm.run(*spmd)))
      return "partitioning failed:\n" + diagnostics;

    FunctionOpInterface modelFn = lookupEntry(*model, "chain");
    FunctionOpInterface spmdFn = lookupEntry(*spmd, "chain");
    SmallVector<Tensor> args = test::makeArguments(modelFn, c);
    FailureOr<SmallVector<Tensor>> expected = evaluate(modelFn, args);
    FailureOr<RankTensors> rankArgs = shardArguments(spmdFn, args);
    if (failed(expected) || failed(rankArgs))
      return "the reference failed:\n" + diagnostics;

    CPUCompileOptions compileOptions;
    compileOptions.matmul = matmul;
    auto compiled = CPUModel::compile(*spmd, "chain", compileOptions);
    if (failed(compiled))
      return "compilation failed:\n" + diagnostics;
    std::string error;
    FailureOr<RankTensors> actual = (*compiled)->run(*rankArgs, nullptr, error);
    if (failed(actual))
      return "the compiled program failed: " + error;
    for (int64_t r = 0; r < c.devices; ++r) {
      const Tensor &out = (*actual)[r][0];
      if (out.shape != (*expected)[0].shape)
        return "rank " + std::to_string(r) + " returned shape " +
               out.shapeString();
      double err = outputRelativeError(out, (*expected)[0]);
      maxError = std::max(maxError, err);
      if (!(err < 1e-5))
        return "rank " + std::to_string(r) + ": max relative error " +
               std::to_string(err);
    }
    return "";
  }

  MLIRContext context;
  double maxError = 0;
};

TEST_F(CompiledPropertyTest, CompiledEqualsReference) {
  if (const char *replay = std::getenv("TP_COMPILED_SEED")) {
    Case c = test::makeCase(std::strtoull(replay, nullptr, 10));
    for (const char *matmul : {"blas", "codegen"}) {
      std::string failure = check(c, matmul);
      EXPECT_TRUE(failure.empty()) << matmul << "\n" << c.describe() << failure;
    }
    return;
  }
  int64_t cases = 40;
  if (const char *n = std::getenv("TP_COMPILED_CASES"))
    cases = std::strtoll(n, nullptr, 10);
  int64_t failures = 0;
  for (int64_t i = 0; i < cases && failures < 3; ++i) {
    // Different seeds from the partitioning property test.
    uint64_t seed = 7919ULL * (i + 1) + 13;
    Case c = test::makeCase(seed);
    const char *matmul = i % 2 ? "codegen" : "blas";
    std::string failure = check(c, matmul);
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << "replay with TP_COMPILED_SEED=" << seed << " (" << matmul
                    << ")\n"
                    << c.describe() << failure;
    }
  }
  std::printf("%lld compiled cases, max relative error %.3g\n",
              static_cast<long long>(cases), maxError);
}
} // namespace
