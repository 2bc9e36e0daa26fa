//===- tp-run.cpp - partition, compile, run and check a tp model ----------===//
//
// The command line of the main job; the job itself is runDriver
// (tp-mlir/Driver/Driver.h). Under MPI, start one tp-run per rank:
//
//   mpirun -np 4 tp-run model.mlir --backend mpi --weights w.safetensors
//
//===----------------------------------------------------------------------===//

#include "ExampleModel.h"

#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Runtime/RuntimeABI.h"
#include "tp-mlir/Support/OptionChecks.h"
#include "tp-mlir/Support/StackGuard.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

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
                     "module's tp.mesh; else, under MPI, the number of "
                     "processes; else 1)"),
            cl::value_desc("D"), cl::init(0), cl::cat(category));
static cl::opt<PartitionStrategy>
    strategy("strategy",
             cl::desc("Sharding of layers without one: row, column, "
                      "alternate (default), replicated, batch (data "
                      "parallelism: the batch split, W replicated), or auto "
                      "(each layer's split chosen by the planner's cost "
                      "model)"),
             cl::init(PartitionStrategy::alternate), cl::cat(category));
static cl::opt<unsigned>
    optLevel("opt-level",
             cl::desc("LLVM optimization level of the compiled code, 0 to 3 "
                      "(default 3)"),
             cl::init(mlir::tp::kDefaultOptLevel), cl::cat(category));
static cl::opt<bool> explain("explain", cl::desc(kExplainHelp), cl::init(false),
                             cl::cat(category));
static cl::opt<std::string> explainDot("explain-dot", cl::desc(kExplainDotHelp),
                                       cl::value_desc("plan.dot"), cl::init(""),
                                       cl::cat(category));
static cl::opt<int64_t> memoryLimit("memory-limit", cl::desc(kMemoryLimitHelp),
                                    cl::init(0), cl::cat(category));
static cl::opt<std::string> calibrate(
    "calibrate",
    cl::desc("Measure this machine for the planner and write its profile "
             "(JSON) to this file, then exit"),
    cl::value_desc("profile.json"), cl::init(""), cl::cat(category));
static cl::opt<std::string> profilePath("profile", cl::desc(kProfileHelp),
                                        cl::init(""), cl::cat(category));
static cl::opt<Backend> backend(
    "backend",
    cl::desc("Where the D devices run: threads (compiled code, one thread per "
             "device; default), mpi (compiled code, one MPI process per "
             "device, started by mpirun -np D), gpu (GPU code, one thread per "
             "device, each on a GPU of its own, or all sharing one GPU), "
             "gpu-mpi (GPU code, one MPI process per GPU) or evaluator (the "
             "reference evaluator simulates them)"),
    cl::init(Backend::threads), cl::cat(category));
static cl::opt<MatmulLowering>
    matmul("matmul",
           cl::desc("Local matmuls of compiled code: auto (the CPU's default: "
                    "codegen for layers of at least 256 in- and "
                    "out-features, blas below, for results of 2^21 "
                    "elements or more over the devices and for a batch of "
                    "1 (sgemv); "
                    "on the GPU, blas), codegen "
                    "(MLIR-generated: packed, register-tiled and vectorized "
                    "on the CPU; a tiled shared-memory kernel on the GPU) or "
                    "blas (OpenBLAS sgemm on the CPU; cuBLASLt with fused "
                    "epilogues on the GPU, its default). --calibrate times "
                    "this lowering's GEMMs, and --strategy auto needs a "
                    "profile of it"),
           cl::init(MatmulLowering::automatic), cl::cat(category));
static cl::opt<int64_t> overlapChunks(
    "overlap-chunks",
    cl::desc("CPU backends: split each layer's batch into this many chunks "
             "and overlap each chunk's collective with the next chunk's "
             "matmul (tp-overlap-collectives); 0, the default: do not"),
    cl::init(0), cl::cat(category));
static cl::opt<bool> libmMath(
    "libm-math",
    cl::desc("CPU backends: compute the activations' tanh, erf, exp, expm1 and "
             "log1p with "
             "scalar libm calls, not the vectorized polynomial "
             "approximations (tp-approximate-math) that are the default"),
    cl::init(false), cl::cat(category));
static cl::opt<int64_t> matmulVectorLanes(
    "matmul-vector-lanes",
    cl::desc("The CPU's generated matmul (--matmul codegen or auto): f32 "
             "lanes of the register tile and the packed panels, 4, 8 or 16 "
             "(SSE, AVX2, AVX-512); default: the host's widest vector "
             "registers"),
    cl::init(0), cl::cat(category));
static cl::opt<bool>
    tf32("tf32",
         cl::desc("GPU backends: let cuBLASLt use TF32 tensor cores (about "
                  "10 mantissa bits; --check bounds assume FP32)"),
         cl::init(false), cl::cat(category));
static cl::opt<std::string>
    weightsPath("weights",
                cl::desc("Weights from a .safetensors file, by the tp.name "
                         "of each argument (default: random from --seed); "
                         "each device reads only its shard"),
                cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string>
    inputPath("input",
              cl::desc("The model input from a float32 .npy file (float64 and "
                       "float16 are converted; default: "
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
static cl::opt<double> tolerance(
    "tolerance",
    cl::desc("Largest relative error --check accepts (default: each "
             "element's own f32 rounding bound, which follows from the "
             "reduction lengths, so that correct output always passes)"),
    cl::init(0), cl::cat(category));
static cl::opt<uint64_t>
    seed("seed", cl::desc("Seed of the random weights and input (default 0)"),
         cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    batch("batch",
          cl::desc("Batch size for a model with a dynamic batch (default 8)"),
          cl::init(8), cl::cat(category));
static cl::opt<bool> dynamicBatch(
    "dynamic-batch",
    cl::desc("Compile a dynamic batch as dynamic, the program tp-compile makes "
             "for callers of any batch (default: compile for this run's "
             "batch, whose static shapes let the generated matmul take its "
             "weights packed ahead)"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> printIR("print-partitioned",
                             cl::desc("Print the partitioned (SPMD) module"),
                             cl::init(false), cl::cat(category));
static cl::opt<bool>
    printOutput("print-output",
                cl::desc("Print every output element, not only a summary"),
                cl::init(false), cl::cat(category));

static int toolMain(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  if (!parseToolOptions(
          "tp-run", argc, argv,
          "tp-run: partition a tp model for D devices, run it, and check it\n\n"
          "With no model argument, runs the built-in example chain "
          "(examples/mlp.mlir).\n"))
    return 1;
  if (std::string error = checkFileOptions(
          "tp-run", {&modelPath, &weightsPath, &inputPath, &outputPath,
                     &saveWeightsPath, &profilePath, &explainDot, &calibrate});
      !error.empty()) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (std::string error =
          checkNonEmptyOptions("tp-run", {&entryName}, "a function name");
      !error.empty()) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (std::string error = checkDecimalOptions(
          "tp-run", argc, argv,
          {&devices, &optLevel, &memoryLimit, &overlapChunks,
           &matmulVectorLanes, &iterations, &warmup, &seed, &batch});
      !error.empty()) {
    llvm::errs() << error << "\n";
    return 1;
  }
  // Activations are allocated and freed on every run: keep their memory.
  tp_rt_retain_freed_memory();
  if (calibrate.getNumOccurrences()) {
    // Calibration measures the machine: a model, and every option but the
    // matmul lowering and the math it times, would be silently ignored.
    if (!modelPath.empty()) {
      llvm::errs() << "tp-run: error: --calibrate measures this machine and "
                      "runs no model; leave out '"
                   << modelPath << "'\n";
      return 1;
    }
    // Processes that mpirun started would each measure the machine while
    // the others load it, and all write the one profile.
    if (std::string error = checkNotUnderMpirun(
            "--calibrate measures the machine",
            "run tp-run --calibrate without mpirun, once per machine");
        !error.empty()) {
      llvm::errs() << "tp-run: error: " << error << "\n";
      return 1;
    }
    for (const auto &entry : cl::getRegisteredOptions()) {
      cl::Option *option = entry.second;
      if (!option->getNumOccurrences() ||
          !llvm::is_contained(option->Categories, &category) ||
          llvm::is_contained(
              {"calibrate", "matmul", "libm-math", "matmul-vector-lanes"},
              entry.first))
        continue;
      llvm::errs() << "tp-run: error: --calibrate measures this machine and "
                      "takes only --matmul and --libm-math; leave out --"
                   << entry.first << "\n";
      return 1;
    }
    // The profile is JSON: an existing .mlir file named here is most likely
    // a model that was meant as the run's argument.
    if (llvm::StringRef(calibrate).ends_with(".mlir") &&
        llvm::sys::fs::exists(calibrate)) {
      llvm::errs() << "tp-run: error: --calibrate writes a JSON profile; '"
                   << calibrate
                   << "' is an existing .mlir file, which it would overwrite: "
                      "name a .json file\n";
      return 1;
    }
    if (matmulVectorLanes.getNumOccurrences()) {
      llvm::errs() << "tp-run: error: --calibrate times the generated matmul "
                      "at this host's vector width; leave out "
                      "--matmul-vector-lanes\n";
      return 1;
    }
    // The output is checked before the measurements, but opened (and so
    // truncated) only after them: a failed or interrupted calibration
    // leaves the file that was there. It is left only when written whole.
    if (std::string error = checkOutputWritable(calibrate, "--calibrate");
        !error.empty()) {
      llvm::errs() << "tp-run: error: " << error << "\n";
      return 1;
    }
    llvm::outs() << "calibrating (about 45 s):\n";
    llvm::Expected<plan::MachineProfile> profile =
        calibrateMachine(llvm::outs(), !libmMath, matmul);
    if (!profile) {
      llvm::errs() << "tp-run: error: " << llvm::toString(profile.takeError())
                   << "\n";
      return 1;
    }
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> out =
        openOutputFile(calibrate, &error);
    if (!out) {
      llvm::errs() << "tp-run: error: " << error << "\n";
      return 1;
    }
    out->os() << profile->toJSON();
    out->os().flush();
    if (out->os().has_error()) {
      llvm::errs() << "tp-run: error: cannot write '" << calibrate
                   << "': " << out->os().error().message() << "\n";
      out->os().clear_error();
      return 1;
    }
    out->keep();
    llvm::outs() << "wrote " << calibrate << "\n";
    return 0;
  }
  if (devices.getNumOccurrences() && devices < 1) {
    llvm::errs() << "tp-run: error: --devices must be at least 1, got "
                 << devices << "\n";
    return 1;
  }

  DriverOptions options;
  options.entry = entryName;
  options.devices = devices;
  options.strategy = strategy;
  options.strategyGiven = strategy.getNumOccurrences() > 0;
  options.backend = backend;
  if (optLevel > 3) {
    llvm::errs() << "tp-run: error: --opt-level must be 0 to 3, got "
                 << optLevel << "\n";
    return 1;
  }
  if (optLevel.getNumOccurrences() && backend == Backend::evaluator) {
    llvm::errs() << "tp-run: error: --opt-level sets LLVM's optimization of "
                    "compiled code; the evaluator backend compiles nothing "
                    "(use threads or mpi)\n";
    return 1;
  }
  if (matmul.getNumOccurrences())
    options.matmul = matmul;
  options.matmulVectorLanes = matmulVectorLanes;
  if (overlapChunks < 0 || overlapChunks == 1 || overlapChunks > 64) {
    llvm::errs() << "tp-run: error: --overlap-chunks must be 0 (off) or 2 "
                    "to 64, got "
                 << overlapChunks << "\n";
    return 1;
  }
  options.overlapChunks = overlapChunks;
  options.dynamicBatch = dynamicBatch;
  options.approximateMath = !libmMath;
  options.optLevel = optLevel;
  options.tf32 = tf32;
  options.explain = explain;
  options.explainDotPath = explainDot;
  options.plan.memoryLimitMiB = memoryLimit;
  options.plan.profilePath = profilePath;
  // No limit is the option left out; 0 would read as a limit of nothing.
  if (memoryLimit.getNumOccurrences() && memoryLimit < 1) {
    llvm::errs() << "tp-run: error: --memory-limit must be at least 1 (MiB), "
                    "got "
                 << memoryLimit << "\n";
    return 1;
  }
  options.arguments.weightsPath = weightsPath;
  options.arguments.inputPath = inputPath;
  options.arguments.seed = seed;
  options.arguments.batch = batch;
  options.batchGiven = batch.getNumOccurrences() > 0;
  options.run.iterations = iterations;
  options.run.warmup = warmup;
  options.run.check = check;
  if (tolerance.getNumOccurrences())
    options.run.tolerance = tolerance.getValue();
  options.outputPath = outputPath;
  options.saveWeightsPath = saveWeightsPath;
  options.printPartitioned = printIR;
  options.printOutput = printOutput;

  options.modelPath = modelPath;

  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // A diagnostic points at the source line; a dump of the op in generic
  // form after it helps compiler developers, not users of the tool.
  context.printOpOnDiagnostic(false);
  return runDriver(context, options, kExampleModelName, kExampleModel);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  return mlir::tp::runWithStackGuard("tp-run",
                                     [&] { return toolMain(argc, argv); });
}
