//===- Tools.cpp - the jobs of tp-run and tp-compile ----------------------===//
//
// Each tool's main parses its command line into these options and calls one
// function; everything a second driver would otherwise copy is here.
//
// Under MPI every process runs the same job. The executor starts first, so
// that an error of any one rank (a missing file on one host, a model that
// does not parse) reaches the others as an abort notice that names the rank,
// instead of leaving them waiting.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Planner/Planner.h"

#ifdef TP_ENABLE_GPU
#include "tp-mlir/Backend/GPUBackend.h"
#endif

#include "tp-mlir/Support/InputGuards.h"
#include "tp-mlir/Support/Limits.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <unistd.h>

using namespace mlir;
using namespace mlir::tp;

namespace {
/// Whether an argument of these types has a dynamic dimension (a batch).
bool hasDynamicArgument(TypeRange types) {
  return llvm::any_of(types, [](Type type) {
    auto tensor = dyn_cast<ShapedType>(type);
    return tensor && tensor.hasRank() && !tensor.hasStaticShape();
  });
}

/// Prints a tool's errors and, under MPI, tells the other ranks.
class ErrorReporter {
public:
  ErrorReporter(MLIRContext &context, std::string toolName)
      : prefix(toolName + ": "), recorder(&context, [this](Diagnostic &diag) {
          // Remember the first error for the other ranks, then let the
          // tool's handler print it.
          if (diag.getSeverity() == DiagnosticSeverity::Error &&
              firstDiagnostic.empty()) {
            std::string loc;
            llvm::raw_string_ostream os(loc);
            diag.getLocation().print(os);
            firstDiagnostic = loc + ": " + diag.str();
          }
          return failure();
        }) {}

  /// From now on errors also go to the other ranks of `executor`.
  void setExecutor(rt::Executor *exec) {
    executor = exec;
    if (exec && exec->size() > 1)
      prefix += fmt::format("rank {}: ", exec->localRanks().front());
  }

  /// Prints `message` as this tool's error and tells the other ranks.
  int fail(const std::string &message) {
    print(message);
    tellOthers(message);
    return 1;
  }
  /// An error that MLIR diagnostics have printed already.
  int failDiagnosed() {
    tellOthers(firstDiagnostic.empty() ? "see its diagnostics"
                                       : firstDiagnostic);
    return 1;
  }
  /// An error that every rank saw (a failed run): print it only.
  int failEverywhere(const std::string &message) {
    print(message);
    return 1;
  }

private:
  /// One write, so that the lines of several ranks never interleave.
  void print(const std::string &message) {
    llvm::errs() << (prefix + "error: " + message + "\n");
  }

  void tellOthers(const std::string &message) {
    if (executor && executor->size() > 1)
      executor->abort(message);
  }

  std::string prefix;
  std::string firstDiagnostic;
  ScopedDiagnosticHandler recorder;
  rt::Executor *executor = nullptr;
};

/// The file `p` names, absolute: a link at `p` followed, dangling or not
/// (opening it creates its target), and the links of its directory
/// resolved, so that `L/../a.o` is `a.o` only when `L` is no link.
static SmallString<256> resolveOutputPath(StringRef p) {
  SmallString<256> path(p);
  llvm::sys::fs::make_absolute(path);
  // A chain of links ends within a few hops, or loops; the kernel gives up
  // after 40.
  for (int hop = 0; hop < 40; ++hop) {
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(path, status, /*follow=*/false) ||
        status.type() != llvm::sys::fs::file_type::symlink_file)
      break;
    char target[4096];
    ssize_t length = ::readlink(path.c_str(), target, sizeof(target) - 1);
    if (length <= 0)
      break;
    StringRef link(target, size_t(length));
    SmallString<256> next;
    if (!llvm::sys::path::is_absolute(link))
      next = llvm::sys::path::parent_path(path);
    llvm::sys::path::append(next, link);
    path = next;
  }
  SmallString<256> real;
  if (!llvm::sys::fs::real_path(path, real))
    return real;
  // Not there yet: its directory's real path and its name.
  StringRef name = llvm::sys::path::filename(path);
  if (name != "." && name != ".." &&
      !llvm::sys::fs::real_path(llvm::sys::path::parent_path(path), real)) {
    llvm::sys::path::append(real, name);
    return real;
  }
  llvm::sys::path::remove_dots(path, /*remove_dot_dot=*/true);
  return path;
}

/// Whether `a` and `b` name one file: one existing file (links), or one
/// path once links and dots are resolved.
bool sameFile(StringRef a, StringRef b) {
  bool same = false;
  return (!llvm::sys::fs::equivalent(a, b, same) && same) ||
         resolveOutputPath(a) == resolveOutputPath(b);
}

/// "" unless `output` names the same file as one of `inputs`.
std::string checkDistinct(StringRef output, StringRef what,
                          ArrayRef<std::pair<StringRef, StringRef>> inputs) {
  for (auto [path, name] : inputs) {
    if (!path.empty() && sameFile(path, output))
      return fmt::format("{} '{}' is also the {}; it would be overwritten",
                         what.str(), output.str(), name.str());
  }
  return "";
}

/// This machine's memory, bytes.
uint64_t getPhysicalMemory() {
  return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
         static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
}

/// "" when the options make sense, else what is wrong.
std::string validate(const DriverOptions &options) {
  if (options.devices < 0 || options.devices > kMaxDevices)
    return fmt::format("--devices must be from 1 to {}, got {}", kMaxDevices,
                       options.devices);
  if (options.arguments.batch < 1)
    return fmt::format("--batch must be at least 1, got {}",
                       options.arguments.batch);
  // A relative error beyond these is not one a float32 check can mean, and
  // an infinite tolerance made the report's error 0 x inf.
  // The range is 1e-D to 1eD, its message written from D.
  constexpr int kToleranceDecades = 30;
  const double maxTolerance = std::pow(10.0, kToleranceDecades);
  if (options.run.tolerance && !(*options.run.tolerance >= 1 / maxTolerance &&
                                 *options.run.tolerance <= maxTolerance))
    return fmt::format("--tolerance must be a number from 1e-{0} to 1e{0}, "
                       "got {1}",
                       kToleranceDecades, *options.run.tolerance);
  if (options.run.tolerance && !options.run.check)
    return "--tolerance sets what --check accepts; add --check";
  if (options.run.iterations < 1 || options.run.iterations > kMaxIterations)
    return fmt::format("--iterations must be from 1 to {}, got {}",
                       kMaxIterations, options.run.iterations);
  if (options.run.warmup < 0 || options.run.warmup > kMaxIterations)
    return fmt::format("--warmup must be from 0 to {}, got {}", kMaxIterations,
                       options.run.warmup);
  if (!options.arguments.weightsPath.empty() &&
      !options.saveWeightsPath.empty())
    return "--save-weights writes random weights; it cannot be combined "
           "with --weights";
  std::pair<StringRef, StringRef> inputs[] = {
      {options.modelPath, "model"},
      {options.arguments.weightsPath, "--weights file"},
      {options.arguments.inputPath, "--input file"},
      {options.plan.profilePath, "--profile file"}};
  std::pair<StringRef, StringRef> outputs[] = {
      {options.outputPath, "--output"},
      {options.saveWeightsPath, "--save-weights"},
      {options.explainDotPath, "--explain-dot"}};
  for (auto [i, output] : llvm::enumerate(outputs)) {
    auto [path, what] = output;
    if (path.empty())
      continue;
    if (std::string error = checkOutputWritable(path, what); !error.empty())
      return error;
    if (std::string error = checkDistinct(path, what, inputs); !error.empty())
      return error;
    // One output would overwrite another.
    for (auto [other, name] : ArrayRef(outputs).take_front(i))
      if (!other.empty() && sameFile(other, path))
        return fmt::format("{} and {} name the same file", name.str(),
                           what.str());
  }
  return rt::checkTimeoutEnvironment();
}

/// Reads the regular file `path` into `sourceMgr`, if its brackets nest
/// within the parser's limit; "" or the error.
std::string addSourceFile(llvm::SourceMgr &sourceMgr, StringRef path) {
  auto buffer = openRegularFile(path, /*isText=*/true);
  if (!buffer)
    return "cannot open input file '" + path.str() +
           "': " + llvm::toString(buffer.takeError());
  if (std::string error = checkNestingDepth((*buffer)->getBuffer());
      !error.empty())
    return path.str() + ": " + error;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return "";
}

/// The device count: as asked, else the model's mesh, else `fallback`.
int64_t chooseDevices(int64_t requested, const Model &model, int64_t fallback) {
  if (requested)
    return requested;
  if (int64_t mesh = model.getMeshDevices())
    return mesh;
  return fallback;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// What every process of an MPI job must share (RunOptions::agreement):
/// the model's text, where its weights and input come from (a file's
/// contents, or the seed), and the options of the run, so that ranks given
/// different ones fail at once instead of computing a wrong result
/// together.
llvm::Expected<std::vector<RunOptions::Agreement>>
describeJob(const DriverOptions &options, const llvm::SourceMgr &sourceMgr,
            StringRef sourceName, const Model &model,
            const PartitionedModel &program, int64_t devices) {
  std::vector<RunOptions::Agreement> fields;
  auto add = [&](std::string what, StringRef bytes, std::string here) {
    fields.push_back(
        {std::move(what), llvm::xxh3_64bits(bytes), std::move(here)});
  };
  add("model",
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer(),
      fmt::format("'{}'", sourceName.str()));
  // What the job computes and how it is judged; not how a rank computes
  // its share (--matmul, --matmul-vector-lanes, --opt-level, --libm-math),
  // which changes only the rounding and may differ between hosts.
  std::string run = fmt::format(
      "--entry '{}' --devices {} --strategy {} --overlap-chunks {}{}{} "
      "--iterations {} --warmup {}{}{}",
      model.getEntry().getName().str(), devices,
      stringifyPartitionStrategy(options.strategy).str(), options.overlapChunks,
      options.dynamicBatch ? " --dynamic-batch" : "",
      options.tf32 ? " --tf32" : "", options.run.iterations, options.run.warmup,
      options.run.check ? " --check" : "",
      options.run.tolerance
          ? fmt::format(" --tolerance {}", *options.run.tolerance)
          : std::string());
  // What the job writes and prints: rank 0's process does, so the same
  // option given to another rank alone would be dropped without a word.
  std::string outputs;
  for (auto [flag, value] :
       {std::pair<StringRef, StringRef>{"--output", options.outputPath},
        {"--save-weights", options.saveWeightsPath},
        {"--explain-dot", options.explainDotPath}})
    if (!value.empty())
      outputs += fmt::format(" {} '{}'", flag.str(), value.str());
  for (auto [flag, given] :
       {std::pair<StringRef, bool>{"--print-output", options.printOutput},
        {"--print-partitioned", options.printPartitioned},
        {"--explain", options.explain}})
    if (given)
      outputs += " " + flag.str();
  run += outputs;
  // Before the partitioning, which follows from them: a difference here
  // is named here.
  add("options", run, run);
  const ArgumentOptions &args = options.arguments;
  std::string random =
      fmt::format("random from --seed {}, batch {}", args.seed, args.batch);
  if (args.weightsPath.empty()) {
    add("weights", random, "weights " + random);
  } else {
    auto file = SafeTensorsFile::open(args.weightsPath);
    if (!file)
      return file.takeError();
    fields.push_back({"weights", (*file)->fingerprint(),
                      fmt::format("'{}'", args.weightsPath)});
  }
  if (args.inputPath.empty()) {
    add("input", random, "input " + random);
  } else {
    auto buffer = openRegularFile(args.inputPath, /*isText=*/false);
    if (!buffer)
      return llvm::createStringError(
          fmt::format("cannot read --input '{}': {}", args.inputPath,
                      llvm::toString(buffer.takeError())));
    add("input", (*buffer)->getBuffer(), fmt::format("'{}'", args.inputPath));
  }
  // Last: the program follows from everything above (the batch too, which
  // tp-run compiles into it), and a difference there is named there. The
  // plan: under --strategy auto it follows the profile, the memory limit
  // and the matmul lowering, which may differ between processes; two plans
  // can make the same collectives over other shards.
  std::string partitioned;
  llvm::raw_string_ostream os(partitioned);
  program.getModule().print(os);
  std::string splits = "split dimension of each argument:";
  for (unsigned i = 0; i < model.getNumArguments(); ++i) {
    ShardAttr shard = program.getShard(i);
    splits += shard && !shard.isReplicated()
                  ? " " + std::to_string(*shard.getDim())
                  : std::string(" -");
  }
  add("partitioning", partitioned, splits);
  return fields;
}

/// Writes every weight of `model` whole, as `arguments` makes it.
llvm::Error saveWeights(const Model &model, const ArgumentSource &arguments,
                        StringRef path) {
  std::vector<Tensor> tensors;
  std::vector<std::pair<std::string, const Tensor *>> named;
  tensors.reserve(model.getNumArguments());
  for (unsigned i = 0; i < model.getNumArguments(); ++i) {
    if (!model.isWeight(i))
      continue;
    llvm::Expected<Tensor> t = arguments.getFull(i);
    if (!t)
      return t.takeError();
    tensors.push_back(std::move(*t));
    named.push_back({model.getCheckpointName(i)->str(), &tensors.back()});
  }
  return SafeTensorsFile::write(path, named);
}
} // namespace

std::string mlir::tp::checkNotUnderMpirun(StringRef what, StringRef remedy) {
  for (const char *variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char *value = std::getenv(variable);
        value && *value && llvm::StringRef(value) != "1")
      return fmt::format("this process is one of {} that mpirun started "
                         "({}={}), and {} in each of them; {}",
                         value, variable, value, what.str(), remedy.str());
  return "";
}

std::string mlir::tp::checkRunMemory(const ArgumentSource &arguments,
                                     const PartitionedModel &program,
                                     ArrayRef<int64_t> localRanks) {
  uint64_t need = 0;
  for (int64_t r : localRanks)
    need += arguments.estimateRankBytes(program, r);
  uint64_t have = getPhysicalMemory();
  if (need <= have)
    return "";
  return fmt::format(
      "the {} in this process need{} at least {:.1f} GiB (shards of the "
      "arguments and the widest activations), more than this machine's "
      "{:.1f} GiB of memory; use a smaller batch or more devices",
      localRanks.size() == 1 ? std::string("rank")
                             : fmt::format("{} ranks", localRanks.size()),
      localRanks.size() == 1 ? "s" : "", need / 1073741824.0,
      have / 1073741824.0);
}

/// Reads the --profile file of `plan` before any partitioning, so that a bad
/// one is the option's error rather than one at the model's first line; 0,
/// or the tool's exit code.
static int checkProfile(ErrorReporter &errors, const PlannerOptions &plan) {
  if (plan.profilePath.empty())
    return 0;
  llvm::Expected<plan::MachineProfile> profile =
      plan::loadProfile(plan.profilePath, plan.matmul);
  if (!profile)
    return errors.fail("--profile: " + llvm::toString(profile.takeError()));
  return 0;
}

/// Prints the planner's plan of `model` for `devices` under `plan` (--explain)
/// and, with `dot`, draws its graph there (--explain-dot); 0, or the tool's
/// exit code on an error.
static int explainPlan(ErrorReporter &errors, const Model &model,
                       int64_t devices, const PlannerOptions &plan,
                       bool explain, std::string *dot) {
  llvm::Expected<plan::MachineProfile> profile =
      plan::loadProfile(plan.profilePath, plan.matmul);
  if (!profile)
    return errors.fail(llvm::toString(profile.takeError()));
  // The chain as tp-set-strategy plans it: after tp-fuse-activations,
  // which the partition pipeline runs first (a layer's own activation and
  // a separate one can price differently, and then the plans differ).
  OwningOpRef<ModuleOp> fused = model.getModule().clone();
  PassManager fuse(fused->getContext());
  fuse.addPass(createFuseActivations());
  if (failed(fuse.run(*fused)))
    return errors.failDiagnosed();
  FunctionOpInterface entry = lookupEntry(*fused, model.getEntry().getName());
  if (!entry)
    return errors.failDiagnosed();
  llvm::Expected<plan::Chain> chain =
      plan::extractChain(entry, devices, plan.batch, plan.matmul);
  if (!chain) {
    llvm::consumeError(chain.takeError());
    return errors.failDiagnosed();
  }
  // A model without layers has no plan; its graph says so.
  plan::Plan best;
  if (chain->layers.empty()) {
    if (explain)
      llvm::outs() << "plan: the model has no tp.linear layers to plan\n";
  } else {
    uint64_t limit = uint64_t(std::max<int64_t>(plan.memoryLimitMiB, 0)) << 20;
    llvm::Expected<plan::Plan> planned =
        plan::planChain(*chain, *profile, limit);
    if (!planned)
      return errors.fail(llvm::toString(planned.takeError()));
    best = std::move(*planned);
    if (explain)
      plan::printExplanation(llvm::outs(), *chain, *profile, best, limit);
  }
  if (dot) {
    llvm::raw_string_ostream os(*dot);
    plan::printDot(os, *chain, best);
  }
  return 0;
}

int mlir::tp::runDriver(MLIRContext &context, const DriverOptions &options,
                        StringRef builtinName, StringRef builtinText) {
  // Diagnostics point at the source line; the reporter, made after this
  // handler, sees each error first and passes it on.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler printer(sourceMgr, &context);
  ErrorReporter errors(context, options.toolName);
  std::string error;
  MatmulLowering matmul =
      resolveMatmulLowering(options.matmul, isGPUBackend(options.backend));
  // Under mpirun -np N, every process of a single-process backend would run
  // the whole job, print it and write its files.
  if (options.backend != Backend::mpi && options.backend != Backend::gpu_mpi)
    if (std::string error = checkNotUnderMpirun(
            "the " + stringifyBackend(options.backend).str() +
                " backend runs the whole job",
            "add --backend mpi (or gpu-mpi), or run tp-run without mpirun");
        !error.empty())
      return errors.fail(error);
  if (options.tf32 && !isGPUBackend(options.backend))
    return errors.fail("--tf32 lets cuBLASLt use TF32 tensor cores on the "
                       "gpu and gpu-mpi backends; the " +
                       stringifyBackend(options.backend).str() +
                       " backend computes in FP32 (leave out --tf32)");
  if (options.tf32 && matmul == MatmulLowering::codegen)
    return errors.fail("--tf32 lets cuBLASLt use TF32 tensor cores; with "
                       "--matmul codegen the GPU's matmuls are generated "
                       "kernels in FP32 (leave out one of them)");
  if (options.dynamicBatch && options.backend == Backend::evaluator)
    return errors.fail("--dynamic-batch keeps the compiled program's batch "
                       "dynamic; the evaluator backend compiles nothing (use "
                       "threads or mpi)");
  if (options.overlapChunks && options.backend == Backend::evaluator)
    return errors.fail("--overlap-chunks changes compiled code; the "
                       "evaluator backend compiles nothing (use threads or "
                       "mpi)");
  if (options.overlapChunks && isGPUBackend(options.backend))
    return errors.fail("--overlap-chunks needs asynchronous collectives, "
                       "which the GPU runtime does not have (use threads or "
                       "mpi)");
  // Chunks are row slices of x, which the generated matmul (taking
  // contiguous buffers) copies; the planner's memory model does not know
  // the chunks.
  if (options.plan.memoryLimitMiB > kMaxMemoryLimitMiB)
    return errors.fail(fmt::format("--memory-limit must be at most {} MiB "
                                   "per device, got {}",
                                   kMaxMemoryLimitMiB,
                                   options.plan.memoryLimitMiB));
  if (options.overlapChunks && options.plan.memoryLimitMiB > 0 &&
      matmul != MatmulLowering::blas)
    return errors.fail("--overlap-chunks with --memory-limit needs --matmul "
                       "blas: the generated matmul copies each chunk's rows, "
                       "which the planner's memory model does not count");
  if (!options.approximateMath && options.backend == Backend::evaluator)
    return errors.fail("--libm-math changes how compiled code computes tanh, "
                       "erf, exp, expm1 and log1p; the evaluator backend "
                       "compiles nothing (use threads or mpi)");
  if (!options.approximateMath && isGPUBackend(options.backend))
    return errors.fail("--libm-math changes how CPU code computes tanh, erf, "
                       "exp, expm1 and log1p; the " +
                       stringifyBackend(options.backend).str() +
                       " backend computes them in its kernels, with "
                       "libdevice (use threads or mpi)");
  if (options.matmulVectorLanes != 0) {
    if (options.matmulVectorLanes != 4 && options.matmulVectorLanes != 8 &&
        options.matmulVectorLanes != 16)
      return errors.fail("--matmul-vector-lanes must be 4, 8 or 16 (f32 "
                         "lanes of SSE, AVX2 or AVX-512 registers), not " +
                         std::to_string(options.matmulVectorLanes));
    if (options.matmul == MatmulLowering::blas ||
        options.backend == Backend::evaluator || isGPUBackend(options.backend))
      return errors.fail("--matmul-vector-lanes shapes the CPU's generated "
                         "matmul: it needs the threads or mpi backend, "
                         "without --matmul blas");
  }
  // Under --strategy auto the lowering still prices the plan.
  if (options.matmul && options.backend == Backend::evaluator &&
      options.strategy != PartitionStrategy::planned)
    return errors.fail("--matmul chooses how compiled code multiplies; the "
                       "evaluator backend compiles nothing (use threads or "
                       "mpi, or --strategy auto, whose plan it prices)");
  // The built-in profile prices the default epilogues; libm's transcendental
  // ones cost up to 25 times more.
  if (!options.approximateMath &&
      options.strategy == PartitionStrategy::planned &&
      options.plan.profilePath.empty())
    return errors.fail("--strategy auto with --libm-math needs a profile of "
                       "libm epilogues: the built-in one prices the "
                       "polynomial approximations; make one with tp-run "
                       "--calibrate FILE --libm-math and pass --profile FILE");
  std::unique_ptr<rt::Executor> executor;
  if (options.backend == Backend::mpi || options.backend == Backend::gpu_mpi) {
    executor =
        createExecutor(options.backend, /*devices=*/0, error, options.tf32);
    if (!executor)
      return errors.fail(error);
    errors.setExecutor(executor.get());
  }
  // The process that hosts rank 0 reports and writes the files.
  bool reporting = !executor || executor->localRanks().front() == 0;

  if (std::string message = validate(options); !message.empty())
    return errors.fail(message);
  std::string sourceName = options.modelPath;
  if (sourceName.empty()) {
    if (builtinText.empty())
      return errors.fail("no model given");
    sourceName = builtinName.str();
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBuffer(builtinText, builtinName),
        llvm::SMLoc());
  } else if (std::string error = addSourceFile(sourceMgr, sourceName);
             !error.empty()) {
    return errors.fail(error);
  }
  FailureOr<Model> model =
      Model::load(context, sourceMgr, sourceName, options.entry);
  if (failed(model))
    return errors.failDiagnosed();

  // What needs the model's results, said before anything runs.
  unsigned results = model->getEntry().getNumResults();
  if (results == 0 && options.run.check)
    return errors.fail(fmt::format(
        "--check compares the model's outputs with the unpartitioned "
        "reference, and @{} returns none",
        model->getEntry().getName().str()));
  if (results != 1 && !options.outputPath.empty())
    return errors.fail(
        fmt::format("--output writes one tensor, and @{} returns {}",
                    model->getEntry().getName().str(), results));

  if (model->isShardProgram()) {
    // Its annotations are the plan, for its grid, on the host backends.
    if (options.strategyGiven || options.explain ||
        !options.explainDotPath.empty() || options.plan.memoryLimitMiB ||
        !options.plan.profilePath.empty())
      return errors.fail("--strategy, --memory-limit, --profile and --explain "
                         "plan tp models; a shard program is partitioned by "
                         "its shard annotations");
    if (options.devices && options.devices != model->getMeshDevices())
      return errors.fail(fmt::format(
          "--devices {} disagrees with the model's shard.grid of {}; drop "
          "--devices or change the grid",
          options.devices, model->getMeshDevices()));
    // The evaluator runs tp's SPMD ops; a converted shard program also
    // branches on the rank, which only compiled code does.
    if (options.backend == Backend::evaluator)
      return errors.fail(
          "a shard program runs compiled (threads, mpi, gpu, gpu-mpi), not "
          "on the evaluator backend (its reference is evaluated all the same "
          "with --check)");
  }
  // The planner's options describe its plan, and only --strategy auto
  // runs that plan.
  if (options.strategy != PartitionStrategy::planned &&
      (options.plan.memoryLimitMiB || !options.plan.profilePath.empty() ||
       options.explain || !options.explainDotPath.empty()))
    return errors.fail(fmt::format(
        "--memory-limit, --profile, --explain and --explain-dot belong to the "
        "planner: they need --strategy auto (the strategy here is {})",
        stringifyPartitionStrategy(options.strategy).str()));
  int64_t devices =
      chooseDevices(options.devices, *model, executor ? executor->size() : 1);
  // GPU ranks as threads start before the compile, so that a machine
  // without a usable GPU is told so at once.
  if (options.backend == Backend::gpu) {
    executor = createExecutor(Backend::gpu, devices, error, options.tf32);
    if (!executor)
      return errors.fail(error);
  }
  if (executor && executor->size() != devices)
    return errors.fail(fmt::format(
        "the model is partitioned for {} device{}, but this MPI job has {} "
        "process{}; run it with mpirun -np {}",
        devices, devices == 1 ? "" : "s", executor->size(),
        executor->size() == 1 ? "" : "es", devices));

  PlannerOptions plan = options.plan;
  plan.matmul = matmul;
  if (int code = checkProfile(errors, plan))
    return code;
  // The arguments before the plan: the planner plans for their batch.
  llvm::Expected<ArgumentSource> arguments =
      ArgumentSource::create(*model, options.arguments);
  if (!arguments)
    return errors.fail(llvm::toString(arguments.takeError()));
  // A limit per device bounds the process: the transport's own resident
  // memory comes out of it before the model's tensors are planned into it.
  if (uint64_t transport = executor ? executor->transportBytes() : 0;
      plan.memoryLimitMiB > 0 && transport) {
    int64_t reserve = int64_t((transport + (1 << 20) - 1) >> 20);
    if (plan.memoryLimitMiB <= reserve)
      return errors.fail(fmt::format(
          "--memory-limit {} MiB per device leaves nothing for the model: {} "
          "take {} MiB of each process",
          plan.memoryLimitMiB, executor->describeTransport(), reserve));
    if (reporting)
      llvm::outs() << fmt::format(
          "memory limit {} MiB per device, less {} MiB for {}: {} MiB for "
          "the model's tensors\n",
          plan.memoryLimitMiB, reserve, executor->describeTransport(),
          plan.memoryLimitMiB - reserve);
    plan.memoryLimitMiB -= reserve;
  }
  SmallVector<SmallVector<int64_t>> resultShapes = arguments->getResultShapes();
  plan.batch = !resultShapes.empty() && !resultShapes[0].empty()
                   ? resultShapes[0][0]
                   : options.arguments.batch;
  // Each run passes the same shapes: a dynamic batch compiles as the static
  // one it is here, unless --dynamic-batch asks for the program tp-compile
  // makes. An empty input (a dimension of 0) keeps the dynamic program.
  // A batch below --overlap-chunks keeps it too: its static program would
  // overlap nothing, where the dynamic one runs the chunks it has.
  SmallVector<SmallVector<int64_t>> runShapes;
  if (!options.dynamicBatch && plan.batch >= options.overlapChunks)
    for (unsigned i = 0; i < model->getNumArguments(); ++i)
      runShapes.emplace_back(arguments->getFullShape(i));
  if (llvm::any_of(runShapes, [](ArrayRef<int64_t> shape) {
        return llvm::is_contained(shape, 0);
      }))
    runShapes.clear();
  // An empty input runs whatever the plan: plan for one row.
  plan.batch = std::max<int64_t>(plan.batch, 1);
  if ((options.explain || !options.explainDotPath.empty()) && reporting) {
    std::string dot;
    if (int code = explainPlan(errors, *model, devices, plan, options.explain,
                               options.explainDotPath.empty() ? nullptr : &dot))
      return code;
    if (!options.explainDotPath.empty())
      if (llvm::Error e =
              writeFileWhole(options.explainDotPath,
                             [&](llvm::raw_ostream &os) { os << dot; }))
        return errors.fail(llvm::toString(std::move(e)));
  }
  FailureOr<PartitionedModel> program =
      PartitionedModel::create(*model, devices, options.strategy,
                               /*optimizeCollectives=*/true, plan, runShapes);
  if (failed(program))
    return errors.failDiagnosed();
  // The overlap is a rewrite of the SPMD program (tp-overlap-collectives):
  // applied here rather than in the lowering, --print-partitioned shows it,
  // and the report counts the layers it took.
  int64_t overlappedLayers = 0;
  if (options.overlapChunks) {
    PassManager pm(&context);
    pm.addPass(createOverlapCollectives(
        OverlapCollectivesOptions{options.overlapChunks}));
    if (failed(pm.run(program->getModule())))
      return errors.failDiagnosed();
    int64_t starts = 0;
    program->getModule().walk([&](Operation *op) {
      starts += isa<AllReduceStartOp, AllGatherStartOp>(op);
    });
    overlappedLayers = starts / options.overlapChunks;
  }
  if (options.printPartitioned && reporting)
    program->getModule().print(llvm::outs());

  if (options.dynamicBatch && reporting &&
      !hasDynamicArgument(model->getEntry().getArgumentTypes()))
    llvm::errs() << fmt::format("{}: warning: --dynamic-batch is ignored: "
                                "the model's batch is static\n",
                                options.toolName);
  if (options.batchGiven && reporting && !arguments->usesBatch())
    llvm::errs() << fmt::format("{}: warning: --batch {} is ignored: {}\n",
                                options.toolName, options.arguments.batch,
                                options.arguments.inputPath.empty()
                                    ? "the model's batch is static"
                                    : "the batch comes from --input");
  // The memory this process's ranks need, checked before any is taken.
  std::vector<int64_t> localRanks;
  if (executor)
    localRanks = executor->localRanks();
  else
    for (int64_t r = 0; r < devices; ++r)
      localRanks.push_back(r);
  if (std::string error = checkRunMemory(*arguments, *program, localRanks);
      !error.empty())
    return errors.fail(error);
  if (!options.saveWeightsPath.empty() && reporting)
    if (llvm::Error e =
            saveWeights(*model, *arguments, options.saveWeightsPath))
      return errors.fail(llvm::toString(std::move(e)));

  ReportOptions report;
  report.printOutput = options.printOutput;
  report.iterations = options.run.iterations;
  report.warmup = options.run.warmup;
  std::unique_ptr<CompiledModel> compiled;
  if (options.backend != Backend::evaluator) {
    auto start = std::chrono::steady_clock::now();
    CompileOptions compileOptions;
    compileOptions.matmul = matmul;
    compileOptions.approximateMath = options.approximateMath;
    compileOptions.matmulVectorLanes = options.matmulVectorLanes;
    compileOptions.optLevel = options.optLevel;
    FailureOr<std::unique_ptr<CompiledModel>> result =
        compileFor(options.backend, *program, compileOptions, error);
    if (failed(result))
      return error.empty() ? errors.failDiagnosed() : errors.fail(error);
    compiled = std::move(*result);
    std::string lowering = stringifyMatmulLowering(matmul).str();
    if (isGPUBackend(options.backend) && matmul == MatmulLowering::blas)
      lowering = options.tf32 ? "cuBLASLt TF32" : "cuBLASLt";
    std::string overlap;
    if (options.overlapChunks && !overlappedLayers)
      overlap = fmt::format(
          ", no collective overlapped: --overlap-chunks {} takes a local "
          "product used only by an all_reduce (bias and activation after "
          "it) or a feature all_gather, on a dynamic batch or a static one "
          "of at least {} rows",
          options.overlapChunks, options.overlapChunks);
    else if (overlappedLayers) {
      int64_t batch = arguments->getResultShapes()[0].empty()
                          ? 0
                          : arguments->getResultShapes()[0][0];
      overlap = fmt::format(
          ", the collectives of {} layer{} overlapped in {} chunks{}",
          overlappedLayers, overlappedLayers == 1 ? "" : "s",
          options.overlapChunks,
          batch < options.overlapChunks
              ? fmt::format(", {} empty at batch {}",
                            options.overlapChunks - batch, batch)
              : "");
    }
    size_t packed = compiled->getPackedWeights().size();
    std::string packedNote = packed
                                 ? fmt::format(", {} weight{} packed ahead",
                                               packed, packed == 1 ? "" : "s")
                                 : "";
    report.compiledLine =
        fmt::format("compiled for {} ({} matmul{}{}) in {:.1f} ms",
                    compiled->describeTarget(), lowering, packedNote, overlap,
                    millisecondsSince(start));
  }

  Session session(*model, *program, *arguments, compiled.get());
  FailureOr<RunResult> result = failure();
  std::string plural = devices == 1 ? "" : "s";
  switch (options.backend) {
  case Backend::evaluator:
    report.ranLine = fmt::format("{} simulated device{} (reference evaluator)",
                                 devices, plural);
    result = session.simulate(options.run, error);
    if (failed(result))
      return errors.fail(error);
    break;
  case Backend::threads:
    executor = createExecutor(Backend::threads, devices, error);
    if (!executor)
      return errors.fail(error);
    report.ranLine = executor->describe();
    result = session.run(*executor, options.run, error);
    if (failed(result))
      return errors.failEverywhere(error);
    break;
  case Backend::mpi:
  case Backend::gpu:
  case Backend::gpu_mpi: {
    RunOptions run = options.run;
    if (options.backend != Backend::gpu) {
      llvm::Expected<std::vector<RunOptions::Agreement>> agreement =
          describeJob(options, sourceMgr, sourceName, *model, *program,
                      devices);
      if (!agreement)
        return errors.fail(llvm::toString(agreement.takeError()));
      run.agreement = std::move(*agreement);
    }
    report.ranLine = executor->describe();
    result = session.run(*executor, run, error);
    if (failed(result))
      return errors.failEverywhere(error);
    break;
  }
  }

  if (reporting) {
    printReport(llvm::outs(), *model, *program, *arguments, *result,
                compiled ? compiled->getProfileNames()
                         : ArrayRef<std::string>(),
                report);
    llvm::outs().flush();
    if (!options.outputPath.empty()) {
      const SmallVector<Tensor> &outputs = *result->getOutputs(0);
      if (outputs.size() != 1)
        return errors.failEverywhere(
            fmt::format("--output writes one tensor, the model returns {}",
                        outputs.size()));
      if (llvm::Error e = writeNpy(options.outputPath, outputs[0]))
        return errors.failEverywhere(llvm::toString(std::move(e)));
    }
  }
  if (result->check && !result->check->passed())
    return 1;
  return 0;
}

FailureOr<std::unique_ptr<CPUModel>>
mlir::tp::compileForCPU(const PartitionedModel &program,
                        const CompileOptions &options) {
  CPUCompileOptions cpu;
  cpu.matmul = resolveMatmulLowering(options.matmul, /*gpu=*/false);
  cpu.overlapChunks = options.overlapChunks;
  cpu.approximateMath = options.approximateMath;
  cpu.matmulVectorLanes = options.matmulVectorLanes;
  cpu.profile = options.profile;
  cpu.optLevel = options.optLevel;
  cpu.packWeightsAhead = options.packWeightsAhead;
  return CPUModel::compile(program.getModule(), program.getEntry().getName(),
                           cpu);
}

/// An error when the program's constant tensors are more than compiled
/// code may embed (kMaxEmbeddedConstantBytes); empty when they fit.
static std::string checkEmbeddedConstants(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](arith::ConstantOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !type.hasStaticShape())
      return;
    // Bytes per element: an integer or float's bits rounded up (i1 takes a
    // byte); 16, the most of any other (complex<f64>), for the rest, whose
    // bit width this release of MLIR does not define.
    Type element = type.getElementType();
    int64_t elementBytes =
        element.isIntOrFloat() ? (element.getIntOrFloatBitWidth() + 7) / 8 : 16;
    std::optional<int64_t> count = getCheckedNumElements(type.getShape());
    int64_t size = count ? *count * elementBytes : kMaxTensorElements * 8;
    bytes = std::min(bytes + size, kMaxTensorElements * 8);
  });
  if (bytes <= kMaxEmbeddedConstantBytes)
    return {};
  return fmt::format(
      "the model's constant tensors take {:.1f} GiB, which compiled code "
      "would embed; it embeds at most {:.1f} GiB (an object's data must "
      "stay within the 2 GiB that x86-64's small code model reaches): make "
      "large weights arguments with a tp.name "
      "(tp-run loads them with --weights)",
      bytes / 1073741824.0, kMaxEmbeddedConstantBytes / 1073741824.0);
}

/// A backend's compiled model as the common interface.
template <typename T>
static FailureOr<std::unique_ptr<CompiledModel>>
asCompiled(FailureOr<std::unique_ptr<T>> model) {
  if (failed(model))
    return failure();
  return std::unique_ptr<CompiledModel>(std::move(*model));
}

FailureOr<std::unique_ptr<CompiledModel>>
mlir::tp::compileFor(Backend backend, const PartitionedModel &program,
                     const CompileOptions &options, std::string &error) {
  if (error = checkEmbeddedConstants(program.getModule()); !error.empty())
    return failure();
  if (!isGPUBackend(backend))
    return asCompiled(compileForCPU(program, options));
  if (options.overlapChunks) {
    error = "overlapping collectives with computation needs asynchronous "
            "collectives, which the GPU runtime does not have; leave out "
            "--overlap-chunks";
    return failure();
  }
#ifdef TP_ENABLE_GPU
  GPUCompileOptions gpu;
  gpu.matmul = resolveMatmulLowering(options.matmul, /*gpu=*/true);
  gpu.profile = options.profile;
  gpu.optLevel = options.optLevel;
  return asCompiled(GPUModel::compile(program.getModule(),
                                      program.getEntry().getName(), gpu));
#else
  error = "this tp-mlir was built without the GPU backend";
  return failure();
#endif
}

int mlir::tp::compileAheadOfTime(MLIRContext &context,
                                 const CompileAheadOfTimeOptions &options) {
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler printer(sourceMgr, &context);
  ErrorReporter errors(context, options.toolName);
  if (options.devices < 0 || options.devices > kMaxDevices)
    return errors.fail(fmt::format("--devices must be from 1 to {}, got {}",
                                   kMaxDevices, options.devices));
  // The outputs must be writable before any work is done.
  if (options.objectPath == options.headerPath)
    return errors.fail("the object file and the header are both '" +
                       options.objectPath + "'; give two paths");
  // The planner's options describe its plan, and only --strategy auto
  // runs that plan.
  if (options.strategy != PartitionStrategy::planned &&
      (options.plan.memoryLimitMiB || !options.plan.profilePath.empty() ||
       options.batchGiven || options.explain ||
       !options.explainDotPath.empty()))
    return errors.fail(fmt::format(
        "--batch, --memory-limit, --profile, --explain and --explain-dot "
        "belong to the planner: they need --strategy auto (the strategy here "
        "is {})",
        stringifyPartitionStrategy(options.strategy).str()));
  if (options.batchGiven &&
      (options.plan.batch < 1 || options.plan.batch > kMaxTensorElements))
    return errors.fail(fmt::format("--batch must be from 1 to {}, got {}",
                                   kMaxTensorElements, options.plan.batch));
  if (options.plan.memoryLimitMiB < 0 ||
      options.plan.memoryLimitMiB > kMaxMemoryLimitMiB)
    return errors.fail(fmt::format("--memory-limit must be from 1 to {} MiB "
                                   "per device, got {}",
                                   kMaxMemoryLimitMiB,
                                   options.plan.memoryLimitMiB));
  if (!options.explainDotPath.empty())
    if (std::string message =
            checkDistinct(options.explainDotPath, "--explain-dot",
                          {{options.modelPath, "model"},
                           {options.plan.profilePath, "--profile file"},
                           {options.objectPath, "object file (-o)"},
                           {options.headerPath, "header (--header)"}});
        !message.empty())
      return errors.fail(message);
  // Opening an output empties it: neither may be the model, nor each other
  // by another name.
  for (auto [path, what] : {std::pair<StringRef, StringRef>{
                                options.objectPath, "the object file (-o)"},
                            {options.headerPath, "the header (--header)"}})
    if (std::string message =
            checkDistinct(path, what,
                          {{options.modelPath, "model"},
                           {options.plan.profilePath, "--profile file"}});
        !message.empty())
      return errors.fail(message);
  if (std::string message =
          checkDistinct(options.headerPath, "the header (--header)",
                        {{options.objectPath, "object file (-o)"}});
      !message.empty())
    return errors.fail(message);
  // Checked here, written once the object is compiled: a compile that fails
  // leaves the files of an earlier one as they were, --explain-dot's too.
  for (auto [path, what] : {std::pair<StringRef, StringRef>{
                                options.objectPath, "the object file (-o)"},
                            {options.headerPath, "the header (--header)"},
                            {options.explainDotPath, "--explain-dot"}})
    if (!path.empty())
      if (std::string message = checkOutputWritable(path, what);
          !message.empty())
        return errors.fail(message);

  if (std::string message = addSourceFile(sourceMgr, options.modelPath);
      !message.empty())
    return errors.fail(message);
  FailureOr<Model> model =
      Model::load(context, sourceMgr, options.modelPath, options.entry);
  if (failed(model))
    return errors.failDiagnosed();
  // The object's entry point is _mlir_ciface_<name>, which the header
  // declares.
  if (StringRef name = model->getEntry().getName(); !isCIdentifier(name)) {
    model->getEntry().emitError()
        << "the entry @\"" << name
        << "\" is not a C identifier, so the header cannot declare its "
           "entry point _mlir_ciface_"
        << name << "; name the function with letters, digits and underscores";
    return errors.failDiagnosed();
  }
  bool planning = options.plan.memoryLimitMiB ||
                  !options.plan.profilePath.empty() || options.batchGiven ||
                  options.explain || !options.explainDotPath.empty();
  if (model->isShardProgram() && (options.strategyGiven || planning))
    return errors.fail("--strategy, --batch, --memory-limit, --profile, "
                       "--explain and --explain-dot plan tp models; a shard "
                       "program is partitioned by its shard annotations");
  int64_t devices = chooseDevices(options.devices, *model, 1);
  MatmulLowering matmul = resolveMatmulLowering(
      options.matmul, options.target == RuntimeTarget::gpu);
  PlannerOptions plan = options.plan;
  plan.matmul = matmul;
  if (int code = checkProfile(errors, plan))
    return code;
  if (options.batchGiven &&
      !hasDynamicArgument(model->getEntry().getArgumentTypes()))
    llvm::errs() << fmt::format("{}: warning: --batch {} is ignored: the "
                                "model's batch is static\n",
                                options.toolName, options.plan.batch);
  std::string dot;
  if (options.explain || !options.explainDotPath.empty())
    if (int code = explainPlan(errors, *model, devices, plan, options.explain,
                               options.explainDotPath.empty() ? nullptr : &dot))
      return code;
  FailureOr<PartitionedModel> program = PartitionedModel::create(
      *model, devices, options.strategy, /*optimizeCollectives=*/true, plan);
  if (failed(program))
    return errors.failDiagnosed();
  if (std::string message = checkEmbeddedConstants(program->getModule());
      !message.empty())
    return errors.fail(message);
  FailureOr<std::unique_ptr<CompiledModel>> compiled = failure();
  if (options.target == RuntimeTarget::gpu) {
#ifdef TP_ENABLE_GPU
    GPUCompileOptions gpu;
    gpu.matmul = matmul;
    gpu.forLinking = true;
    compiled = asCompiled(GPUModel::compile(
        program->getModule(), program->getEntry().getName(), gpu));
#else
    return errors.fail("this tp-mlir was built without the GPU backend (it "
                       "needs the CUDA toolkit with cuBLASLt and NCCL at "
                       "configure time)");
#endif
  } else {
    CPUCompileOptions cpu;
    cpu.matmul = matmul;
    cpu.forLinking = true;
    compiled = asCompiled(CPUModel::compile(
        program->getModule(), program->getEntry().getName(), cpu));
  }
  if (failed(compiled))
    return errors.failDiagnosed();

  llvm::Expected<StringRef> object = (*compiled)->getObjectFile();
  if (!object)
    return errors.fail(llvm::toString(object.takeError()));
  std::string header =
      emitCHeader(program->getEntry(), options.modelPath, options.target);
  // All or none: a failed write leaves each regular file as it was
  // (writeFilesWhole). A symbolic link stays a link.
  // (FileWriter refers to its callback: the lambdas are named.)
  auto writeObject = [&](llvm::raw_ostream &os) { os << *object; };
  auto writeHeader = [&](llvm::raw_ostream &os) { os << header; };
  auto writeDot = [&](llvm::raw_ostream &os) { os << dot; };
  SmallVector<FileWriter, 3> outputs = {
      FileWriter{options.objectPath, writeObject},
      FileWriter{options.headerPath, writeHeader}};
  if (!options.explainDotPath.empty())
    outputs.push_back(FileWriter{options.explainDotPath, writeDot});
  if (llvm::Error e = writeFilesWhole(outputs))
    return errors.fail(llvm::toString(std::move(e)));
  return 0;
}
