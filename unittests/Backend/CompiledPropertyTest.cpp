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
TEST(CPUModelTest, RefusesWhatItWouldReinterpret) {
  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
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
TEST(CPUModelTest, CollectiveInALoop) {
  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
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
} // namespace
