//===- tp-run.cpp - compile, run and check a tp model ---------------------===//
//
// The driver for the main job. Today it parses and verifies a model, makes
// its inputs, runs it with the reference evaluator and summarizes the output.
//
//===----------------------------------------------------------------------===//

#include "ExampleModel.h"

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tp;
namespace cl = llvm::cl;

static cl::OptionCategory category("tp-run options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("[model.mlir]"),
                                      cl::init(""), cl::cat(category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Function to run (default: the only public function)"),
              cl::value_desc("name"), cl::init(""), cl::cat(category));
static cl::opt<uint64_t>
    seed("seed", cl::desc("Seed of the random weights and input (default 0)"),
         cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    batch("batch",
          cl::desc("Batch size for a model with a dynamic batch (default 8)"),
          cl::init(8), cl::cat(category));
static cl::opt<bool>
    printOutput("print-output",
                cl::desc("Print every output element, not only a summary"),
                cl::init(false), cl::cat(category));

namespace {
/// Scale of the random values for argument `arg`: PyTorch's nn.Linear
/// default, uniform in +-1/sqrt(in_features), for weights and biases; 1 for
/// activations.
float initScale(BlockArgument arg) {
  for (Operation *user : arg.getUsers()) {
    auto linear = dyn_cast<LinearOp>(user);
    if (linear && (linear.getWeight() == arg || linear.getBias() == arg))
      return 1.0f / std::sqrt(static_cast<float>(linear.getInFeatures()));
  }
  return 1.0f;
}

struct Stats {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  double mean = 0, l2 = 0;
};

Stats summarize(const Tensor &t) {
  Stats s;
  for (float v : t.data) {
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    s.mean += v;
    s.l2 += double(v) * v;
  }
  if (!t.data.empty())
    s.mean /= t.data.size();
  s.l2 = std::sqrt(s.l2);
  return s;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tp-run: run a tp model and summarize its output\n\n"
      "With no model argument, runs the built-in example chain "
      "(examples/mlp.mlir).\n");

  if (batch < 1) {
    llvm::errs() << "tp-run: error: --batch must be at least 1, got " << batch
                 << "\n";
    return 1;
  }

  DialectRegistry registry;
  registerModelDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  llvm::SourceMgr sourceMgr;
  std::string name =
      modelPath.empty() ? std::string(kExampleModelName) : modelPath.getValue();
  if (modelPath.empty()) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBuffer(kExampleModel, name), llvm::SMLoc());
  } else {
    std::string error;
    auto buffer = openInputFile(modelPath, &error);
    if (!buffer) {
      llvm::errs() << "tp-run: error: " << error << "\n";
      return 1;
    }
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  }
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  OwningOpRef<ModuleOp> module = parseModel(context, sourceMgr);
  if (!module)
    return 1;
  FunctionOpInterface fn = lookupEntry(*module, entryName);
  if (!fn)
    return 1;

  // Random arguments, each from its own stream of the seed.
  SmallVector<Tensor> args;
  Block &block = fn.getFunctionBody().front();
  for (BlockArgument arg : block.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type) {
      fn.emitError() << "argument #" << arg.getArgNumber()
                     << " is not a ranked tensor: " << arg.getType();
      return 1;
    }
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = batch;
    args.push_back(
        Tensor::random(shape, seed, arg.getArgNumber(), initScale(arg)));
  }

  auto start = std::chrono::steady_clock::now();
  FailureOr<SmallVector<Tensor>> results = evaluate(fn, args);
  auto stop = std::chrono::steady_clock::now();
  if (failed(results))
    return 1;

  int64_t layers = 0;
  fn.walk([&](LinearOp) { ++layers; });
  fmt::print("model   {} (@{}), {} linear layer{}\n", name, fn.getName(),
             layers, layers == 1 ? "" : "s");
  for (BlockArgument arg : block.getArguments()) {
    auto label = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                 TPDialect::kNameAttrName);
    fmt::print("  arg #{:<2} {:<12} {:>10}  random, seed {}\n",
               arg.getArgNumber(),
               label ? label.getValue().str() : std::string("(input)"),
               args[arg.getArgNumber()].shapeString(), seed.getValue());
  }
  for (auto [i, out] : llvm::enumerate(*results)) {
    Stats s = summarize(out);
    fmt::print(
        "output #{} {}: min {:.6g}  max {:.6g}  mean {:.6g}  l2 {:.6g}\n", i,
        out.shapeString(), s.min, s.max, s.mean, s.l2);
    if (printOutput) {
      int64_t cols = out.shape.empty() ? 1 : out.shape.back();
      for (size_t j = 0; j < out.data.size(); ++j)
        fmt::print("{:.6g}{}", out.data[j],
                   (int64_t(j + 1) % cols == 0) ? "\n" : " ");
    }
  }
  double ms = std::chrono::duration<double, std::milli>(stop - start).count();
  fmt::print("evaluated with the reference evaluator (unpartitioned) in "
             "{:.2f} ms\n",
             ms);
  return 0;
}
