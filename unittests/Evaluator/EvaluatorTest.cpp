//===- EvaluatorTest.cpp - the reference evaluator against hand values ----===//
//
// Expected values are worked out by hand or from closed forms (Python's math
// module), never by running the evaluator.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tp;

namespace {
class EvaluatorTest : public ::testing::Test {
protected:
  EvaluatorTest() {
    DialectRegistry registry;
    registerModelDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Evaluates the only function of `source`; collects diagnostics.
  FailureOr<SmallVector<Tensor>> run(StringRef source, ArrayRef<Tensor> args) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += diag.str() + "\n";
      return success();
    });
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return failure();
    FunctionOpInterface fn = lookupEntry(*module, "");
    if (!fn)
      return failure();
    return evaluate(fn, args);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;
};

constexpr const char *kOneLayer = R"mlir(
  func.func @f(%x: tensor<?x2xf32>, %w: tensor<3x2xf32>, %b: tensor<3xf32>)
      -> tensor<?x3xf32> {
    %y = tp.linear %x, %w, %b activation(relu)
        : tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  })mlir";

TEST_F(EvaluatorTest, LinearWithBiasAndRelu) {
  Tensor x({2, 2}, {1, 2, 3, 4});
  Tensor w({3, 2}, {1, 0, 0, -1, 1, 1});
  Tensor b({3}, {0.5f, 1.0f, -8.0f});
  auto out = run(kOneLayer, {x, w, b});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  ASSERT_EQ(out->size(), 1u);
  // x W^T = [[1, -2, 3], [3, -4, 7]]; + b = [[1.5, -1, -5], [3.5, -3, -1]].
  EXPECT_EQ((*out)[0].shape, (SmallVector<int64_t, 2>{2, 3}));
  EXPECT_EQ((*out)[0].data,
            (std::vector<float>{1.5f, 0.0f, 0.0f, 3.5f, 0.0f, 0.0f}));
}

TEST_F(EvaluatorTest, DynamicBatchTakesAnySize) {
  Tensor x({1, 2}, {2, 1});
  Tensor w({3, 2}, {1, 1, 2, 0, 0, 3});
  Tensor b({3}, {0, 0, 0});
  auto out = run(kOneLayer, {x, w, b});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  EXPECT_EQ((*out)[0].data, (std::vector<float>{3, 4, 3}));
}

TEST_F(EvaluatorTest, RejectsWrongArgumentShape) {
  Tensor x({2, 3});
  Tensor w({3, 2});
  Tensor b(ArrayRef<int64_t>{3});
  auto out = run(kOneLayer, {x, w, b});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("argument #0: expected a tensor matching "
                             "'tensor<?x2xf32>', got shape 2x3"),
            std::string::npos)
      << diagnostics;
}

TEST_F(EvaluatorTest, RejectsWrongArgumentCount) {
  auto out = run(kOneLayer, {Tensor({1, 2})});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("expected 3 arguments, got 1"), std::string::npos)
      << diagnostics;
}

TEST_F(EvaluatorTest, RejectsUnsupportedOps) {
  auto out = run(R"mlir(
    func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
      %0 = arith.addf %a, %a : tensor<2xf32>
      return %0 : tensor<2xf32>
    })mlir",
                 {Tensor(ArrayRef<int64_t>{2})});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("is not supported by the reference evaluator"),
            std::string::npos)
      << diagnostics;
}

TEST_F(EvaluatorTest, EvaluatesAFileByPath) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("model", "mlir", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << kOneLayer;
  }
  Tensor x({1, 2}, {2, 1});
  Tensor w({3, 2}, {1, 1, 2, 0, 0, 3});
  Tensor b({3}, {1, 1, 1});
  auto out = evaluateFile(context, path, "f", {x, w, b});
  llvm::sys::fs::remove(path);
  ASSERT_TRUE(succeeded(out));
  EXPECT_EQ((*out)[0].data, (std::vector<float>{4, 5, 4}));
}

TEST_F(EvaluatorTest, ModelsHaveNoRank) {
  // A rank in a model would make its result depend on the device; the
  // verifier rejects it before anything runs.
  auto out = run(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
      func.func @f(%a: tensor<2xf32>) -> index {
        %r = tp.rank : index
        return %r : index
      }
    })mlir",
                 {Tensor(ArrayRef<int64_t>{2})});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("'tp.rank' op runs per device and belongs in a "
                             "partitioned function"),
            std::string::npos)
      << diagnostics;
}

struct ActivationCase {
  ActivationKind kind;
  float x, expected;
};

TEST(ActivationTest, MatchesClosedForms) {
  const ActivationCase cases[] = {
      {ActivationKind::identity, -3.25f, -3.25f},
      {ActivationKind::relu, -1.0f, 0.0f},
      {ActivationKind::relu, 2.5f, 2.5f},
      {ActivationKind::gelu, 1.0f, 0.8413447460685429f},
      {ActivationKind::gelu, -1.0f, -0.15865525393145707f},
      {ActivationKind::gelu, 2.5f, 2.4844758366855597f},
      {ActivationKind::gelu_tanh, 1.0f, 0.8411919906082768f},
      {ActivationKind::gelu_tanh, -2.0f, -0.04540230591222494f},
      {ActivationKind::sigmoid, 0.0f, 0.5f},
      {ActivationKind::sigmoid, -2.0f, 0.11920292202211755f},
      {ActivationKind::tanh, 1.0f, 0.7615941559557649f},
      {ActivationKind::tanh, -2.0f, -0.9640275800758169f},
      {ActivationKind::silu, 1.0f, 0.7310585786300049f},
      {ActivationKind::silu, -2.0f, -0.2384058440442351f},
  };
  for (const ActivationCase &c : cases)
    EXPECT_NEAR(applyActivation(c.kind, c.x), c.expected, 1e-6)
        << stringifyActivationKind(c.kind).str() << "(" << c.x << ")";
}
} // namespace
