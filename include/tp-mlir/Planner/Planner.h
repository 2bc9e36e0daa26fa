//===- Planner.h - each layer's split, exact over the chain -----*- C++ -*-===//
//
// The automatic planner: for a chain of dense layers on D devices, the
// assignment of row, column, batch or replicated to every layer with the
// least predicted time whose weights and activations fit a memory limit
// per device, found exactly.
//
// The cost of an assignment follows what tp-partition and
// tp-optimize-collectives make of it. Between two layers the activation is
// in one of four layouts: replicated (R), split along its features (F: a
// row layer's output), partial sums (P: a column layer's output) or split
// along the batch (B: a batch layer's output). The next layer's split
// decides the collective that resolves it:
//
//   from \ to  row / replicated / end   column            batch
//   R          -                        all_slice (free)  all_slice (free)
//   F          all_gather               - (pairing)       all_to_all
//   P          all_reduce, epilogue     reduce_scatter,   reduce_scatter
//                                       epilogue on 1/D   (batch), epilogue
//                                                         on 1/D
//   B          all_gather (batch)       all_to_all        -
//
// so the time is a sum of terms each depending on one layer's choice and
// the layout before it: a dynamic program over (layer, layout) is exact.
// The memory limit bounds the weights' bytes (a sum) plus the largest live
// activations of any layer (a maximum); the program keeps, per state, the
// Pareto front of (time, weight bytes, live activations so far, the next
// input's bytes), which keeps it exact. PlannerTest checks it against
// enumerating every assignment.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_PLANNER_PLANNER_H
#define TP_MLIR_PLANNER_PLANNER_H

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tp::plan {

/// The number of activation kinds (the profile prices each).
constexpr size_t kNumActivationKinds =
    static_cast<size_t>(getMaxEnumValForActivationKind()) + 1;

/// The collectives the cost model prices, each with its own bandwidth.
enum class CollectiveKind { allGather, allReduce, reduceScatter, allToAll };
constexpr size_t kNumCollectiveKinds = 4;
/// "all_gather", ...: the op's name in the tp dialect and in profiles.
llvm::StringRef stringifyCollectiveKind(CollectiveKind kind);
std::optional<CollectiveKind> symbolizeCollectiveKind(llvm::StringRef name);

/// What the cost model knows of a machine. Times in seconds, rates per
/// second.
struct MachineProfile {
  /// A measured rate: FLOPs per second at `at` FLOPs (gemm) or rows
  /// (gemmRows), bytes per second at `at` bytes (gemmStream,
  /// collectiveBandwidth).
  struct RatePoint {
    double at;
    double rate;
  };
  /// A GEMM's time is its weights' streaming plus its compute. Streaming:
  /// every call reads W (n x k) cold from memory (each layer of a chain
  /// brings its own; x is the layer before's output, warm) and packs it, a
  /// pass that does not overlap the FLOPs and scales with W's bytes, not
  /// the FLOPs: a batch split of a large layer packs all of W for half the
  /// rows, twice a row split's weight bytes per FLOP. Its rate, gemmStream,
  /// is measured by W's bytes, with 4 rows against cold w x w weights
  /// (nearly all streaming); without points it is gemmBytesPerSecond.
  ///
  /// Compute: FLOPs at the rates below, which the calibration measures net
  /// of the streaming (the GEMM's time less W's bytes at the streaming
  /// rate, read as no less than a tenth of the time):
  /// throughput at several sizes (2*m*n*k FLOPs), and at several numbers of
  /// rows m (the batch, or its shard) against a 2048 x 2048 weight: a GEMM
  /// of few rows runs far below the rate of a square one of the same
  /// FLOPs. Between points a rate is interpolated linearly in the logarithm
  /// of the size; beyond them it is the nearest point's. gemmWidth, when
  /// measured, holds the rate at several widths w of a w x w weight against
  /// 2048 rows, looked up at the smaller of a GEMM's n and k when that is
  /// below the widest point: a narrow layer runs far below a square GEMM of
  /// its FLOPs, however many rows it has; below the narrowest point the
  /// rate falls in proportion to the width (the time stays that point's).
  /// The compute takes the slowest of these rates.
  std::vector<RatePoint> gemm, gemmRows, gemmWidth;
  /// The rate of `points` at `x`, as above.
  static double interpolate(const std::vector<RatePoint> &points, double x);
  /// The streaming rate (bytes per second) by W's bytes, and the
  /// single figure that serves when there are no points.
  std::vector<RatePoint> gemmStream;
  double gemmBytesPerSecond = 0;
  /// A single row of x (a batch of 1, or a batch shard of 1) by W's bytes:
  /// bytes of W per second, measured against cold w x w weights. With
  /// sgemm or auto the call is a matrix-vector product (BLAS's sgemv),
  /// which streams W once without packing it, several times the GEMMs'
  /// streaming rate; the generated matmul pads the row to a register
  /// tile and packs W. When measured, such a GEMM takes W's bytes at this
  /// rate and nothing else; without points it is priced as any other.
  std::vector<RatePoint> gemmSingleRow;
  /// Bias and activation (the epilogue a layer runs on each output
  /// element), seconds per element, by ActivationKind: transcendental
  /// activations cost several times a relu.
  std::array<double, kNumActivationKinds> epilogueSecondsPerElement{};
  /// A row-wise op (tp.softmax, tp.log_softmax), seconds per element of
  /// the rows it runs on: every row whole on each rank after a gather or a
  /// reduction, a shard of the rows under a batch split. Read from a
  /// profile when it has the figure, else the built-in one.
  double rowOpSecondsPerElement = kBuiltinRowOpSecondsPerElement;
  /// The development machine's figure (docs/planner.md).
  static constexpr double kBuiltinRowOpSecondsPerElement = 1.9e-9;
  /// Collectives, alpha-beta: the latency of one step and the bandwidth of
  /// one rank's link.
  double collectiveLatency = 0;
  double collectiveBytesPerSecond = 0;
  /// Each collective's bandwidth measured at several sizes (the bytes of
  /// the whole tensor), as its alpha-beta formula reads it: interpolated
  /// like the GEMM rates. A collective with no points takes
  /// collectiveBytesPerSecond.
  std::array<std::vector<RatePoint>, kNumCollectiveKinds> collectiveBandwidth;
  /// The generated matmul's output blocks (lib/Conversion/MatmulCodegen):
  /// it runs over blocks of 256 panels of W (256 C outputs, C the register
  /// tile's columns: matmulRegisterTile(lanes)) by 256 steps of K, each
  /// over all m rows, so every block of K reads and writes the
  /// m x min(n, 256 C) slice of y again. While
  /// the slices of the ranks running at once fit the last-level cache,
  /// those passes stay in it; once they fill it, each pass goes to memory:
  /// 8 m n ceil(k / 256) bytes more, at the read-modify-write bandwidth
  /// of one rank with all ranks at once. Between half the cache and all of
  /// it the share that goes to memory rises linearly (measured on the
  /// development machine: docs/planner.md). Absent (a hand-written or
  /// older profile, or a machine whose cache size is unknown): no term.
  struct OutputBlocks {
    double cacheBytes = 0;
    int64_t lanes = 0;
    double bytesPerSecond = 0;
  };
  std::optional<OutputBlocks> outputBlocks;
  /// The BLAS library's packing buffer: sgemm (OpenBLAS's, as its
  /// level-3 driver runs) packs `depth` steps of K at a time: all m rows of
  /// x, and up to `panel` rows of W, into a buffer it keeps for the thread
  /// (one per rank), whose pages stay resident after the call:
  /// 4 min(k, depth) (m + min(n, panel)) bytes. The calibration measures
  /// both from the process's resident memory around its first sgemm calls
  /// (docs/planner.md). Absent (a hand-written or older profile, or a
  /// generated-matmul one): none counted.
  struct BLASWorkspace {
    int64_t depth = 0, panel = 0;
  };
  std::optional<BLASWorkspace> blasWorkspace;
  /// That buffer's resident bytes after sgemm computes y[m x n] =
  /// x[m x k] W[n x k]^T (0 for a single row, which sgemv computes without
  /// packing).
  uint64_t blasWorkspaceBytes(int64_t m, int64_t n, int64_t k) const;
  /// That term for a generated matmul's GEMM on each of `ranks` ranks at
  /// once.
  double outputTrafficSeconds(int64_t m, int64_t n, int64_t k,
                              int64_t ranks) const;
  /// The lowering whose local matmuls the GEMM figures time (sgemm and the
  /// generated matmul run at different rates, by shape); none when the
  /// profile does not say (one written by hand), which then serves any.
  std::optional<MatmulLowering> matmul;
  /// Where the figures come from, for reports.
  std::string source;

  /// The profile of the 2-core development machine for local matmuls
  /// lowered as `matmul` (see docs/planner.md for the measurement behind
  /// each figure).
  static MachineProfile builtinDefault(MatmulLowering matmul);
  /// Reads the JSON that tp-run --calibrate writes; errors name the field.
  static llvm::Expected<MachineProfile> fromJSON(llvm::StringRef text);
  std::string toJSON() const;

  /// A GEMM y[m x n] = x[m x k] W[n x k]^T: streamSeconds plus the
  /// FLOPs at the slowest of the compute rates (for a single row with
  /// gemmSingleRow points, W's bytes at that rate).
  double gemmSeconds(int64_t m, int64_t n, int64_t k) const;
  /// Its weights' streaming: 4 n k bytes at the streaming rate.
  double streamSeconds(int64_t m, int64_t n, int64_t k) const;
  /// The compute rate of a GEMM measured at `seconds` (what the calibration
  /// records): its FLOPs over the time left after streamSeconds, read as
  /// no less than a tenth of the time.
  double computeRate(int64_t m, int64_t n, int64_t k, double seconds) const;
  /// The time of `kind` on a tensor of `bytes` (the whole of it) over `d`
  /// ranks: `steps` latencies and `factor` * bytes at the bandwidth for that
  /// size, where all_gather and reduce_scatter move (d-1)/d of the bytes,
  /// all_to_all (d-1)/d of a shard, and all_reduce is both (2(d-1) steps).
  double collectiveSeconds(CollectiveKind kind, double bytes, int64_t d) const;
  /// The bandwidth that makes collectiveSeconds `seconds` at `latency`.
  static double impliedBandwidth(CollectiveKind kind, double bytes, int64_t d,
                                 double seconds, double latency);
  double epilogueSeconds(ActivationKind kind, double elements) const {
    return elements * epilogueSecondsPerElement[static_cast<size_t>(kind)];
  }
};

/// One dense layer y = sigma(x W^T + b), W: out x in.
struct Layer {
  int64_t in = 1, out = 1;
  bool bias = true;
  /// The fused activation, and the tp.activation ops that follow the layer
  /// before the next one.
  ActivationKind activation = ActivationKind::identity;
  std::vector<ActivationKind> separate;
  /// The row-wise ops (tp.softmax, tp.log_softmax) that follow the layer,
  /// each priced per element, and whether they run on a shard of the rows
  /// under a batch split (each is the one user of its operand, and has one
  /// user; else on every row).
  unsigned rowOps = 0;
  bool rowOpsMovable = true;
  /// Whether a row-wise op follows: it needs whole rows, so a split of the
  /// features (or partial sums) is not carried into a column layer; the
  /// output is made whole first, as at the end of the chain.
  bool wholeOutput() const { return rowOps > 0; }
  /// A split fixed by hand; the planner keeps it.
  std::optional<ShardingKind> fixed;
  /// The splits the layer may take, a bit (1 << kind) each: a weight
  /// argument that something other than a layer's weight also reads must
  /// stay whole (replicated or batch), and a bias so read cannot take row.
  unsigned allowedKinds = kAllKinds;
  static constexpr unsigned kAllKinds = 0xF;
  static constexpr unsigned bit(ShardingKind k) {
    return 1u << static_cast<unsigned>(k);
  }
  /// A name for reports (the layer's source location).
  std::string name;
};

struct Chain {
  int64_t batch = 1;
  int64_t devices = 1;
  std::vector<Layer> layers;
  /// How the local matmuls are lowered. A generated one (codegen, or auto
  /// at kAutoCodegenMinFeatures and over) allocates, while it runs, a
  /// packed copy of its result padded to 16 lanes, the transposed copy it
  /// unpacks through, blocks of packed x and W, and a contiguous copy of an
  /// input slice (a column or batch layer's): the memory model counts them.
  /// blas, which allocates nothing, for a chain built by hand; the passes
  /// and tools set the lowering they compile with (auto by default).
  MatmulLowering matmul = MatmulLowering::blas;
  /// Layers that share one weight argument (tiedWeights) or one bias
  /// argument (tiedBiases), by index: one checkpoint tensor can be split
  /// only one way, so each group takes one split of it (row, column or
  /// none for a weight; row or none for a bias).
  std::vector<std::vector<size_t>> tiedWeights, tiedBiases;
};

/// What one layer costs in a plan: its local compute (GEMM, bias and
/// activation), the collective that follows it, and its weights per
/// device.
struct LayerCost {
  double compute = 0, communication = 0;
  uint64_t weightBytes = 0;
  /// The activations live while the layer runs: its input (unless it is
  /// the model's), its local output, and the larger of the collective's
  /// result and a generated matmul's scratch (freed before the collective
  /// starts).
  uint64_t activationBytes = 0;
  /// The BLAS library's packing buffer that the layer's sgemm touches (0
  /// for a generated matmul): it stays resident, so a plan's peak counts
  /// the largest of its layers'.
  uint64_t workspaceBytes = 0;
  /// The collective after the layer, or "" ("all_gather", ...).
  std::string collective;
  uint64_t collectiveBytes = 0;
};

struct Plan {
  std::vector<ShardingKind> choices;
  std::vector<LayerCost> layers;
  double seconds = 0;
  /// Per device: the weights, the model's input, the most activation
  /// bytes live at any layer, and the largest BLAS packing buffer.
  uint64_t peakBytes = 0;
};

/// The predicted cost of `choices` (one per layer) on `chain`.
Plan evaluate(const Chain &chain, const MachineProfile &profile,
              llvm::ArrayRef<ShardingKind> choices);

/// The plan of least predicted time with peakBytes <= memoryLimit (0: no
/// limit), honouring fixed layers. An error says why none exists (the
/// smallest plan's bytes against the limit).
llvm::Expected<Plan> planChain(const Chain &chain,
                               const MachineProfile &profile,
                               uint64_t memoryLimit = 0);

/// For each layer, the best plan that makes a different choice there (the
/// runner-up), or none when the layer is fixed or nothing else fits. Under
/// a limit, `unsearched` (when given) marks the layers whose runner-up
/// search stopped at the size of its Pareto fronts.
std::vector<std::optional<Plan>>
runnersUp(const Chain &chain, const MachineProfile &profile, const Plan &best,
          uint64_t memoryLimit = 0, std::vector<bool> *unsearched = nullptr);

/// The per-layer table of --explain: each layer's choice, its predicted
/// compute, communication and memory, the runner-up and why it lost, and
/// the totals.
void printExplanation(llvm::raw_ostream &os, const Chain &chain,
                      const MachineProfile &profile, const Plan &best,
                      uint64_t memoryLimit = 0);

/// The plan as a Graphviz digraph: the input, each layer (its split,
/// predicted compute and weights per device) and the output, with every
/// collective on the edge where it runs, with its bytes. A chain without
/// layers gives the input and the output, and says that nothing was planned.
void printDot(llvm::raw_ostream &os, const Chain &chain, const Plan &best);

/// The chain of `fn`, a model-level function of tp.linear and
/// tp.activation ops in one line (each layer's input is the previous
/// layer's output, through activations); an error at the op that breaks
/// the line. `batch` sizes a dynamic batch; `matmul` is how the compile
/// lowers the local matmuls.
llvm::Expected<Chain> extractChain(FunctionOpInterface fn, int64_t devices,
                                   int64_t batch, MatmulLowering matmul);

/// Plans every function of `module` that has tp.linear ops (on the module's
/// mesh) and writes the sharding of each unannotated layer, within
/// `memoryLimitMiB` per device (0: no limit), for local matmuls lowered as
/// `matmul`. `profilePath` empty takes the built-in profile. Errors (bad
/// options included) are diagnosed at the module or the op.
LogicalResult planModule(ModuleOp module, int64_t batch, int64_t memoryLimitMiB,
                         llvm::StringRef profilePath, MatmulLowering matmul);

/// The profile in `path`, or the built-in one of `matmul` when `path` is
/// empty. A profile measured with another lowering is an error: its GEMM
/// rates do not describe the matmuls that will run.
llvm::Expected<MachineProfile> loadProfile(llvm::StringRef path,
                                           MatmulLowering matmul);

} // namespace mlir::tp::plan

#endif // TP_MLIR_PLANNER_PLANNER_H
