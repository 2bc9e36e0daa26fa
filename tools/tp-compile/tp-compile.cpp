//===- tp-compile.cpp - ahead-of-time compile a tp model ------------------===//
//
// Partitions a model for D devices and writes the compiled code as an object
// file plus a C header, for embedding in an application (see examples/aot/).
// The job itself is compileAheadOfTime (tp-mlir/Driver/Driver.h).
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Support/Limits.h"
#include "tp-mlir/Support/OptionChecks.h"
#include "tp-mlir/Support/StackGuard.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

using namespace mlir;
using namespace mlir::tp;
namespace cl = llvm::cl;

static cl::OptionCategory category("tp-compile options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string> objectPath("o", cl::Required,
                                       cl::desc("Object file to write"),
                                       cl::value_desc("file.o"),
                                       cl::cat(category));
static cl::opt<std::string> headerPath("header", cl::Required,
                                       cl::desc("C header to write"),
                                       cl::value_desc("file.h"),
                                       cl::cat(category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Function to compile (default: the only public one)"),
              cl::init(""), cl::cat(category));
static cl::opt<int64_t>
    devices("devices",
            cl::desc("Devices to partition across (default: the module's "
                     "tp.mesh, or 1)"),
            cl::init(0), cl::cat(category));
static cl::opt<PartitionStrategy>
    strategy("strategy",
             cl::desc("Sharding of layers without one: row, column, "
                      "alternate (default), replicated, batch or auto"),
             cl::init(PartitionStrategy::alternate), cl::cat(category));
static cl::opt<MatmulLowering>
    matmul("matmul",
           cl::desc("Local matmuls: auto (the CPU's default: codegen for "
                    "layers of at least 256 in- and out-features, blas "
                    "below, for results of 2^21 elements or more over the "
                    "devices and for a batch of 1 (sgemv); blas on the "
                    "GPU), "
                    "codegen (MLIR-generated) or "
                    "blas (OpenBLAS on the CPU; cuBLASLt on the GPU, its "
                    "default)"),
           cl::init(MatmulLowering::automatic), cl::cat(category));
static cl::opt<int64_t> batch(
    "batch",
    cl::desc("--strategy auto: the batch a dynamic batch dimension is "
             "planned for (default 8; a static batch is the model's own)"),
    cl::init(kDefaultPlannedBatch), cl::cat(category));
static cl::opt<int64_t> memoryLimit("memory-limit", cl::desc(kMemoryLimitHelp),
                                    cl::init(0), cl::cat(category));
static cl::opt<std::string> profilePath("profile", cl::desc(kProfileHelp),
                                        cl::value_desc("profile.json"),
                                        cl::init(""), cl::cat(category));
static cl::opt<bool> explain("explain", cl::desc(kExplainHelp), cl::init(false),
                             cl::cat(category));
static cl::opt<std::string> explainDot("explain-dot", cl::desc(kExplainDotHelp),
                                       cl::value_desc("plan.dot"), cl::init(""),
                                       cl::cat(category));
static cl::opt<RuntimeTarget>
    target("target",
           cl::desc("Where the object runs: host (CPU threads or MPI; "
                    "default) or gpu (NVIDIA GPUs, sm_90, the kernels "
                    "embedded)"),
           cl::init(RuntimeTarget::host), cl::cat(category));

static int toolMain(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  if (!parseToolOptions("tp-compile", argc, argv,
                        "tp-compile: partition a tp model and compile it to an "
                        "object file and a C header\n"))
    return 1;
  if (std::string error =
          checkFileOptions("tp-compile", {&modelPath, &objectPath, &headerPath,
                                          &profilePath, &explainDot});
      !error.empty()) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (std::string error =
          checkNonEmptyOptions("tp-compile", {&entryName}, "a function name");
      !error.empty()) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (std::string error = checkDecimalOptions("tp-compile", argc, argv,
                                              {&devices, &batch, &memoryLimit});
      !error.empty()) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (devices.getNumOccurrences() && (devices < 1 || devices > kMaxDevices)) {
    llvm::errs() << "tp-compile: error: --devices must be from 1 to "
                 << kMaxDevices << ", got " << devices << "\n";
    return 1;
  }
  CompileAheadOfTimeOptions options;
  options.entry = entryName;
  options.devices = devices;
  options.strategy = strategy;
  options.strategyGiven = strategy.getNumOccurrences() > 0;
  if (matmul.getNumOccurrences())
    options.matmul = matmul;
  options.target = target;
  options.objectPath = objectPath;
  options.headerPath = headerPath;
  // No limit is the option left out; 0 would read as a limit of nothing.
  if (memoryLimit.getNumOccurrences() && memoryLimit < 1) {
    llvm::errs() << "tp-compile: error: --memory-limit must be at least 1 "
                    "(MiB), got "
                 << memoryLimit << "\n";
    return 1;
  }
  options.plan.batch = batch;
  options.batchGiven = batch.getNumOccurrences() > 0;
  options.plan.memoryLimitMiB = memoryLimit;
  options.plan.profilePath = profilePath;
  options.explain = explain;
  options.explainDotPath = explainDot;

  options.modelPath = modelPath;

  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  return compileAheadOfTime(context, options);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  return mlir::tp::runWithStackGuard("tp-compile",
                                     [&] { return toolMain(argc, argv); });
}
