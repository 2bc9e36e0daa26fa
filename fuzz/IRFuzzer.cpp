//===- IRFuzzer.cpp - tp IR through every step, on any bytes --------------===//
//
// An input is either IR text, or, when it starts with 'G', a chain built
// from its bytes (depth, widths, activations, biases, shardings, a dynamic
// batch): the structure-aware half, which reaches the partitioner and the
// lowering with valid models most of the time.
//
// Each model goes through the tools' path: the nesting guard, parse and
// verify, Model::adopt, the partition pipeline for 1 to 4 devices and some
// strategy, and the CPU lowering to the LLVM dialect. When it partitions and
// is small, it also runs: the partitioned program on the simulated devices
// must match the model within the f32 rounding bounds, or the fuzzer stops
// (a wrong answer is a finding, like a crash).
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Support/InputGuards.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;
using namespace mlir::tp;

namespace {
/// The fuzz input as a stream of small choices.
class Choices {
public:
  Choices(const uint8_t *data, size_t size) : data(data), size(size) {}
  /// A number in [lo, hi]; lo once the bytes run out.
  int64_t pick(int64_t lo, int64_t hi) {
    if (at >= size)
      return lo;
    return lo + data[at++] % (hi - lo + 1);
  }

private:
  const uint8_t *data;
  size_t size, at = 0;
};

/// A chain described by `choices`.
std::string generateChain(Choices &choices) {
  // Every kind, those with parameters with PyTorch's defaults and with
  // others.
  const char *acts[] = {"identity",
                        "relu",
                        "gelu",
                        "gelu_tanh",
                        "sigmoid",
                        "tanh",
                        "silu",
                        "leaky_relu",
                        "leaky_relu(0.2)",
                        "elu",
                        "elu(0.5)",
                        "selu",
                        "softplus",
                        "softplus(2.0, 5.0)",
                        "mish",
                        "hardtanh(-2.0, 2.0)",
                        "hardtanh(0.0, 6.0)",
                        "hardsigmoid",
                        "hardswish"};
  const char *shardings[] = {"", " sharding(row)", " sharding(column)",
                             " sharding(replicated)"};
  int64_t depth = choices.pick(1, 5);
  bool dynamic = choices.pick(0, 1);
  std::string batch = dynamic ? "?" : std::to_string(choices.pick(1, 6));
  std::vector<int64_t> widths;
  for (int64_t i = 0; i <= depth; ++i)
    widths.push_back(choices.pick(1, 40));
  auto t2 = [](const std::string &rows, int64_t cols) {
    return "tensor<" + rows + "x" + std::to_string(cols) + "xf32>";
  };
  std::string args = "%x: " + t2(batch, widths[0]), body, value = "%x";
  for (int64_t i = 0; i < depth; ++i) {
    int64_t k = widths[i], n = widths[i + 1];
    std::string w = t2(std::to_string(n), k);
    std::string b = "tensor<" + std::to_string(n) + "xf32>";
    bool bias = choices.pick(0, 1);
    std::string act = acts[choices.pick(0, int64_t(std::size(acts)) - 1)];
    args += ", %w" + std::to_string(i) + ": " + w + " {tp.name = \"w" +
            std::to_string(i) + "\"}";
    if (bias)
      args += ", %b" + std::to_string(i) + ": " + b + " {tp.name = \"b" +
              std::to_string(i) + "\"}";
    std::string out = "%h" + std::to_string(i);
    body += "  " + out + " = tp.linear " + value + ", %w" + std::to_string(i) +
            (bias ? ", %b" + std::to_string(i) : "") + " activation(" + act +
            ")" + shardings[choices.pick(0, 3)] + " : " + t2(batch, k) + ", " +
            w + (bias ? ", " + b : "") + " -> " + t2(batch, n) + "\n";
    value = out;
    if (choices.pick(0, 3) == 0) {
      std::string a = "%a" + std::to_string(i);
      body += "  " + a + " = tp.activation " +
              acts[choices.pick(0, int64_t(std::size(acts)) - 1)] + " " +
              value + " : " + t2(batch, n) + "\n";
      value = a;
    }
  }
  return "func.func @chain(" + args + ") -> " + t2(batch, widths[depth]) +
         " {\n" + body + "  return " + value + " : " +
         t2(batch, widths[depth]) + "\n}\n";
}

MLIRContext &getContext() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    registerDriverDialects(registry);
    auto *ctx = new MLIRContext(registry);
    ctx->loadAllAvailableDialects();
    ctx->printOpOnDiagnostic(false);
    return ctx;
  }();
  return *context;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &context = getContext();
  // Diagnostics are the expected outcome of most inputs.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  std::string text;
  if (size && data[0] == 'G') {
    Choices choices(data + 1, size - 1);
    text = generateChain(choices);
  } else {
    text.assign(reinterpret_cast<const char *>(data), size);
  }
  if (!checkNestingDepth(text).empty())
    return 0;
  FailureOr<Model> model =
      Model::adopt(parseSourceString<ModuleOp>(text, &context), "fuzz", "");
  if (failed(model))
    return 0;
  int64_t devices = 1 + static_cast<int64_t>(size % 4);
  auto strategy = static_cast<PartitionStrategy>(size / 4 % 4);
  FailureOr<PartitionedModel> program =
      PartitionedModel::create(*model, devices, strategy);
  if (failed(program))
    return 0;

  // The CPU lowering, as far as the LLVM dialect.
  OwningOpRef<ModuleOp> lowered = program->getModule().clone();
  PassManager pm(&context);
  addTPToLLVMPipeline(pm, TPToLLVMOptions());
  (void)pm.run(*lowered);

  // Small models also run, partitioned against unpartitioned.
  ArgumentOptions argumentOptions;
  argumentOptions.batch = 3;
  argumentOptions.seed = size;
  llvm::Expected<ArgumentSource> arguments =
      ArgumentSource::create(*model, argumentOptions);
  if (!arguments) {
    llvm::consumeError(arguments.takeError());
    return 0;
  }
  uint64_t bytes = 0;
  for (int64_t r = 0; r < devices; ++r)
    bytes += arguments->estimateRankBytes(*program, r);
  if (bytes > (64u << 20))
    return 0;
  RankTensors rankArgs;
  for (int64_t r = 0; r < devices; ++r) {
    auto args = arguments->getRankArguments(*program, r);
    if (!args) {
      llvm::consumeError(args.takeError());
      return 0;
    }
    rankArgs.push_back(std::move(*args));
  }
  FailureOr<BoundedResults> expected = evaluateWithBounds(
      model->getEntry(), [&](unsigned i) { return arguments->getFull(i); });
  FailureOr<RankTensors> actual = evaluateSPMD(program->getEntry(), rankArgs);
  if (failed(expected) || failed(actual))
    return 0;
  for (int64_t r = 0; r < devices; ++r) {
    CheckResult verdict = checkOutputs((*actual)[r], expected->values,
                                       expected->bounds, std::nullopt, r);
    if (!verdict.passed()) {
      std::fprintf(
          stderr, "partitioned result differs:\n%s\n%s\n", text.c_str(),
          describeCheck(verdict, arguments->getResultShapes()[verdict.output],
                        devices)
              .c_str());
      std::abort();
    }
  }
  return 0;
}
