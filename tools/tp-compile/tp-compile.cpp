//===- tp-compile.cpp - ahead-of-time compile a tp model ------------------===//
//
// Partitions a model for D devices and writes the compiled code as an object
// file plus a C header, for embedding in an application (see
// examples/aot/).
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

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
static cl::opt<std::string>
    strategy("strategy",
             cl::desc("row, column, alternate (default) or replicated"),
             cl::init("alternate"), cl::cat(category));
static cl::opt<std::string> matmul("matmul",
                                   cl::desc("blas (default) or codegen"),
                                   cl::init("blas"), cl::cat(category));

static int usageError(const std::string &message) {
  llvm::errs() << "tp-compile: error: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tp-compile: partition a tp model and compile it to an "
      "object file and a C header\n");
  if (devices.getNumOccurrences() && devices < 1)
    return usageError("--devices must be at least 1, got " +
                      std::to_string(devices));
  if (strategy != "alternate" && !symbolizeShardingKind(strategy))
    return usageError("unknown strategy '" + strategy + "'");
  if (matmul != "blas" && matmul != "codegen")
    return usageError("unknown matmul '" + matmul + "'");

  DialectRegistry registry;
  registerModelDialects(registry);
  registerCPUBackendDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // A diagnostic points at the source line; a dump of the op in generic
  // form after it helps compiler developers, not users of the tool.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  std::string error;
  auto buffer = openInputFile(modelPath, &error);
  if (!buffer)
    return usageError(error);
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseModel(context, sourceMgr);
  if (!module)
    return 1;
  FunctionOpInterface fn = lookupEntry(*module, entryName);
  if (!fn)
    return 1;
  std::string entry = fn.getName().str();
  int64_t numDevices = devices;
  if (!numDevices) {
    MeshAttr mesh = lookupMesh(fn);
    numDevices = mesh ? mesh.getNumDevices() : 1;
  }

  PassManager pm(&context);
  PartitionPipelineOptions options;
  options.devices = numDevices;
  options.strategy = strategy;
  addTPPartitionPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;
  CPUCompileOptions compileOptions;
  compileOptions.matmul = matmul;
  compileOptions.forLinking = true;
  auto model = CPUModel::compile(*module, entry, compileOptions);
  if (failed(model))
    return 1;
  (*model)->writeObjectFile(objectPath);

  auto header = openOutputFile(headerPath, &error);
  if (!header)
    return usageError(error);
  header->os() << emitCHeader(lookupEntry(*module, entry), modelPath);
  header->keep();
  return 0;
}
