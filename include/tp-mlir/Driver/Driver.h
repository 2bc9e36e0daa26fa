//===- Driver.h - load, partition, compile, run and check a model -*- C++
//-*-===//
//
// The library behind tp-run and tp-compile, and what benchmarks, tests and
// other drivers use to take a model from a .mlir file to checked results:
//
//   Model::load              parse and verify; find the entry function
//   PartitionedModel::create plan (a strategy for unannotated layers) and
//                            partition for D devices
//   compileForCPU            lower and compile, once; nothing runs
//   ArgumentSource           each rank's arguments, holding only its own
//                            shards, from a safetensors file, an .npy input
//                            or the seed
//   Session::run             run on an executor (threads, or this process
//                            as one MPI rank), time it, check every rank
//                            against the unpartitioned reference
//   printReport              the summary and the per-layer table
//
// Nothing here depends on the backend but the executor handed to run().
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_DRIVER_DRIVER_H
#define TP_MLIR_DRIVER_DRIVER_H

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/IO/SafeTensors.h"
#include "tp-mlir/Planner/Planner.h"
#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class PassManager;
namespace tp {

/// Everything the driver's steps need in the context: the model dialects and
/// the CPU backend's.
void registerDriverDialects(DialectRegistry &registry);

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

/// A model-level module, parsed and verified, and its entry function.
class Model {
public:
  /// Parses and verifies the main buffer of `sourceMgr` and finds function
  /// `entry` (empty: the only public one). Diagnostics go to the context's
  /// handler.
  static FailureOr<Model> load(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                               StringRef sourceName, StringRef entry);
  /// Adopts a module built elsewhere (verified here).
  static FailureOr<Model> adopt(OwningOpRef<ModuleOp> module,
                                StringRef sourceName, StringRef entry);

  ModuleOp getModule() const { return module.get(); }
  FunctionOpInterface getEntry() const { return entry; }
  StringRef getSourceName() const { return sourceName; }

  unsigned getNumArguments() const { return entry.getNumArguments(); }
  /// Weights carry a checkpoint name (`tp.name`); other arguments are
  /// inputs.
  bool isWeight(unsigned index) const;
  std::optional<StringRef> getCheckpointName(unsigned index) const;
  unsigned getNumInputs() const;
  int64_t getNumLayers() const;
  /// The device count of the module's mesh (or shard grid), or 0 without
  /// one.
  int64_t getMeshDevices() const;
  /// Whether the model is upstream shard IR (linalg annotated with a
  /// `shard.grid` and `shard.shard`), which its own annotations partition,
  /// rather than a tp model.
  bool isShardProgram() const { return shardGridDevices > 0; }

private:
  Model() = default;
  int64_t shardGridDevices = 0;
  OwningOpRef<ModuleOp> module;
  // Op handles are not const-correct; a const Model still reads its IR.
  mutable FunctionOpInterface entry;
  std::string sourceName;
};

//===----------------------------------------------------------------------===//
// Partitioning
//===----------------------------------------------------------------------===//

/// The help of the planner's command-line options, the same in tp-run and
/// tp-compile.
inline constexpr const char *kMemoryLimitHelp =
    "--strategy auto: MiB per device the plan must fit (weights, the input, "
    "the live activations and the generated matmul's packed buffers; "
    "default: no limit)";
inline constexpr const char *kProfileHelp =
    "--strategy auto: the planner's machine profile, JSON (default: the "
    "built-in profile of the development machine)";
inline constexpr const char *kExplainHelp =
    "--strategy auto: print the planner's per-layer table: the best plan's "
    "split, predicted compute, communication and memory of each layer, the "
    "runner-up and why it lost";
inline constexpr const char *kExplainDotHelp =
    "--strategy auto: write the planner's plan as a Graphviz picture: "
    "layers, their splits, and the collectives with their bytes";

/// What the planner (PartitionStrategy::planned, `--strategy auto`) plans
/// for.
struct PlannerOptions {
  /// The batch a dynamic batch dimension is planned for.
  int64_t batch = kDefaultPlannedBatch;
  /// MiB per device the plan must fit; 0 for no limit.
  int64_t memoryLimitMiB = 0;
  /// The machine profile (JSON); empty for the built-in one of `matmul`.
  std::string profilePath;
  /// How the local matmuls will run: the profile must time that lowering.
  MatmulLowering matmul = MatmulLowering::automatic;
};

/// The SPMD program of a model for D devices, and its weight manifest.
class PartitionedModel {
public:
  /// Runs the partition pipeline on a copy of `model`'s module. With
  /// `runShapes`, the shapes of each of the entry's arguments in every run,
  /// the copy takes them first: a dynamic batch becomes static, and the
  /// lowering then sees the shapes of a static model (the generated matmul
  /// takes its weights packed ahead, with no per-call branch on the rows).
  static FailureOr<PartitionedModel>
  create(const Model &model, int64_t devices, PartitionStrategy strategy,
         bool optimizeCollectives = true, const PlannerOptions &plan = {},
         ArrayRef<SmallVector<int64_t>> runShapes = {});

  ModuleOp getModule() const { return module.get(); }
  FunctionOpInterface getEntry() const { return entry; }
  int64_t getNumDevices() const { return devices; }
  PartitionStrategy getStrategy() const { return strategy; }
  double getMilliseconds() const { return milliseconds; }

  /// How argument `index` is cut for each rank; null when replicated.
  ShardAttr getShard(unsigned index) const;
  /// How many of each collective the program runs ("all_reduce" -> 2).
  std::map<std::string, int64_t> countCollectives() const;

private:
  PartitionedModel() = default;
  /// Runs `pm` on `program`'s module and finds the entry.
  static FailureOr<PartitionedModel> runPipeline(PassManager &pm,
                                                 const Model &model,
                                                 PartitionedModel program,
                                                 PartitionStrategy strategy);
  OwningOpRef<ModuleOp> module;
  mutable FunctionOpInterface entry;
  int64_t devices = 1;
  PartitionStrategy strategy = PartitionStrategy::alternate;
  double milliseconds = 0;
};

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

/// A full argument in host memory, row-major f32 (not owned).
struct HostTensorView {
  const float *data = nullptr;
  SmallVector<int64_t> shape;
};

struct ArgumentOptions {
  /// Every argument, in order, from host memory that outlives the source
  /// (the C API's route); when given, the paths and the seed are unused and
  /// dynamic dimensions take the buffers' sizes.
  std::vector<HostTensorView> buffers;
  /// Weights by checkpoint name from this .safetensors file (default:
  /// random from the seed).
  std::string weightsPath;
  /// The model's one input from this float32 .npy file (default: random);
  /// its batch overrides `batch`.
  std::string inputPath;
  uint64_t seed = 0;
  /// The size of dynamic (batch) dimensions.
  int64_t batch = 8;
};

/// Where each argument's full tensor comes from. Any slice of any argument
/// can be made on its own, so each rank reads or makes only its shards: the
/// weights file is memory-mapped and only the slice is copied; random values
/// are a pure function of the element's index. Safe to use from several
/// threads at once.
class ArgumentSource {
public:
  static llvm::Expected<ArgumentSource> create(const Model &model,
                                               const ArgumentOptions &options);

  /// The full shape of argument `index`, dynamic dimensions resolved.
  ArrayRef<int64_t> getFullShape(unsigned index) const {
    return fullShapes[index];
  }
  /// The full shape of each result of the model, dynamic dims resolved.
  SmallVector<SmallVector<int64_t>> getResultShapes() const;

  /// Argument `index` whole.
  llvm::Expected<Tensor> getFull(unsigned index) const;
  /// Whether the batch option sizes any argument: a dynamic dimension of
  /// the input without --input, or of a named argument.
  bool usesBatch() const { return batchUsed; }
  /// Whether weights come from the seed rather than a file.
  bool hasRandomWeights() const { return !weights && options.buffers.empty(); }
  /// The dtypes other than F32 among the weights the model reads from its
  /// file, each with its number of tensors: they are read converted to f32.
  std::map<std::string, int64_t> getConvertedWeightDtypes() const;
  /// At least the bytes rank `rank` of `program` holds: its shards of the
  /// arguments and two of the widest activations.
  uint64_t estimateRankBytes(const PartitionedModel &program,
                             int64_t rank) const;
  /// Rank `rank`'s local arguments of `program`: its shard of each split
  /// argument, the others whole.
  llvm::Expected<SmallVector<Tensor>>
  getRankArguments(const PartitionedModel &program, int64_t rank) const;
  /// The same, as writers for a backend to place (CompiledModel.h): a weight
  /// from the file goes from the mapping straight to its destination. The
  /// writers refer to this source, which must outlive them.
  llvm::Expected<SmallVector<ArgumentWriter>>
  getRankArgumentWriters(const PartitionedModel &program, int64_t rank) const;

private:
  ArgumentSource() = default;
  llvm::Expected<Tensor> get(unsigned index, std::optional<int64_t> dim,
                             int64_t offset, int64_t size) const;

  const Model *model = nullptr;
  ArgumentOptions options;
  SmallVector<SmallVector<int64_t>> fullShapes;
  bool batchUsed = false;
  std::shared_ptr<SafeTensorsFile> weights;
  std::shared_ptr<Tensor> input;
};

//===----------------------------------------------------------------------===//
// Compiling
//===----------------------------------------------------------------------===//

/// The local matmuls' lowering that runs on a target, from the one `given`
/// (none: the default). On the CPU the default is auto: the generated
/// matmul for layers of 256 features and more, where it ran faster than
/// OpenBLAS sgemm in 16 of 18 wide chains of bench/matmul-lowering.sh, and
/// sgemm for narrower ones, where it ran up to 2.2x faster than the
/// generated matmul (docs/performance.md). On the GPU auto and the default
/// are cuBLASLt (blas), far ahead of the generated kernel there; the
/// planner then prices it with the blas profile.
inline MatmulLowering resolveMatmulLowering(std::optional<MatmulLowering> given,
                                            bool gpu) {
  MatmulLowering m = given.value_or(MatmulLowering::automatic);
  return gpu && m == MatmulLowering::automatic ? MatmulLowering::blas : m;
}

struct CompileOptions {
  /// How local matmuls run; none: the target's default
  /// (resolveMatmulLowering).
  std::optional<MatmulLowering> matmul;
  /// Pieces of the batch per layer whose collective overlaps the next
  /// piece's computation (tp-overlap-collectives); 0: none. CPU only.
  int64_t overlapChunks = 0;
  /// The activations' tanh, erf, exp, expm1 and log1p as vectorizable
  /// polynomial approximations (tp-approximate-math); false: libm calls. CPU
  /// only.
  bool approximateMath = true;
  /// Codegen matmuls: f32 lanes of the register tile (4, 8 or 16); 0: the
  /// host's vector registers. CPU only.
  int64_t matmulVectorLanes = 0;
  /// Time every compute op and collective, for the per-layer table.
  bool profile = true;
  /// LLVM optimization level (0 to 3) of the generated code.
  unsigned optLevel = kDefaultOptLevel;
  /// The generated matmuls' weights are packed once, where they are placed,
  /// not on every run (CPUCompileOptions::packWeightsAhead). CPU only.
  bool packWeightsAhead = true;
};

/// Compiles `program` for the CPU; the result runs on any host executor.
FailureOr<std::unique_ptr<CPUModel>>
compileForCPU(const PartitionedModel &program, const CompileOptions &options);

/// Compiles `program` for `backend`'s target: the CPU for threads and MPI,
/// NVIDIA GPUs for gpu and gpu-mpi (an error when this tp-mlir was built
/// without the GPU backend). Diagnostics of the lowering go to the
/// context; `error` is set, and nothing diagnosed, when the target is
/// absent.
FailureOr<std::unique_ptr<CompiledModel>>
compileFor(Backend backend, const PartitionedModel &program,
           const CompileOptions &options, std::string &error);
/// Whether `backend` runs GPU code.
inline bool isGPUBackend(Backend backend) {
  return backend == Backend::gpu || backend == Backend::gpu_mpi;
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

/// Starts the ranks for `backend`: D threads, or this process as one rank of
/// the MPI job (which must have D processes; D = 0 takes the job's size);
/// for gpu and gpu-mpi, each of those ranks bound to a GPU (GPU.h), with
/// TF32 matmuls when `gpuTF32`. Null, with `error` set, when that is
/// impossible: an unknown or absent backend, a process count that does not
/// match, no usable GPU.
std::unique_ptr<rt::Executor> createExecutor(Backend backend, int64_t devices,
                                             std::string &error,
                                             bool gpuTF32 = false);

struct RunOptions {
  int64_t iterations = 1, warmup = 0;
  /// Compare every rank's output with the unpartitioned reference.
  bool check = false;
  /// Without a tolerance, each element must be within its own f32 rounding
  /// bound (BoundedResults): a bound that follows from the arithmetic, so a
  /// correct program always passes. With one, the relative error (against
  /// max(|expected|, 10% of the output's largest)) must be below it.
  std::optional<double> tolerance;
  /// What every rank of a job of processes must share, each as a hash and
  /// what this rank has: the model, its input and weights, the options of
  /// the run. The ranks compare them before anything else, since ranks that
  /// differ only in values make the same collectives and would run to a
  /// wrong result; one that differs fails the job, named with the field.
  struct Agreement {
    std::string what;
    uint64_t hash = 0;
    std::string here;
  };
  std::vector<Agreement> agreement;
};

/// The verdict of a check: the element farthest outside (or nearest to)
/// what it is allowed, over every rank and output.
struct CheckResult {
  /// |found - expected| over what the element is allowed: at most 1
  /// passes. Infinite when a NaN, an infinity or a shape disagrees.
  double ratio = 0;
  int64_t rank = 0, output = 0;
  /// The element, row-major; -1 when the output's shape is wrong.
  int64_t element = 0;
  float found = 0, expected = 0;
  /// What the element was allowed: its bound, or the tolerance times its
  /// scale.
  double allowed = 0;
  /// The tolerance, when one was given.
  std::optional<double> tolerance;
  /// The longest reduction the bounds account for.
  int64_t longestReduction = 0;
  bool passed() const { return ratio <= 1; }
};

/// What a run measured. Outputs are kept for the ranks of this process.
struct RunResult {
  /// The outputs of each local rank (rank, outputs).
  std::vector<std::pair<int64_t, SmallVector<Tensor>>> outputs;
  /// Wall time per iteration, milliseconds, the slowest rank's.
  double msPerIteration = 0;
  /// Seconds per profiled region over all iterations, the slowest rank's.
  std::vector<double> profileSeconds;
  /// The same, each rank's: profileSecondsByRank[rank][region].
  std::vector<std::vector<double>> profileSecondsByRank;
  /// Peak resident memory of each rank's process, MiB.
  std::vector<double> peakMiB;
  /// What the run added to it, MiB: from just before the ranks placed
  /// their tensors (the compiled program loaded, the compiler's freed heap
  /// given back to the system) to the peak: the model's tensors, the
  /// arguments they are sliced from and the runtime's buffers, and any
  /// pages of files first touched after (a --weights file read in place,
  /// code that runs for the first time), without the process's code and
  /// compiler. Empty on a session's later runs, which reuse the placed
  /// tensors, and where the system cannot reset a process's peak (Linux's
  /// /proc/self/clear_refs).
  std::vector<double> runMiB;
  /// With RunOptions::check: the verdict over all ranks and outputs.
  std::optional<CheckResult> check;

  /// Rank `rank`'s outputs, when it ran in this process.
  const SmallVector<Tensor> *getOutputs(int64_t rank) const;
};

/// A partitioned model, its arguments and its compiled form, ready to run
/// any number of times. Each local rank's arguments are made on its first
/// run and kept; the reference of a check is computed once, by rank 0, one
/// layer's weights at a time.
class Session {
public:
  /// `compiled` is null for the evaluator backend, which simulates the D
  /// devices in this process and needs no executor.
  Session(const Model &model, const PartitionedModel &program,
          const ArgumentSource &arguments, const CompiledModel *compiled)
      : model(model), program(program), arguments(arguments),
        compiled(compiled) {}

  /// Runs every rank of `executor` that lives in this process; the ranks of
  /// other processes run the same call there. Fails, with `error` set, when
  /// a rank's arguments cannot be made or a collective fails; every rank
  /// then fails with an error that names the rank.
  FailureOr<RunResult> run(rt::Executor &executor, const RunOptions &options,
                           std::string &error);
  /// The evaluator backend: every rank simulated in this process.
  FailureOr<RunResult> simulate(const RunOptions &options, std::string &error);

private:
  /// The model's outputs on full arguments and their bounds, one weight in
  /// memory at a time.
  llvm::Expected<BoundedResults> computeReference() const;

  /// This rank's arguments, placed by the compiled model on first use;
  /// null with `error` set.
  CompiledModel::RankState *getRankState(int64_t rank, std::string &error);

  const Model &model;
  const PartitionedModel &program;
  const ArgumentSource &arguments;
  const CompiledModel *compiled;
  std::mutex mutex; // guards the two caches below
  std::map<int64_t, std::unique_ptr<CompiledModel::RankState>> rankStates;
  std::optional<BoundedResults> reference;
};

/// Rank `rank`'s verdict on its `outputs` against the reference `expected`
/// and its `bounds` (see RunOptions::tolerance).
CheckResult checkOutputs(ArrayRef<Tensor> outputs, ArrayRef<Tensor> expected,
                         ArrayRef<Tensor> bounds,
                         std::optional<double> tolerance, int64_t rank);

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

struct ReportOptions {
  /// Print every output element, not only a summary.
  bool printOutput = false;
  /// "compiled for the CPU (blas matmul) in 80.1 ms"; empty to leave out.
  std::string compiledLine;
  /// How the ranks ran: "2 threads", "2 MPI processes", "2 simulated
  /// devices (reference evaluator)".
  std::string ranLine;
  int64_t iterations = 1, warmup = 0;
};

/// The summary tp-run prints: the model and its arguments' splits, the
/// collectives, the outputs, the per-layer table, the timing, the memory and
/// the check.
void printReport(llvm::raw_ostream &os, const Model &model,
                 const PartitionedModel &program,
                 const ArgumentSource &arguments, const RunResult &result,
                 ArrayRef<std::string> profileNames,
                 const ReportOptions &options);

/// The line that reports a check: passed or failed, where the worst
/// element is (its index in an output of `outputShape`), what was found and
/// expected, and the bound or tolerance.
std::string describeCheck(const CheckResult &check,
                          ArrayRef<int64_t> outputShape, int64_t devices);

/// Peak resident memory of this process, MiB.
double getPeakResidentMiB();

/// The `key: N kB` figures of a Linux /proc file (/proc/self/status,
/// /proc/self/smaps_rollup) in bytes, in the order of `keys`; none when the
/// file cannot be read or lacks one of them.
std::optional<SmallVector<uint64_t>> readProcBytes(StringRef path,
                                                   ArrayRef<StringRef> keys);

/// Measures this machine for the planner (tp-run --calibrate): the
/// throughput of local matmuls lowered as `matmul` by size at one thread,
/// bias-and-activation bandwidth, and the threads backend's collective
/// latency and bandwidth. Each measurement is logged to `log`.
/// `approximateMath` false measures epilogues that call libm
/// (CompileOptions::approximateMath).
llvm::Expected<plan::MachineProfile> calibrateMachine(llvm::raw_ostream &log,
                                                      bool approximateMath,
                                                      MatmulLowering matmul);

//===----------------------------------------------------------------------===//
// Tools
//===----------------------------------------------------------------------===//

/// tp-run's job, every step above in order.
struct DriverOptions {
  /// Prefix of messages ("tp-run").
  std::string toolName = "tp-run";
  /// The model's .mlir file; empty for the built-in model given to
  /// runDriver.
  std::string modelPath;
  std::string entry;
  /// 0: the module's mesh, else the MPI job's size, else 1.
  int64_t devices = 0;
  PartitionStrategy strategy = PartitionStrategy::alternate;
  /// Whether --strategy was given (a shard program takes none).
  bool strategyGiven = false;
  Backend backend = Backend::threads;
  /// See CompileOptions::matmul.
  std::optional<MatmulLowering> matmul;
  /// See CompileOptions::overlapChunks.
  int64_t overlapChunks = 0;
  /// Whether a dynamic batch stays dynamic in the compiled program, as in
  /// tp-compile's; by default the program is compiled for the run's batch.
  bool dynamicBatch = false;
  /// See CompileOptions::approximateMath.
  bool approximateMath = true;
  /// See CompileOptions::matmulVectorLanes.
  int64_t matmulVectorLanes = 0;
  /// LLVM optimization level (0 to 3) of the generated code.
  unsigned optLevel = kDefaultOptLevel;
  /// GPU backends: let cuBLASLt use TF32 tensor cores.
  bool tf32 = false;
  /// `--strategy auto`: the memory limit and the machine profile (the batch
  /// is the arguments').
  PlannerOptions plan;
  /// Print the planner's per-layer table (--strategy auto only).
  bool explain = false;
  /// Write the plan as a Graphviz digraph to this file.
  std::string explainDotPath;
  ArgumentOptions arguments;
  RunOptions run;
  /// Write the output (.npy), from the process of rank 0.
  std::string outputPath;
  /// Write the random weights (.safetensors), from the process of rank 0.
  std::string saveWeightsPath;
  /// Whether the batch was given (a static batch then ignores it: a
  /// warning).
  bool batchGiven = false;
  bool printPartitioned = false;
  bool printOutput = false;
};

/// "" when the ranks `localRanks` of `program` fit this machine's physical
/// memory with `arguments` (shards, the widest activations), else why not:
/// checked before anything is allocated, since an allocation that fails
/// on a rank's thread would end the process.
std::string checkRunMemory(const ArgumentSource &arguments,
                           const PartitionedModel &program,
                           ArrayRef<int64_t> localRanks);

/// "" unless this process is one of several that mpirun started (Open MPI's
/// OMPI_COMM_WORLD_SIZE, or PMI_SIZE, above 1); then why `what` (the job, a
/// calibration) must not run in each of them, ending with `remedy`.
std::string checkNotUnderMpirun(StringRef what, StringRef remedy);

/// Runs the model of `options.modelPath` (or, without one, `builtinText`,
/// named `builtinName`) as `options` say and prints the report (from the
/// process of rank 0 only, under MPI). Errors and diagnostics are printed
/// with the tool's name, and under MPI reach every rank, even a missing
/// file on one host. Returns the exit status.
int runDriver(MLIRContext &context, const DriverOptions &options,
              StringRef builtinName = "", StringRef builtinText = "");

/// tp-compile's job: partition and compile the model for linking, then
/// write the object file and the C header. Output paths are checked before
/// the work. Returns the exit status.
struct CompileAheadOfTimeOptions {
  std::string toolName = "tp-compile";
  std::string modelPath;
  std::string entry;
  int64_t devices = 0;
  PartitionStrategy strategy = PartitionStrategy::alternate;
  /// Whether the strategy was asked for: a shard program, partitioned by
  /// its annotations, refuses it.
  bool strategyGiven = false;
  /// See CompileOptions::matmul.
  std::optional<MatmulLowering> matmul;
  /// Where the object runs: the CPU (host) or NVIDIA GPUs (gpu).
  RuntimeTarget target = RuntimeTarget::host;
  std::string objectPath, headerPath;
  /// `--strategy auto`: the batch a dynamic batch is planned for (a static
  /// one is the model's own), the memory limit and the machine profile.
  PlannerOptions plan;
  /// Whether the batch was given: only the planner reads it.
  bool batchGiven = false;
  /// Print the plan (--explain), and write its graph (--explain-dot).
  bool explain = false;
  std::string explainDotPath;
};
int compileAheadOfTime(MLIRContext &context,
                       const CompileAheadOfTimeOptions &options);

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_DRIVER_DRIVER_H
