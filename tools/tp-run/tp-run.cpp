//===- tp-run.cpp - partition, run and check a tp model -------------------===//
//
// The driver for the main job: parse and verify a model, make its inputs,
// partition it for D devices, run it, and compare with the unpartitioned
// reference. Until a compiled backend exists, the D devices are simulated by
// the reference evaluator, collectives included.
//
//===----------------------------------------------------------------------===//

#include "ExampleModel.h"

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/IO/SafeTensors.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
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
static cl::opt<int64_t>
    devices("devices",
            cl::desc("Number of devices D to partition across (default: the "
                     "module's tp.mesh, or 1 without one)"),
            cl::value_desc("D"), cl::init(0), cl::cat(category));
static cl::opt<std::string>
    strategy("strategy",
             cl::desc("Sharding of layers without one: row, column, "
                      "alternate (default) or replicated"),
             cl::init("alternate"), cl::cat(category));
static cl::opt<std::string>
    weightsPath("weights",
                cl::desc("Weights from a .safetensors file, by the tp.name "
                         "of each argument (default: random from --seed); "
                         "each device reads only its shard"),
                cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string>
    inputPath("input",
              cl::desc("The model input from a float32 .npy file (default: "
                       "random from --seed); its batch overrides --batch"),
              cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string>
    outputPath("output", cl::desc("Write the output to a float32 .npy file"),
               cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string> saveWeightsPath(
    "save-weights",
    cl::desc("Write the random weights to a .safetensors file, to reuse "
             "with --weights"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string>
    backend("backend",
            cl::desc("Where the D devices run: threads (compiled code, one "
                     "thread per device; default) or evaluator (the "
                     "reference evaluator simulates them)"),
            cl::init("threads"), cl::cat(category));
static cl::opt<std::string>
    matmul("matmul",
           cl::desc("Local matmuls of compiled code: blas (OpenBLAS sgemm; "
                    "default) or codegen (MLIR-generated loops)"),
           cl::init("blas"), cl::cat(category));
static cl::opt<int64_t>
    iterations("iterations",
               cl::desc("Timed runs of the model (default 1); the time and "
                        "the per-layer table are averages over them"),
               cl::init(1), cl::cat(category));
static cl::opt<int64_t> warmup("warmup",
                               cl::desc("Untimed runs before the timed ones "
                                        "(default 0)"),
                               cl::init(0), cl::cat(category));
static cl::opt<bool> check("check",
                           cl::desc("Compare every device's output with the "
                                    "unpartitioned reference; exit 1 on a "
                                    "mismatch"),
                           cl::init(false), cl::cat(category));
static cl::opt<double>
    tolerance("tolerance",
              cl::desc("Largest relative error --check accepts (default "
                       "1e-5)"),
              cl::init(1e-5), cl::cat(category));
static cl::opt<uint64_t>
    seed("seed", cl::desc("Seed of the random weights and input (default 0)"),
         cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    batch("batch",
          cl::desc("Batch size for a model with a dynamic batch (default 8)"),
          cl::init(8), cl::cat(category));
static cl::opt<bool> printIR("print-partitioned",
                             cl::desc("Print the partitioned (SPMD) module"),
                             cl::init(false), cl::cat(category));
static cl::opt<bool>
    printOutput("print-output",
                cl::desc("Print every output element, not only a summary"),
                cl::init(false), cl::cat(category));

namespace {
/// Reports a command-line error the way the rest of the tool does.
int usageError(const std::string &message) {
  llvm::errs() << "tp-run: error: " << message << "\n";
  return 1;
}

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

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// Prints compute and communication time per layer (the slowest rank of
/// each, averaged over the iterations), grouped by the layer's location.
void printProfile(ArrayRef<std::string> names,
                  const std::vector<rt::Profile> &profiles,
                  int64_t iterations) {
  if (names.empty() || profiles.empty())
    return;
  struct Row {
    std::string layer;
    double compute = 0, comm = 0;
  };
  std::vector<Row> rows;
  double totalCompute = 0, totalComm = 0;
  for (auto [id, name] : llvm::enumerate(names)) {
    double worst = 0;
    for (const rt::Profile &p : profiles)
      if (id < p.seconds.size())
        worst = std::max(worst, p.seconds[id]);
    worst = worst * 1e3 / iterations;
    StringRef text(name);
    auto [kind, layer] = text.split(' ');
    if (rows.empty() || rows.back().layer != layer)
      rows.push_back(Row{layer.str()});
    (kind == "communication" ? rows.back().comm : rows.back().compute) += worst;
    (kind == "communication" ? totalComm : totalCompute) += worst;
  }
  fmt::print("  {:<40} {:>12} {:>12}\n", "layer (source)", "compute ms",
             "comm ms");
  for (const Row &row : rows)
    fmt::print("  {:<40} {:>12.3f} {:>12.3f}\n", row.layer, row.compute,
               row.comm);
  fmt::print("  {:<40} {:>12.3f} {:>12.3f}\n", "total", totalCompute,
             totalComm);
}

/// Loads the model named on the command line, or the built-in example.
OwningOpRef<ModuleOp> loadModel(MLIRContext &context,
                                llvm::SourceMgr &sourceMgr, std::string &name) {
  name =
      modelPath.empty() ? std::string(kExampleModelName) : modelPath.getValue();
  if (modelPath.empty()) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBuffer(kExampleModel, name), llvm::SMLoc());
  } else {
    std::string error;
    auto buffer = openInputFile(modelPath, &error);
    if (!buffer) {
      usageError(error);
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  }
  return parseModel(context, sourceMgr);
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tp-run: partition a tp model for D devices, run it, and check it\n\n"
      "With no model argument, runs the built-in example chain "
      "(examples/mlp.mlir). The D devices are simulated by the reference "
      "evaluator.\n");

  if (batch < 1)
    return usageError(
        fmt::format("--batch must be at least 1, got {}", batch.getValue()));
  if (devices.getNumOccurrences() && devices < 1)
    return usageError(fmt::format("--devices must be at least 1, got {}",
                                  devices.getValue()));
  if (strategy != "alternate" && !symbolizeShardingKind(strategy))
    return usageError("unknown strategy '" + strategy +
                      "'; expected one of: row, column, alternate, "
                      "replicated");
  if (!(tolerance > 0))
    return usageError("--tolerance must be positive");
  if (backend != "threads" && backend != "evaluator")
    return usageError("unknown backend '" + backend +
                      "'; expected threads or evaluator");
  if (matmul != "blas" && matmul != "codegen")
    return usageError("unknown matmul '" + matmul +
                      "'; expected blas or codegen");
  if (iterations < 1)
    return usageError(fmt::format("--iterations must be at least 1, got {}",
                                  iterations.getValue()));
  if (warmup < 0)
    return usageError(fmt::format("--warmup must not be negative, got {}",
                                  warmup.getValue()));

  DialectRegistry registry;
  registerModelDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // A diagnostic points at the source line; a dump of the op in generic
  // form after it helps compiler developers, not users of the tool.
  context.printOpOnDiagnostic(false);

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  std::string name;
  OwningOpRef<ModuleOp> module = loadModel(context, sourceMgr, name);
  if (!module)
    return 1;
  FunctionOpInterface fn = lookupEntry(*module, entryName);
  if (!fn)
    return 1;
  if (fn->hasAttr(TPDialect::kSPMDAttrName)) {
    fn.emitError() << "is already partitioned; tp-run takes a model-level "
                      "function";
    return 1;
  }

  // The model's inputs are its arguments without a checkpoint name.
  auto isWeight = [&](unsigned i) {
    return bool(fn.getArgAttr(i, TPDialect::kNameAttrName));
  };
  std::optional<Tensor> input;
  if (!inputPath.empty()) {
    unsigned inputs = 0;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      inputs += !isWeight(i);
    if (inputs != 1)
      return usageError(fmt::format(
          "--input gives one tensor, but @{} has {} arguments without a "
          "tp.name",
          fn.getName().str(), inputs));
    auto loaded = readNpy(inputPath);
    if (!loaded)
      return usageError(llvm::toString(loaded.takeError()));
    input = std::move(*loaded);
  }
  if (!weightsPath.empty() && !saveWeightsPath.empty())
    return usageError("--save-weights writes random weights; it cannot be "
                      "combined with --weights");

  // Full argument shapes; a dynamic batch takes the input's or --batch.
  SmallVector<SmallVector<int64_t>> fullShapes;
  for (BlockArgument arg : fn.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type) {
      fn.emitError() << "argument #" << arg.getArgNumber()
                     << " is not a ranked tensor: " << arg.getType();
      return 1;
    }
    SmallVector<int64_t> shape(type.getShape());
    bool fromInput = input && !isWeight(arg.getArgNumber());
    if (fromInput) {
      bool fits = input->getRank() == type.getRank();
      for (int64_t d = 0; fits && d < type.getRank(); ++d)
        fits = type.isDynamicDim(d) || type.getDimSize(d) == input->shape[d];
      if (!fits) {
        std::string expected;
        llvm::raw_string_ostream os(expected);
        os << type;
        return usageError(fmt::format("{} has shape {}, but the model's "
                                      "input is {}",
                                      inputPath.getValue(),
                                      input->shapeString(), expected));
      }
      shape.assign(input->shape.begin(), input->shape.end());
    }
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = batch;
    fullShapes.push_back(shape);
  }

  std::unique_ptr<SafeTensorsFile> weightsFile;
  if (!weightsPath.empty()) {
    auto opened = SafeTensorsFile::open(weightsPath);
    if (!opened)
      return usageError(llvm::toString(opened.takeError()));
    weightsFile = std::move(*opened);
  }
  // Argument i whole, or its slice [offset, offset + size) along `dim`.
  auto argument = [&](unsigned i, std::optional<int64_t> dim, int64_t offset,
                      int64_t size) -> llvm::Expected<Tensor> {
    BlockArgument arg = fn.getArgument(i);
    if (isWeight(i) && weightsFile)
      return weightsFile->read(
          fn.getArgAttrOfType<StringAttr>(i, TPDialect::kNameAttrName)
              .getValue(),
          fullShapes[i], dim, offset, size);
    if (!isWeight(i) && input)
      return dim ? sliceTensor(*input, *dim, offset, size) : *input;
    if (dim)
      return Tensor::randomSlice(fullShapes[i], *dim, offset, size, seed, i,
                                 initScale(arg));
    return Tensor::random(fullShapes[i], seed, i, initScale(arg));
  };

  // Partition a copy; the model stays for the reference.
  int64_t numDevices = devices;
  if (!numDevices) {
    MeshAttr mesh = lookupMesh(fn);
    numDevices = mesh ? mesh.getNumDevices() : 1;
  }
  OwningOpRef<ModuleOp> spmdModule = module->clone();
  PassManager pm(&context);
  PartitionPipelineOptions options;
  options.devices = numDevices;
  options.strategy = strategy;
  addTPPartitionPipeline(pm, options);
  auto start = std::chrono::steady_clock::now();
  if (failed(pm.run(*spmdModule)))
    return 1;
  double partitionMs = millisecondsSince(start);
  FunctionOpInterface spmdFn = lookupEntry(*spmdModule, fn.getName());
  if (printIR)
    spmdModule->print(llvm::outs());

  // Each rank reads (or makes) only its own shard of each weight: random
  // values are a function of the element's index in the full tensor.
  RankTensors rankArgs(numDevices);
  for (BlockArgument arg : fn.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto shard =
        spmdFn.getArgAttrOfType<ShardAttr>(i, TPDialect::kShardAttrName);
    for (int64_t r = 0; r < numDevices; ++r) {
      bool split = shard && !shard.isReplicated();
      auto t = split ? argument(i, shard.getDim(), shard.getOffsets()[r],
                                shard.getSizes()[r])
                     : argument(i, std::nullopt, 0, 0);
      if (!t)
        return usageError(llvm::toString(t.takeError()));
      rankArgs[r].push_back(std::move(*t));
    }
  }

  // The full arguments, for --check and --save-weights only.
  SmallVector<Tensor> args;
  if (check || !saveWeightsPath.empty()) {
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      auto t = argument(i, std::nullopt, 0, 0);
      if (!t)
        return usageError(llvm::toString(t.takeError()));
      args.push_back(std::move(*t));
    }
  }
  if (!saveWeightsPath.empty()) {
    std::vector<std::pair<std::string, const Tensor *>> named;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (isWeight(i))
        named.push_back(
            {fn.getArgAttrOfType<StringAttr>(i, TPDialect::kNameAttrName).str(),
             &args[i]});
    if (llvm::Error error = SafeTensorsFile::write(saveWeightsPath, named))
      return usageError(llvm::toString(std::move(error)));
  }

  std::unique_ptr<CPUModel> compiled;
  double compileMs = 0;
  if (backend == "threads") {
    start = std::chrono::steady_clock::now();
    CPUCompileOptions compileOptions;
    compileOptions.matmul = matmul;
    compileOptions.profile = true;
    auto model = CPUModel::compile(*spmdModule, fn.getName(), compileOptions);
    if (failed(model))
      return 1;
    compiled = std::move(*model);
    compileMs = millisecondsSince(start);
  }

  FailureOr<RankTensors> results = failure();
  std::vector<rt::Profile> profiles, total;
  double runMs = 0;
  for (int64_t it = 0; it < warmup + iterations; ++it) {
    start = std::chrono::steady_clock::now();
    if (compiled) {
      std::string error;
      results = compiled->run(rankArgs, &profiles, error);
      if (failed(results)) {
        llvm::errs() << "tp-run: error: " << error << "\n";
        return 1;
      }
    } else {
      results = evaluateSPMD(spmdFn, rankArgs);
      if (failed(results))
        return 1;
    }
    if (it < warmup)
      continue;
    runMs += millisecondsSince(start);
    if (total.empty())
      total = profiles;
    else
      for (auto [t, p] : llvm::zip(total, profiles))
        for (size_t k = 0; k < p.seconds.size(); ++k)
          t.seconds[k] += p.seconds[k];
  }
  runMs /= iterations;

  int64_t layers = 0;
  fn.walk([&](LinearOp) { ++layers; });
  std::map<std::string, int64_t> collectives;
  spmdFn.walk([&](Operation *op) {
    if (isa<AllGatherOp, AllReduceOp, ReduceScatterOp, AllSliceOp>(op))
      ++collectives[op->getName().stripDialect().str()];
  });

  fmt::print("model   {} (@{}), {} linear layer{}\n", name, fn.getName(),
             layers, layers == 1 ? "" : "s");
  for (BlockArgument arg : fn.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto label = fn.getArgAttrOfType<StringAttr>(i, TPDialect::kNameAttrName);
    auto shard =
        spmdFn.getArgAttrOfType<ShardAttr>(i, TPDialect::kShardAttrName);
    std::string split = "replicated";
    if (shard && !shard.isReplicated())
      split = fmt::format("split along dim {}, rank 0 holds {}",
                          *shard.getDim(), rankArgs[0][i].shapeString());
    fmt::print("  arg #{:<2} {:<12} {:>10}  {}\n", i,
               label ? label.getValue().str() : std::string("(input)"),
               Tensor(fullShapes[i]).shapeString(), split);
  }
  fmt::print(
      "partitioned for {} device{} ({} strategy) in {:.2f} ms:", numDevices,
      numDevices == 1 ? "" : "s", strategy.getValue(), partitionMs);
  if (collectives.empty())
    fmt::print(" no collectives");
  for (auto &[opName, count] : collectives)
    fmt::print(" {} {}", count, opName);
  fmt::print("\n");

  const SmallVector<Tensor> &outputs = (*results)[0];
  for (auto [i, out] : llvm::enumerate(outputs)) {
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
  if (compiled) {
    fmt::print("compiled for CPU threads ({} matmul) in {:.1f} ms\n",
               matmul.getValue(), compileMs);
    printProfile(compiled->getProfileNames(), total, iterations);
    fmt::print("ran on {} thread{} in {:.3f} ms per iteration ({} "
               "iteration{}, {} warm-up)\n",
               numDevices, numDevices == 1 ? "" : "s", runMs,
               iterations.getValue(), iterations == 1 ? "" : "s",
               warmup.getValue());
  } else {
    fmt::print("ran on {} simulated device{} (reference evaluator) in {:.2f} "
               "ms per iteration\n",
               numDevices, numDevices == 1 ? "" : "s", runMs);
  }

  if (!outputPath.empty()) {
    if (outputs.size() != 1)
      return usageError("--output writes one tensor, the model returns " +
                        std::to_string(outputs.size()));
    if (llvm::Error error = writeNpy(outputPath, outputs[0]))
      return usageError(llvm::toString(std::move(error)));
  }
  if (!check)
    return 0;
  FailureOr<SmallVector<Tensor>> expected = evaluate(fn, args);
  if (failed(expected))
    return 1;
  // Elementwise relative error, magnitudes under 10% of the output's largest
  // judged against that 10% (see docs/partitioning.md).
  double worst = 0;
  for (int64_t r = 0; r < numDevices; ++r) {
    for (auto [i, out] : llvm::enumerate((*results)[r])) {
      const Tensor &ref = (*expected)[i];
      if (out.shape != ref.shape) {
        fmt::print("check: FAILED: rank {} output #{} has shape {}, the "
                   "reference {}\n",
                   r, i, out.shapeString(), ref.shapeString());
        return 1;
      }
      worst = std::max(worst, outputRelativeError(out, ref));
    }
  }
  bool ok = worst < tolerance;
  fmt::print("check: {} max relative error {:.3g} against the unpartitioned "
             "reference on all {} ranks (tolerance {:.3g})\n",
             ok ? "passed," : "FAILED:", worst, numDevices,
             tolerance.getValue());
  return ok ? 0 : 1;
}
