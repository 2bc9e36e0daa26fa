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

#include <cmath>

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
    EXPECT_NEAR(applyActivation(Activation::withDefaults(c.kind), c.x),
                c.expected, 1e-6)
        << stringifyActivationKind(c.kind).str() << "(" << c.x << ")";
}

struct ParameterizedCase {
  ActivationKind kind;
  std::vector<float> params; // empty: the defaults
  float x, expected;
};

// The kinds with parameters, against PyTorch's torch.nn.functional in
// float64 (the parameters, where given, as written to the op).
TEST(ActivationTest, MatchesPyTorch) {
  const ParameterizedCase cases[] = {
      {ActivationKind::leaky_relu, {}, -2.0f, -0.02f},
      {ActivationKind::leaky_relu, {0.2f}, -1.5f, -0.30000000000000004f},
      {ActivationKind::leaky_relu, {0.2f}, 3.0f, 3.0f},
      {ActivationKind::elu, {}, -1.0f, -0.6321205588285577f},
      {ActivationKind::elu, {0.5f}, -2.0f, -0.43233235838169365f},
      {ActivationKind::elu, {}, 2.0f, 2.0f},
      {ActivationKind::selu, {}, -1.0f, -1.1113307378125625f},
      {ActivationKind::selu, {}, 1.5f, 1.5760514810332207f},
      {ActivationKind::softplus, {}, 0.5f, 0.9740769841801067f},
      {ActivationKind::softplus, {2.0f, 20.0f}, -3.0f, 0.0012378425688652247f},
      {ActivationKind::softplus, {1.0f, 1.0f}, 2.0f, 2.0f},
      {ActivationKind::mish, {}, 1.0f, 0.8650983882673103f},
      {ActivationKind::mish, {}, -2.0f, -0.2525014826957089f},
      {ActivationKind::hardtanh, {}, -3.0f, -1.0f},
      {ActivationKind::hardtanh, {0.0f, 6.0f}, 2.5f, 2.5f}, // relu6
      {ActivationKind::hardtanh, {0.0f, 6.0f}, 7.0f, 6.0f},
      {ActivationKind::hardsigmoid, {}, 1.0f, 0.6666666666666666f},
      {ActivationKind::hardsigmoid, {}, -4.0f, 0.0f},
      {ActivationKind::hardswish, {}, 1.0f, 0.6666666666666666f},
      {ActivationKind::hardswish, {}, -2.0f, -0.3333333333333333f},
      {ActivationKind::hardswish, {}, 4.0f, 4.0f},
  };
  MLIRContext context;
  for (const ParameterizedCase &c : cases) {
    DenseF32ArrayAttr params =
        c.params.empty() ? nullptr : DenseF32ArrayAttr::get(&context, c.params);
    EXPECT_NEAR(applyActivation(Activation::get(c.kind, params), c.x),
                c.expected, 1e-6)
        << stringifyActivationKind(c.kind).str() << "(" << c.x << ")";
  }
}

// A NaN stays NaN through every kind, as in PyTorch.
TEST(ActivationTest, KeepsNaN) {
  for (uint32_t k = 0; k <= getMaxEnumValForActivationKind(); ++k) {
    auto kind = static_cast<ActivationKind>(k);
    EXPECT_TRUE(std::isnan(
        applyActivation(Activation::withDefaults(kind), std::nanf(""))))
        << stringifyActivationKind(kind).str();
  }
}

// The parameters each kind takes, and what the verifier refuses.
TEST(ActivationTest, VerifiesParameters) {
  MLIRContext context;
  std::string message;
  auto verify = [&](ActivationKind kind, std::vector<float> values) {
    message.clear();
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      message = d.str();
      return success();
    });
    return succeeded(verifyActivationParams(
        [&] { return emitError(UnknownLoc::get(&context)); }, kind,
        DenseF32ArrayAttr::get(&context, values)));
  };
  EXPECT_EQ(getNumActivationParams(ActivationKind::relu), 0u);
  EXPECT_EQ(getNumActivationParams(ActivationKind::softplus), 2u);
  EXPECT_EQ(getActivationParamName(ActivationKind::hardtanh, 1), "max_val");
  EXPECT_TRUE(verify(ActivationKind::leaky_relu, {0.2f}));
  EXPECT_FALSE(verify(ActivationKind::relu, {0.2f}));
  EXPECT_EQ(message, "activation relu takes no parameters, found 1");
  EXPECT_FALSE(verify(ActivationKind::softplus, {1.0f}));
  EXPECT_EQ(
      message,
      "activation softplus takes 2 parameters (beta, threshold), found 1");
  EXPECT_FALSE(verify(ActivationKind::elu, {std::nanf("")}));
  EXPECT_EQ(message, "activation elu: alpha must be finite, found nan");
  EXPECT_FALSE(verify(ActivationKind::hardtanh, {1.0f, 1.0f}));
  EXPECT_EQ(message, "activation hardtanh: min_val (1) must be below max_val "
                     "(1)");
  EXPECT_FALSE(verify(ActivationKind::softplus, {0.0f, 20.0f}));
  EXPECT_EQ(message, "activation softplus: beta must be positive, found 0");
}
} // namespace
