//===- CompiledPropertyTest.cpp - compiled SPMD code == reference ---------===//
//
// Random chains are partitioned, compiled for the CPU (BLAS and codegen
// matmuls alternately) and run through the driver on D ranks; every rank's
// output must match the unpartitioned reference evaluator. On threads D
// comes from the case (1 to 8); under mpirun (TP_TEST_BACKEND=mpi) it is
// the job's size and every process checks its own rank.
//
// Replay one case: TP_COMPILED_SEED=<seed> TPBackendTests
// More cases:      TP_COMPILED_CASES=<n> TPBackendTests
//
//===----------------------------------------------------------------------===//

#include "../Support/RandomChains.h"
#include "../Support/TestExecutor.h"

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Runtime/ThreadGroup.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

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
    registerDriverDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  std::string check(const Case &c, MatmulLowering matmul) {
    std::string diagnostics;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += diag.str() + "\n";
      return success();
    });
    int64_t devices = test::getFixedDevices();
    if (!devices)
      devices = c.devices;
    FailureOr<Model> model = Model::adopt(
        parseSourceString<ModuleOp>(c.source, &context), "case", "chain");
    if (failed(model))
      return "the generated model does not parse:\n" + diagnostics;
    FailureOr<PartitionedModel> program = PartitionedModel::create(
        *model, devices, c.strategyOption(), c.optimize);
    if (failed(program))
      return "partitioning failed:\n" + diagnostics;
    ArgumentOptions argumentOptions;
    argumentOptions.seed = c.seed;
    argumentOptions.batch = c.batch;
    llvm::Expected<ArgumentSource> arguments =
        ArgumentSource::create(*model, argumentOptions);
    if (!arguments)
      return llvm::toString(arguments.takeError());
    CompileOptions compileOptions;
    compileOptions.matmul = matmul;
    auto compiled = compileForCPU(*program, compileOptions);
    if (failed(compiled))
      return "compilation failed:\n" + diagnostics;

    Session session(*model, *program, *arguments, compiled->get());
    RunOptions runOptions;
    runOptions.check = true;
    std::string error;
    FailureOr<RunResult> result =
        session.run(test::getTestExecutor(devices), runOptions, error);
    if (failed(result))
      return "the compiled program failed: " + error + "\n" + diagnostics;
    // Every rank judged its own output (a wrong shape counts as an infinite
    // error) and all agree on the worst, so under MPI every process takes
    // the same branch here and the ranks stay in step.
    maxRatio = std::max(maxRatio, result->check->ratio);
    if (!result->check->passed())
      return describeCheck(*result->check,
                           arguments->getResultShapes()[result->check->output],
                           devices);
    return "";
  }

  MLIRContext context;
  /// The worst error, as a share of its f32 rounding bound.
  double maxRatio = 0;
};

TEST_F(CompiledPropertyTest, CompiledEqualsReference) {
  if (const char *replay = std::getenv("TP_COMPILED_SEED")) {
    Case c = test::makeCase(std::strtoull(replay, nullptr, 10));
    for (MatmulLowering matmul :
         {MatmulLowering::blas, MatmulLowering::codegen}) {
      std::string failure = check(c, matmul);
      EXPECT_TRUE(failure.empty())
          << stringifyMatmulLowering(matmul).str() << "\n"
          << c.describe() << failure;
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
    MatmulLowering matmul =
        i % 2 ? MatmulLowering::codegen : MatmulLowering::blas;
    std::string failure = check(c, matmul);
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << "replay with TP_COMPILED_SEED=" << seed << " ("
                    << stringifyMatmulLowering(matmul).str() << ")\n"
                    << c.describe() << failure;
    }
  }
  std::printf("%lld compiled cases, worst error %.1f%% of its f32 rounding "
              "bound\n",
              static_cast<long long>(cases), 100 * maxRatio);
}
} // namespace

namespace {
/// Hand-written SPMD modules compiled for the CPU; `diagnostics` collects
/// what compiling them reports.
class CPUModelTest : public ::testing::Test {
protected:
  CPUModelTest() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
  }
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    registerDriverDialects(registry);
    return registry;
  }

  MLIRContext context;
  std::string diagnostics;
  ScopedDiagnosticHandler handler{&context, [this](Diagnostic &diag) {
                                    diagnostics += diag.str() + "\n";
                                    return success();
                                  }};
};

TEST_F(CPUModelTest, RefusesWhatItWouldReinterpret) {
  // A hand-written partitioned function that returns f64: the host reads
  // f32 buffers, so compiling it would turn 1.0 and 2.0 into garbage.
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
      func.func @f() -> tensor<2xf64> attributes {tp.spmd} {
        %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf64>
        return %c : tensor<2xf64>
      }
    })mlir",
                                                             &context);
  ASSERT_TRUE(module);
  EXPECT_TRUE(failed(CPUModel::compile(*module, "f", {})));
  EXPECT_NE(diagnostics.find("compiled functions take and return f32 "
                             "tensors, found 'tensor<2xf64>'"),
            std::string::npos)
      << diagnostics;
}

// A collective inside a loop of hand-written SPMD code: its result, a fresh
// buffer, is yielded to the next iteration. Three all_reduces of sum on two
// ranks give 4 (p0 + p1).
TEST_F(CPUModelTest, CollectiveInALoop) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
      func.func @f(%p: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c3 = arith.constant 3 : index
        %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %p) -> tensor<4x8xf32> {
          %s = tp.all_reduce sum %a : tensor<4x8xf32>
          scf.yield %s : tensor<4x8xf32>
        }
        return %r : tensor<4x8xf32>
      }
    })mlir",
                                                             &context);
  ASSERT_TRUE(module);
  FailureOr<std::unique_ptr<CPUModel>> model =
      CPUModel::compile(*module, "f", {});
  ASSERT_TRUE(succeeded(model));
  std::vector<Tensor> results(2);
  std::vector<std::string> errors(2);
  auto group = rt::ThreadGroup::create(2);
  ASSERT_TRUE(group->run([&](rt::Communicator &comm) {
    int64_t rank = comm.rank();
    Tensor p({4, 8});
    for (int64_t i = 0; i < 32; ++i)
      p.data[i] = float(i + 100 * rank);
    FailureOr<Tensor> out = (*model)->invoke({p}, errors[rank]);
    if (succeeded(out))
      results[rank] = std::move(*out);
  })) << group->error();
  for (int64_t rank = 0; rank < 2; ++rank) {
    ASSERT_EQ(results[rank].getNumElements(), 32) << errors[rank];
    for (int64_t i = 0; i < 32; ++i)
      EXPECT_EQ(results[rank].data[i], 4.0f * float(2 * i + 100))
          << "rank " << rank << ", element " << i;
  }
}

// Weights packed ahead, passed as they are to invoke, which packs them for
// the call: y = x W^T with 24 output features (a padded second panel at
// R = 16) against a plain loop.
TEST_F(CPUModelTest, PackedWeightsInvokedInPlace) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
      func.func @f(%x: tensor<5x20xf32>, %w: tensor<24x20xf32>) -> tensor<5x24xf32> attributes {tp.spmd} {
        %y = tp.local_linear %x, %w : tensor<5x20xf32>, tensor<24x20xf32> -> tensor<5x24xf32>
        return %y : tensor<5x24xf32>
      }
    })mlir",
                                                             &context);
  ASSERT_TRUE(module);
  CPUCompileOptions options;
  options.matmul = MatmulLowering::codegen;
  options.matmulVectorLanes = 16;
  options.packWeightsAhead = true;
  FailureOr<std::unique_ptr<CPUModel>> model =
      CPUModel::compile(*module, "f", options);
  ASSERT_TRUE(succeeded(model));
  ArrayRef<PackedWeight> packed = (*model)->getPackedWeights();
  ASSERT_EQ(packed.size(), 1u);
  EXPECT_EQ(packed[0].argument, 1u);
  EXPECT_EQ(packed[0].rows, 16);
  EXPECT_FALSE(packed[0].kMajor);
  EXPECT_EQ((packed[0].packedShape()), (std::array<int64_t, 4>{2, 20, 16, 1}));
  Tensor x({5, 20}), w({24, 20});
  for (int64_t i = 0; i < 100; ++i)
    x.data[i] = float(i % 7) - 3.0f;
  for (int64_t i = 0; i < 480; ++i)
    w.data[i] = float(i % 11) * 0.5f - 2.0f;
  Tensor y;
  std::string error;
  auto group = rt::ThreadGroup::create(1);
  ASSERT_TRUE(group->run([&](rt::Communicator &) {
    FailureOr<Tensor> out = (*model)->invoke({x, w}, error);
    if (succeeded(out))
      y = std::move(*out);
  })) << group->error();
  ASSERT_EQ(y.getNumElements(), 120) << error;
  for (int64_t m = 0; m < 5; ++m)
    for (int64_t n = 0; n < 24; ++n) {
      float expected = 0;
      for (int64_t k = 0; k < 20; ++k)
        expected += x.data[m * 20 + k] * w.data[n * 20 + k];
      EXPECT_EQ(y.data[m * 24 + n], expected) << m << ", " << n;
    }
  // Packing ahead is for models that place their arguments.
  options.forLinking = true;
  EXPECT_TRUE(failed(CPUModel::compile(*module, "f", options)));
  EXPECT_NE(diagnostics.find("an object for linking takes them as they are"),
            std::string::npos)
      << diagnostics;
}

// The packed layout: [ceil(N/R)][K][R][1], element [n1][k][n0] =
// W[n1 R + n0][k] (or B[k][n1 R + n0]), zero past N.
TEST(PackedWeightTest, Layout) {
  std::vector<float> src(15);
  for (int i = 0; i < 15; ++i)
    src[i] = float(i);
  for (bool kMajor : {false, true}) {
    PackedWeight w;
    w.rows = 4;
    w.kMajor = kMajor;
    w.shape = kMajor ? std::array<int64_t, 2>{3, 5}  // K x N
                     : std::array<int64_t, 2>{5, 3}; // N x K
    std::vector<float> dst(2 * 3 * 4, -1.0f);
    w.pack(src.data(), dst.data());
    for (int64_t n1 = 0; n1 < 2; ++n1)
      for (int64_t k = 0; k < 3; ++k)
        for (int64_t n0 = 0; n0 < 4; ++n0) {
          int64_t n = n1 * 4 + n0;
          float expected = n >= 5 ? 0.0f : src[kMajor ? k * 5 + n : n * 3 + k];
          EXPECT_EQ(dst[(n1 * 3 + k) * 4 + n0], expected)
              << (kMajor ? "K x N" : "N x K") << ": [" << n1 << "][" << k
              << "][" << n0 << "]";
        }
  }
}
} // namespace
