//===- CheckTest.cpp - the check passes correct output, fails wrong ------===//
//
// The bound of each output element follows from the arithmetic, so:
// - correct output always passes: random chains at D = 1 (where the old
//   fixed relative tolerance of 1e-5 failed 2 of 60 at f32 rounding), and
//   compiled partitioned chains (CompiledPropertyTest);
// - the mistakes a partitioner makes do not: a bias added twice, a term of
//   a reduction lost, a NaN, a wrong shape.
//
//===----------------------------------------------------------------------===//

#include "../Support/RandomChains.h"

#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Runtime/ThreadGroup.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace mlir::tp;

namespace {
class CheckTest : public ::testing::Test {
protected:
  CheckTest() {
    DialectRegistry registry;
    registerDriverDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// The reference of case `seed` and its bounds, and its full arguments.
  BoundedResults reference(const test::Case &c, SmallVector<Tensor> &args) {
    module = parseSourceString<ModuleOp>(c.source, &context);
    FunctionOpInterface fn = lookupEntry(*module, "chain");
    args = test::makeArguments(fn, c);
    FailureOr<BoundedResults> ref =
        evaluateWithBounds(fn, [&](unsigned i) -> llvm::Expected<Tensor> {
          return args[i];
        });
    EXPECT_TRUE(succeeded(ref));
    return std::move(*ref);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(CheckTest, CompiledOutputAtOneDevicePasses) {
  std::unique_ptr<rt::Executor> executor = rt::ThreadGroup::create(1);
  double worst = 0;
  for (uint64_t i = 0; i < 60; ++i) {
    test::Case c = test::makeCase(104729ULL * (i + 1));
    FailureOr<Model> model = Model::adopt(
        parseSourceString<ModuleOp>(c.source, &context), "case", "chain");
    ASSERT_TRUE(succeeded(model));
    FailureOr<PartitionedModel> program =
        PartitionedModel::create(*model, 1, c.strategyOption());
    ASSERT_TRUE(succeeded(program));
    ArgumentOptions argumentOptions;
    argumentOptions.seed = c.seed;
    argumentOptions.batch = c.batch;
    llvm::Expected<ArgumentSource> arguments =
        ArgumentSource::create(*model, argumentOptions);
    ASSERT_TRUE(bool(arguments));
    auto compiled = compileForCPU(*program, {});
    ASSERT_TRUE(succeeded(compiled));
    Session session(*model, *program, *arguments, compiled->get());
    RunOptions options;
    options.check = true;
    std::string error;
    FailureOr<RunResult> result = session.run(*executor, options, error);
    ASSERT_TRUE(succeeded(result)) << error;
    worst = std::max(worst, result->check->ratio);
    EXPECT_TRUE(result->check->passed())
        << c.describe()
        << describeCheck(*result->check, arguments->getResultShapes()[0], 1);
  }
  std::printf("60 chains at D = 1: worst error %.2f%% of its bound\n",
              100 * worst);
}

TEST_F(CheckTest, ABiasAddedTwiceFails) {
  int64_t caught = 0, cases = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    test::Case c = test::makeCase(seed);
    if (c.source.find("%b0") == std::string::npos)
      continue; // the first layer has no bias
    ++cases;
    SmallVector<Tensor> args;
    BoundedResults ref = reference(c, args);
    // The first layer's bias doubled, as a partitioner that adds it on
    // every rank of a column layer and then sums would.
    FunctionOpInterface fn = lookupEntry(*module, "chain");
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, "tp.name");
          name && name.getValue() == "l0.bias")
        for (float &v : args[i].data)
          v *= 2;
    FailureOr<SmallVector<Tensor>> wrong = evaluate(fn, args);
    ASSERT_TRUE(succeeded(wrong));
    CheckResult verdict =
        checkOutputs(*wrong, ref.values, ref.bounds, std::nullopt, 0);
    caught += !verdict.passed();
  }
  // A doubled bias changes every output unless a later relu clips it away.
  EXPECT_GE(caught, cases * 3 / 4) << caught << " of " << cases;
}

TEST_F(CheckTest, ALostTermFails) {
  int64_t caught = 0, cases = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    test::Case c = test::makeCase(seed);
    ++cases;
    SmallVector<Tensor> args;
    BoundedResults ref = reference(c, args);
    // One weight of the last layer dropped, as a shard off by one would.
    FunctionOpInterface fn = lookupEntry(*module, "chain");
    unsigned last = 0;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, "tp.name");
          name && name.getValue().ends_with(".weight"))
        last = i;
    float &victim = *llvm::max_element(args[last].data, [](float a, float b) {
      return std::fabs(a) < std::fabs(b);
    });
    victim = 0;
    FailureOr<SmallVector<Tensor>> wrong = evaluate(fn, args);
    ASSERT_TRUE(succeeded(wrong));
    caught += !checkOutputs(*wrong, ref.values, ref.bounds, std::nullopt, 0)
                   .passed();
  }
  EXPECT_GE(caught, cases * 3 / 4) << caught << " of " << cases;
}

TEST(CheckOutputsTest, NaNsInfinitiesAndShapes) {
  Tensor ref({2}, {1.0f, 2.0f}), bound({2}, {1e-6f, 1e-6f});
  Tensor nan({2}, {1.0f, std::nanf("")});
  CheckResult verdict = checkOutputs({nan}, {ref}, {bound}, std::nullopt, 3);
  EXPECT_FALSE(verdict.passed());
  EXPECT_EQ(verdict.rank, 3);
  EXPECT_EQ(verdict.element, 1);
  EXPECT_EQ(describeCheck(verdict, {2}, 4),
            "check: FAILED on rank 3: output #0 [1] is nan, the unpartitioned "
            "reference 2: a NaN or an infinity that the reference does not "
            "have");
  // The same NaN in both agrees.
  Tensor refNaN({2}, {1.0f, std::nanf("")});
  EXPECT_TRUE(checkOutputs({nan}, {refNaN}, {bound}, std::nullopt, 0).passed());
  Tensor inf({2}, {1.0f, INFINITY});
  EXPECT_FALSE(checkOutputs({inf}, {ref}, {bound}, std::nullopt, 0).passed());
  Tensor wide({1, 2}, {1.0f, 2.0f});
  CheckResult shape = checkOutputs({wide}, {ref}, {bound}, std::nullopt, 1);
  EXPECT_FALSE(shape.passed());
  EXPECT_EQ(describeCheck(shape, {2}, 2),
            "check: FAILED on rank 1: output #0 has the wrong shape");
  // Within the bound passes; past it fails and says by how much.
  Tensor close({2}, {1.0f, 2.0000005f}), far({2}, {1.0f, 2.01f});
  EXPECT_TRUE(
      checkOutputs({close}, {ref}, {Tensor({2}, {1e-6f, 1e-6f})}, {}, 0)
          .passed());
  CheckResult off = checkOutputs({far}, {ref}, {bound}, std::nullopt, 0);
  EXPECT_FALSE(off.passed());
  EXPECT_NEAR(off.ratio, 0.01 / 1e-6, 100);
}
} // namespace
