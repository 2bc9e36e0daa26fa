//===- Calibrate.cpp - measure this machine for the planner ---------------===//
//
// The figures the planner's cost model needs, measured here with what the
// CPU backend runs: the local matmul (the runtime's sgemm, or the generated
// matmul in compiled code) at one thread per rank, first as skinny GEMMs
// whose time is streaming their weights (the streaming rate by size), then
// at five GEMM sizes, four row counts and five widths (weights cold, as in
// a chain; each rate net of its streaming), each
// activation's epilogue in compiled code, and the threads
// backend's collectives between two ranks: the latency at 4 KiB, and each
// collective's bandwidth at sizes from 64 KiB to 64 MiB. Each figure is the
// fastest of repeated runs after a warm-up, in each of three rounds; the
// profile takes each figure's median of the rounds.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPPackedWeights.h"
#include "tp-mlir/Runtime/BLASKernels.h"
#include "tp-mlir/Runtime/ThreadGroup.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlir;
using namespace mlir::tp;

namespace {
/// The fastest seconds of `body` over at least 3 runs and about `budget`
/// seconds, after one warm-up run: what the machine does when neighbours on
/// a shared host leave it alone, which is also what a benchmark's best of
/// several rounds measures.
///
/// With `runs`, exactly that many runs, whatever they take: a collective
/// must be called as many times on every rank, and a time budget that each
/// rank checks on its own clock would let them disagree under load.
template <typename F>
double fastestSeconds(F body, double budget = 0.3, size_t runs = 0) {
  body();
  std::vector<double> times;
  double total = 0;
  while (runs ? times.size() < runs
              : times.size() < 3 || (total < budget && times.size() < 200)) {
    auto start = std::chrono::steady_clock::now();
    body();
    double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    times.push_back(t);
    total += t;
  }
  return *std::min_element(times.begin(), times.end());
}

StridedMemRefType<float, 2> view(std::vector<float> &data, int64_t rows,
                                 int64_t cols) {
  StridedMemRefType<float, 2> m;
  m.basePtr = m.data = data.data();
  m.offset = 0;
  m.sizes[0] = rows;
  m.sizes[1] = cols;
  m.strides[0] = cols;
  m.strides[1] = 1;
  return m;
}
} // namespace

/// The size of the highest-level cache of CPU 0, from sysfs, or none.
static std::optional<double> lastLevelCacheBytes() {
  std::optional<double> best;
  int bestLevel = 0;
  for (int index = 0; index < 16; ++index) {
    std::string dir =
        fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", index);
    auto read = [&](const char *name) -> std::string {
      auto buffer = llvm::MemoryBuffer::getFileAsStream(dir + name);
      return buffer ? (*buffer)->getBuffer().trim().str() : std::string();
    };
    std::string sizeText = read("size"), levelText = read("level");
    llvm::StringRef size = sizeText, level = levelText;
    int levelNumber = 0;
    unsigned long long amount = 0;
    if (level.getAsInteger(10, levelNumber) || levelNumber <= bestLevel)
      continue;
    double unit = 1;
    if (size.consume_back("K"))
      unit = 1024;
    else if (size.consume_back("M"))
      unit = 1024 * 1024;
    if (size.getAsInteger(10, amount) || amount == 0)
      continue;
    best = double(amount) * unit;
    bestLevel = levelNumber;
  }
  return best;
}

/// Seconds per output element of each activation's epilogue (bias and
/// activation), measured in compiled code as tp-run runs it: a batch-split
/// layer of 8 input features and 1024 outputs, 2048 rows per rank, whose
/// compute region is mostly the epilogue, less the same layer without bias
/// or activation, timed alike. (Subtracting the profile's predicted GEMM
/// instead charged the generated matmul's slowness at 8 in-features, which
/// the width figures do not capture, to the epilogues: 1-2 ns per element
/// against 0.2-1.4 with sgemm.)
static llvm::Error measureEpilogues(plan::MachineProfile &p, int64_t ranks,
                                    bool approximateMath,
                                    llvm::raw_ostream &log) {
  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  // A failure here is a bug of tp-mlir, not of the machine; its
  // diagnostics go to the error.
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
  const int64_t rows = 2048, n = 1024, k = 8, iterations = 10;
  // The compute seconds per iteration of the layer with `activation` (none:
  // without bias or activation), the fastest of three runs like the GEMMs.
  // With `softmax`: the layer without bias or activation, then tp.softmax.
  auto measure = [&](std::optional<ActivationKind> activation,
                     bool softmax = false) -> llvm::Expected<double> {
    diagnostics.clear();
    std::string name =
        activation ? stringifyActivationKind(*activation).str() : "identity";
    std::string what =
        activation ? "the " + name + " epilogue"
        : softmax  ? std::string("a softmax after the layer")
                   : std::string("the layer without bias or activation");
    auto fail = [&](const std::string &why) {
      return llvm::createStringError(
          std::errc::io_error, "calibration: measuring %s: %s%s", what.c_str(),
          why.c_str(), diagnostics.c_str());
    };
    std::string bias = activation ? ", %b" : "";
    std::string biasType = activation ? fmt::format(", tensor<{}xf32>", n) : "";
    std::string biasArg =
        activation
            ? fmt::format(",\n      %b: tensor<{}xf32> {{tp.name = \"b\"}}", n)
            : "";
    std::string act =
        activation ? fmt::format(" activation({})", name) : std::string();
    std::string text = fmt::format(
        "module attributes {{tp.mesh = #tp.mesh<shape = [{0}]>}} {{\n"
        "  func.func @epilogue(%x: tensor<?x{2}xf32>,\n"
        "      %w: tensor<{1}x{2}xf32> {{tp.name = \"w\"}}{4}) -> "
        "tensor<?x{1}xf32> {{\n"
        "    %y = tp.linear %x, %w{5}{3} sharding(batch)\n"
        "        : tensor<?x{2}xf32>, tensor<{1}x{2}xf32>{6}\n"
        "        -> tensor<?x{1}xf32>\n"
        "{7}"
        "    return {8} : tensor<?x{1}xf32>\n"
        "  }}\n"
        "}}\n",
        ranks, n, k, act, biasArg, bias, biasType,
        softmax ? fmt::format("    %r = tp.softmax %y : tensor<?x{}xf32>\n", n)
                : std::string(),
        softmax ? "%r" : "%y");
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(text, "epilogue.mlir"),
        llvm::SMLoc());
    FailureOr<Model> model =
        Model::load(context, sourceMgr, "epilogue.mlir", "");
    if (failed(model))
      return fail("the model does not load: ");
    FailureOr<PartitionedModel> program =
        PartitionedModel::create(*model, ranks, PartitionStrategy::alternate);
    if (failed(program))
      return fail("it does not partition: ");
    CompileOptions compileOptions;
    compileOptions.matmul = p.matmul;
    compileOptions.approximateMath = approximateMath;
    FailureOr<std::unique_ptr<CPUModel>> compiled =
        compileForCPU(*program, compileOptions);
    if (failed(compiled))
      return fail("it does not compile: ");
    ArgumentOptions argumentOptions;
    argumentOptions.batch = rows * ranks;
    llvm::Expected<ArgumentSource> arguments =
        ArgumentSource::create(*model, argumentOptions);
    if (!arguments)
      return fail(llvm::toString(arguments.takeError()));
    std::string error;
    std::unique_ptr<rt::Executor> executor =
        createExecutor(Backend::threads, ranks, error);
    if (!executor)
      return fail(error);
    Session session(*model, *program, *arguments, compiled->get());
    RunOptions runOptions;
    runOptions.warmup = 2;
    runOptions.iterations = iterations;
    double compute = std::numeric_limits<double>::infinity();
    for (int round = 0; round < 3; ++round) {
      FailureOr<RunResult> result = session.run(*executor, runOptions, error);
      if (failed(result))
        return fail(error);
      double seconds = 0;
      ArrayRef<std::string> names = (*compiled)->getProfileNames();
      for (size_t i = 0; i < names.size() && i < result->profileSeconds.size();
           ++i)
        if (StringRef(names[i]).starts_with("compute"))
          seconds += result->profileSeconds[i];
      compute = std::min(compute, seconds / iterations);
    }
    return compute;
  };
  llvm::Expected<double> bare = measure(std::nullopt);
  if (!bare)
    return bare.takeError();
  for (size_t kind = 0; kind < plan::kNumActivationKinds; ++kind) {
    auto activation = static_cast<ActivationKind>(kind);
    llvm::Expected<double> compute = measure(activation);
    if (!compute)
      return compute.takeError();
    double epilogue = std::max(*compute - *bare, 0.1 * *compute);
    p.epilogueSecondsPerElement[kind] = epilogue / double(rows * n);
    log << fmt::format("  bias + {}: {:.2f} ns per element\n",
                       stringifyActivationKind(activation).str(),
                       1e9 * p.epilogueSecondsPerElement[kind]);
  }
  llvm::Expected<double> softmax = measure(std::nullopt, /*softmax=*/true);
  if (!softmax)
    return softmax.takeError();
  p.rowOpSecondsPerElement =
      std::max(*softmax - *bare, 0.1 * *softmax) / double(rows * n);
  log << fmt::format("  softmax: {:.2f} ns per element\n",
                     1e9 * p.rowOpSecondsPerElement);
  return llvm::Error::success();
}

/// y = x W^T of m x k by n x k, compiled as a layer without bias on one
/// device with `matmul`: what each rank's local matmul runs in a chain,
/// the allocation of its result included.
static llvm::Expected<std::unique_ptr<CPUModel>>
compileGemm(MLIRContext &context, int64_t m, int64_t n, int64_t k,
            MatmulLowering matmul) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
  auto fail = [&](const char *why) {
    return llvm::createStringError(
        std::errc::io_error,
        "calibration: the %s matmul of %lldx%lldx%lld %s: %s",
        stringifyMatmulLowering(matmul).str().c_str(), (long long)m,
        (long long)n, (long long)k, why, diagnostics.c_str());
  };
  std::string text =
      fmt::format("module attributes {{tp.mesh = #tp.mesh<shape = [1]>}} {{\n"
                  "  func.func @gemm(%x: tensor<{0}x{2}xf32>,\n"
                  "      %w: tensor<{1}x{2}xf32> {{tp.name = \"w\"}}) -> "
                  "tensor<{0}x{1}xf32> {{\n"
                  "    %y = tp.linear %x, %w sharding(replicated)\n"
                  "        : tensor<{0}x{2}xf32>, tensor<{1}x{2}xf32> -> "
                  "tensor<{0}x{1}xf32>\n"
                  "    return %y : tensor<{0}x{1}xf32>\n"
                  "  }}\n"
                  "}}\n",
                  m, n, k);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "gemm.mlir"), llvm::SMLoc());
  FailureOr<Model> model = Model::load(context, sourceMgr, "gemm.mlir", "");
  if (failed(model))
    return fail("does not load");
  FailureOr<PartitionedModel> program =
      PartitionedModel::create(*model, 1, PartitionStrategy::replicated);
  if (failed(program))
    return fail("does not partition");
  CompileOptions options;
  options.matmul = matmul;
  options.profile = false;
  // Called in place with a new W each time (a layer's weights are not in
  // cache when it starts): a weight packed ahead would be packed on every
  // call, outside the generated matmul.
  options.packWeightsAhead = false;
  FailureOr<std::unique_ptr<CPUModel>> compiled =
      compileForCPU(*program, options);
  if (failed(compiled))
    return fail("does not compile");
  return std::move(*compiled);
}

/// The threads backend's collectives between two ranks: the latency from a
/// 4 KiB all_gather, then each collective's bandwidth at sizes from 64 KiB
/// to 64 MiB in all (the whole tensor), as the cost model's alpha-beta
/// formula for it reads the time. A collective's time per byte depends on
/// its size (what stays in cache, and when the runtime streams), which one
/// figure at 16 MiB cannot say: it overpriced 2 MiB gathers by 3x. Each
/// call's input is written by its owner just before, as a layer's output
/// is, and only the call is timed.
static llvm::Error measureCollectives(plan::MachineProfile &p,
                                      llvm::raw_ostream &log) {
  constexpr int64_t ranks = 2;
  auto group = rt::ThreadGroup::create(ranks);
  // The fastest of `runs` calls of `op` on `floats` elements in all.
  auto time = [&](plan::CollectiveKind kind, int64_t floats, size_t runs) {
    int64_t half = floats / ranks;
    std::vector<std::vector<float>> in(ranks), out(ranks);
    for (int64_t r = 0; r < ranks; ++r) {
      bool whole = kind == plan::CollectiveKind::allReduce ||
                   kind == plan::CollectiveKind::reduceScatter;
      in[r].assign(whole ? floats : half, 1.0f);
      out[r].assign(kind == plan::CollectiveKind::allGather ||
                            kind == plan::CollectiveKind::allReduce
                        ? floats
                        : half,
                    0.0f);
    }
    double seconds = -1;
    bool ok = group->run([&](rt::Communicator &comm) {
      int64_t r = comm.rank();
      double best = std::numeric_limits<double>::infinity();
      // One warm-up call, then `runs` timed ones.
      for (size_t run = 0; run <= runs; ++run) {
        std::fill(in[r].begin(), in[r].end(), float(run));
        comm.barrier();
        auto start = std::chrono::steady_clock::now();
        switch (kind) {
        case plan::CollectiveKind::allGather:
          comm.allGather(in[r].data(), out[r].data(), 1, half, 1);
          break;
        case plan::CollectiveKind::allReduce:
          comm.allReduce(in[r].data(), out[r].data(), floats,
                         rt::Reduction::Sum);
          break;
        case plan::CollectiveKind::reduceScatter:
          comm.reduceScatter(in[r].data(), out[r].data(), 1, floats, 1,
                             rt::Reduction::Sum);
          break;
        case plan::CollectiveKind::allToAll: {
          // A [floats / 1024 x 1024] tensor split along its rows, to one
          // split along its columns.
          rt::AllToAllShape shape{1, floats / 1024, 1, 1024, 1, true};
          comm.allToAll(in[r].data(), out[r].data(), shape);
          break;
        }
        }
        double t = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
        if (run)
          best = std::min(best, t);
      }
      if (r == 0)
        seconds = best;
    });
    return ok ? seconds : -1.0;
  };
  auto collectivesFailed = [&] {
    return llvm::createStringError(std::errc::io_error,
                                   "calibration: the collectives failed: %s",
                                   group->error().c_str());
  };
  double small = time(plan::CollectiveKind::allGather, 1024, 200);
  if (small <= 0)
    return collectivesFailed();
  p.collectiveLatency = small;
  log << fmt::format("  collectives, 2 thread ranks: {:.1f} us latency "
                     "(all_gather of 4 KiB)\n",
                     1e6 * small);
  for (size_t k = 0; k < plan::kNumCollectiveKinds; ++k) {
    auto kind = static_cast<plan::CollectiveKind>(k);
    std::string line;
    for (int64_t bytes = 64 << 10; bytes <= (64 << 20); bytes *= 4) {
      int64_t floats = bytes / 4;
      double seconds = time(kind, floats, bytes >= (8 << 20) ? 10 : 40);
      if (seconds <= 0)
        return collectivesFailed();
      // What the model's formula for this collective at D = 2 gives the
      // bandwidth, after the latency.
      double rate = plan::MachineProfile::impliedBandwidth(
          kind, double(bytes), ranks, seconds, p.collectiveLatency);
      p.collectiveBandwidth[k].push_back({double(bytes), rate});
      line +=
          fmt::format(" {}: {:.2f}",
                      bytes >= (1 << 20) ? fmt::format("{} MiB", bytes >> 20)
                                         : fmt::format("{} KiB", bytes >> 10),
                      rate / 1e9);
    }
    log << fmt::format("  {} GB/s by size:{}\n",
                       plan::stringifyCollectiveKind(kind), line);
  }
  // The scalar bandwidth, for a collective of a size the lists do not
  // cover: the all_gather's at 16 MiB.
  p.collectiveBytesPerSecond = plan::MachineProfile::interpolate(
      p.collectiveBandwidth[0], double(16 << 20));
  return llvm::Error::success();
}

/// One measurement of every figure.
static llvm::Expected<plan::MachineProfile>
measureMachine(bool approximateMath, MatmulLowering matmul,
               llvm::raw_ostream &log) {
  plan::MachineProfile p;
  p.matmul = matmul;
  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  // The compute figures are measured on every core at once, one rank per
  // core as the threads backend runs them: ranks share memory bandwidth
  // and caches, and a figure for one lone core overstates what each rank
  // gets. Rank 0's figure is taken.
  int64_t ranks =
      std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, 8);
  auto compute = rt::ThreadGroup::create(ranks);
  auto onEveryRank = [&](auto body) {
    double seconds = -1;
    bool ok = compute->run([&](rt::Communicator &comm) {
      comm.barrier();
      double t = body();
      if (comm.rank() == 0)
        seconds = t;
    });
    return ok ? seconds : -1.0;
  };
  log << fmt::format("  (compute measured on {} ranks at once)\n", ranks);
  // GEMMs y = x W^T of the shapes dense layers have.
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{8, 64, 64},
                          {64, 256, 256},
                          {256, 1024, 1024},
                          {1024, 2048, 2048},
                          {512, 4096, 4096}};
  // A chain's layers each bring their own weights, which are not in cache
  // when the layer starts: each call takes the next of enough copies of W
  // to fill 64 MiB per rank.
  // The generated matmul (and auto, which picks it or sgemm by shape) runs
  // in compiled code: a one-layer model per shape, called in place.
  auto gemm = [&](const Shape &s,
                  MatmulLowering lowering) -> llvm::Expected<double> {
    std::unique_ptr<CPUModel> compiled;
    if (lowering != MatmulLowering::blas) {
      auto model = compileGemm(context, s.m, s.n, s.k, lowering);
      if (!model)
        return model.takeError();
      compiled = std::move(*model);
    }
    // The first error of any rank's compiled call.
    std::mutex errorMutex;
    std::string callError;
    double seconds = onEveryRank([&] {
      int64_t copies =
          std::clamp<int64_t>((64 << 20) / (4 * s.n * s.k), 1, 4096);
      if (compiled) {
        Tensor x({s.m, s.k});
        std::fill(x.data.begin(), x.data.end(), 0.5f);
        std::vector<Tensor> w(copies, Tensor({s.n, s.k}));
        for (Tensor &t : w)
          std::fill(t.data.begin(), t.data.end(), 0.25f);
        int64_t next = 0;
        std::string rankError;
        double t = fastestSeconds([&] {
          const Tensor *args[] = {&x, &w[next]};
          next = (next + 1) % copies;
          if (rankError.empty() &&
              failed(compiled->invokeDiscardingResult(args, rankError)) &&
              rankError.empty())
            rankError = "the compiled call failed";
        });
        if (!rankError.empty()) {
          std::lock_guard<std::mutex> lock(errorMutex);
          if (callError.empty())
            callError = rankError;
        }
        return t;
      }
      std::vector<float> x(s.m * s.k, 0.5f), y(s.m * s.n, 0.0f);
      std::vector<std::vector<float>> w(copies,
                                        std::vector<float>(s.n * s.k, 0.25f));
      auto xv = view(x, s.m, s.k), yv = view(y, s.m, s.n);
      int64_t next = 0;
      return fastestSeconds([&] {
        auto wv = view(w[next], s.n, s.k);
        next = (next + 1) % copies;
        _mlir_ciface_tp_rt_matmul_nt(&xv, &wv, &yv);
      });
    });
    if (!callError.empty())
      return llvm::createStringError(
          std::errc::io_error,
          "calibration: the %s matmul of %lldx%lldx%lld: %s",
          stringifyMatmulLowering(lowering).str().c_str(), (long long)s.m,
          (long long)s.n, (long long)s.k, callError.c_str());
    if (seconds <= 0)
      return llvm::createStringError(std::errc::io_error,
                                     "calibration: the ranks failed: %s",
                                     compute->error().c_str());
    return seconds;
  };
  std::string what = matmul == MatmulLowering::blas
                         ? "sgemm"
                         : stringifyMatmulLowering(matmul).str() + " matmul";
  // W's bytes per second with `rows` rows against cold w x w weights, from
  // 16 KiB to 64 MiB (more than the caches hold), into `out`.
  auto streaming =
      [&](int64_t rows, llvm::StringRef label,
          std::vector<plan::MachineProfile::RatePoint> &out) -> llvm::Error {
    for (int64_t w : {64, 256, 1024, 2048, 4096}) {
      llvm::Expected<double> seconds = gemm(Shape{rows, w, w}, matmul);
      if (!seconds)
        return seconds.takeError();
      double bytes = 4.0 * w * w;
      out.push_back({bytes, bytes / std::max(*seconds, 1e-12)});
      log << fmt::format("  {} {}x{}x{} ({}): {:.2f} GB/s\n", what, rows, w, w,
                         label.str(), out.back().rate / 1e9);
    }
    return llvm::Error::success();
  };
  // Streaming first, since the GEMM rates are net of it: 4 rows, which is
  // nearly all reading and packing W (the small weights include the call's
  // fixed costs, which bounds their rate).
  if (llvm::Error e = streaming(4, "weights streamed", p.gemmStream))
    return std::move(e);
  p.gemmBytesPerSecond = p.gemmStream.back().rate;
  // A single row against the same cold weights: with sgemm and auto a
  // matrix-vector product (sgemv), which streams W without packing it.
  if (llvm::Error e = streaming(1, "a single row", p.gemmSingleRow))
    return std::move(e);
  // Measures each of `list`'s shapes into `out`, as its compute rate (net
  // of the streaming) at `at(shape)`.
  auto measure =
      [&](llvm::ArrayRef<Shape> list, auto at,
          std::vector<plan::MachineProfile::RatePoint> &out) -> llvm::Error {
    for (const Shape &s : list) {
      llvm::Expected<double> seconds = gemm(s, matmul);
      if (!seconds)
        return seconds.takeError();
      double rate = 2.0 * s.m * s.n * s.k / *seconds;
      double net = p.computeRate(s.m, s.n, s.k, *seconds);
      out.push_back({at(s), net});
      log << fmt::format("  {} {}x{}x{}: {:.1f} GFLOP/s, {:.1f} net of "
                         "streaming\n",
                         what, s.m, s.n, s.k, rate / 1e9, net / 1e9);
    }
    return llvm::Error::success();
  };
  if (llvm::Error e = measure(
          shapes, [](const Shape &s) { return 2.0 * s.m * s.n * s.k; }, p.gemm))
    return std::move(e);
  // Rows: a 2048 x 2048 weight against 8 to 512 rows (the batch, or its
  // shard).
  const Shape rows[] = {
      {8, 2048, 2048}, {32, 2048, 2048}, {128, 2048, 2048}, {512, 2048, 2048}};
  if (llvm::Error e = measure(
          rows, [](const Shape &s) { return double(s.m); }, p.gemmRows))
    return std::move(e);
  // Width: 2048 rows against a w x w weight, for the narrow layers whose
  // GEMMs run far below a square one of the same FLOPs; 256 and 512 are
  // where auto's generated matmul takes over from sgemm.
  const Shape widths[] = {{2048, 8, 8},
                          {2048, 32, 32},
                          {2048, 128, 128},
                          {2048, 256, 256},
                          {2048, 512, 512}};
  if (llvm::Error e = measure(
          widths, [](const Shape &s) { return double(s.n); }, p.gemmWidth))
    return std::move(e);

  // The generated matmul's output blocks (MachineProfile::OutputBlocks):
  // two GEMMs of the same FLOPs on every rank at once, one whose slices of
  // y fill twice the last-level cache (one block of 256 panels of W) and one
  // whose slices fill half of it (a quarter of the rows, four times the
  // outputs). Net of W's streaming, the first's extra time is its passes
  // over y through memory; their bytes over it are the rate.
  if (matmul != MatmulLowering::blas) {
    std::optional<double> cache = lastLevelCacheBytes();
    if (!cache) {
      log << "  output blocks: the last-level cache's size is unknown "
             "(no /sys/devices/system/cpu/cpu0/cache); left out\n";
    } else {
      plan::MachineProfile::OutputBlocks blocks{*cache, hostMatmulVectorLanes(),
                                                1};
      int64_t outputs = 256 * matmulRegisterTile(blocks.lanes).cols;
      int64_t rows = std::clamp<int64_t>(
          int64_t(2 * *cache / (4.0 * outputs * ranks)) / 4 * 4, 4, 1 << 16);
      const Shape spilling{rows, outputs, 2048};
      const Shape fitting{rows / 4, 4 * outputs, 2048};
      // Generated, also under auto, which leaves results this large to
      // BLAS: the figure prices the generated matmul's passes.
      llvm::Expected<double> spilled = gemm(spilling, MatmulLowering::codegen);
      if (!spilled)
        return spilled.takeError();
      llvm::Expected<double> fitted = gemm(fitting, MatmulLowering::codegen);
      if (!fitted)
        return fitted.takeError();
      double extra =
          (*spilled - p.streamSeconds(spilling.m, spilling.n, spilling.k)) -
          (*fitted - p.streamSeconds(fitting.m, fitting.n, fitting.k));
      // Read as at least 1% of the call: no slower pass, no term to speak of.
      extra = std::max(extra, 0.01 * *spilled);
      // The bytes of the passes the model sends to memory, as it counts
      // them (at a rate of 1 byte per second).
      plan::MachineProfile unit;
      unit.outputBlocks = blocks;
      double bytes =
          unit.outputTrafficSeconds(spilling.m, spilling.n, spilling.k, ranks) -
          unit.outputTrafficSeconds(fitting.m, fitting.n, fitting.k, ranks);
      if (bytes <= 0)
        return llvm::createStringError(
            std::errc::io_error,
            "calibration: output blocks: %lldx%lldx%lld and %lldx%lldx%lld "
            "send the same passes to memory",
            (long long)spilling.m, (long long)spilling.n, (long long)spilling.k,
            (long long)fitting.m, (long long)fitting.n, (long long)fitting.k);
      blocks.bytesPerSecond = bytes / extra;
      p.outputBlocks = blocks;
      log << fmt::format(
          "  output blocks: {:.1f} MiB last-level cache, {} lanes; {}x{}x{} "
          "{:.1f} ms, {}x{}x{} {:.1f} ms: passes over y at {:.2f} GB/s per "
          "rank\n",
          *cache / (1 << 20), blocks.lanes, spilling.m, spilling.n, spilling.k,
          *spilled * 1e3, fitting.m, fitting.n, fitting.k, *fitted * 1e3,
          blocks.bytesPerSecond / 1e9);
    }
  }

  if (llvm::Error e = measureEpilogues(p, ranks, approximateMath, log))
    return std::move(e);

  if (llvm::Error e = measureCollectives(p, log))
    return std::move(e);
  p.source = fmt::format("calibrated by tp-run --calibrate --matmul {}{}",
                         stringifyMatmulLowering(matmul).str(),
                         approximateMath ? "" : " --libm-math");
  return p;
}

/// Each figure's median over `rounds` (measured alike, so their points
/// match).
static plan::MachineProfile
medianProfile(const std::vector<plan::MachineProfile> &rounds) {
  auto median = [&](auto figure) {
    std::vector<double> values;
    for (const plan::MachineProfile &r : rounds)
      values.push_back(figure(r));
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  using Points = std::vector<plan::MachineProfile::RatePoint>;
  auto medianPoints = [&](Points &out, auto list) {
    for (size_t i = 0; i < out.size(); ++i)
      out[i].rate = median(
          [&](const plan::MachineProfile &r) { return list(r)[i].rate; });
  };
  plan::MachineProfile p = rounds.front();
  medianPoints(p.gemm, [](const plan::MachineProfile &r) -> const Points & {
    return r.gemm;
  });
  medianPoints(p.gemmRows, [](const plan::MachineProfile &r) -> const Points & {
    return r.gemmRows;
  });
  medianPoints(p.gemmWidth,
               [](const plan::MachineProfile &r) -> const Points & {
                 return r.gemmWidth;
               });
  for (size_t k = 0; k < plan::kNumCollectiveKinds; ++k)
    medianPoints(p.collectiveBandwidth[k],
                 [k](const plan::MachineProfile &r) -> const Points & {
                   return r.collectiveBandwidth[k];
                 });
  for (size_t k = 0; k < plan::kNumActivationKinds; ++k)
    p.epilogueSecondsPerElement[k] = median([k](const plan::MachineProfile &r) {
      return r.epilogueSecondsPerElement[k];
    });
  p.rowOpSecondsPerElement = median(
      [](const plan::MachineProfile &r) { return r.rowOpSecondsPerElement; });
  medianPoints(p.gemmStream,
               [](const plan::MachineProfile &r) -> const Points & {
                 return r.gemmStream;
               });
  medianPoints(p.gemmSingleRow,
               [](const plan::MachineProfile &r) -> const Points & {
                 return r.gemmSingleRow;
               });
  // The single streaming figure is the largest weights' rate.
  p.gemmBytesPerSecond = p.gemmStream.back().rate;
  // Of the rounds that measured the output blocks (all, or none: the cache
  // size comes from sysfs each time).
  std::vector<double> passes;
  for (const plan::MachineProfile &r : rounds)
    if (r.outputBlocks) {
      p.outputBlocks = r.outputBlocks;
      passes.push_back(r.outputBlocks->bytesPerSecond);
    }
  if (p.outputBlocks) {
    std::sort(passes.begin(), passes.end());
    p.outputBlocks->bytesPerSecond = passes[passes.size() / 2];
  }
  p.collectiveLatency =
      median([](const plan::MachineProfile &r) { return r.collectiveLatency; });
  p.collectiveBytesPerSecond = median(
      [](const plan::MachineProfile &r) { return r.collectiveBytesPerSecond; });
  return p;
}

/// This process's anonymous memory that is resident, and the part of it
/// in transparent huge pages, bytes (/proc/self/smaps_rollup, which walks
/// the page tables: exact, where the counters of /proc/self/status lag by
/// up to 64 pages a thread); none where the system does not say.
struct AnonymousMemory {
  uint64_t bytes = 0, hugeBytes = 0;
};
static std::optional<AnonymousMemory> residentAnonymousMemory() {
  std::optional<SmallVector<uint64_t>> bytes =
      readProcBytes("/proc/self/smaps_rollup", {"Anonymous", "AnonHugePages"});
  if (!bytes)
    return std::nullopt;
  return AnonymousMemory{(*bytes)[0], (*bytes)[1]};
}

/// sgemm's packing buffer (MachineProfile::BLASWorkspace), from what its
/// first calls in this process add to the resident memory: x of 256 rows,
/// then of 768 and of 1280, against a 2048 x 4096 W (deeper and wider than
/// any x86 target of OpenBLAS packs at once), every operand touched
/// before. The first call touches 4 depth (256 + panel) bytes of the
/// buffer, each of the others 4 depth 512 more: the two must agree, and
/// no huge page may have come in between (its 2 MiB would swamp them).
/// Once an sgemm has run in the process its buffer is resident already
/// and nothing can be read: none then, and the log says why.
static std::optional<plan::MachineProfile::BLASWorkspace>
measureBLASWorkspace(llvm::raw_ostream &log) {
  constexpr int64_t k = 4096, n = 2048, rows[] = {256, 768, 1280};
  std::vector<float> x(rows[2] * k, 1.0f), w(n * k, 0.5f), y(rows[2] * n, 0.0f);
  StridedMemRefType<float, 2> wv = view(w, n, k);
  std::optional<AnonymousMemory> start = residentAnonymousMemory(),
                                 last = start;
  uint64_t grew[3] = {0, 0, 0};
  bool readable = start.has_value();
  for (int c = 0; c < 3 && readable; ++c) {
    StridedMemRefType<float, 2> xv = view(x, rows[c], k),
                                yv = view(y, rows[c], n);
    _mlir_ciface_tp_rt_matmul_nt_overwrite(&xv, &wv, &yv);
    std::optional<AnonymousMemory> now = residentAnonymousMemory();
    readable =
        now && now->bytes >= last->bytes && now->hugeBytes == start->hugeBytes;
    if (readable)
      grew[c] = now->bytes - last->bytes;
    last = now;
  }
  constexpr uint64_t page = 4096;
  uint64_t rest = grew[1] + grew[2];
  int64_t depth = int64_t(rest / (4 * 1024));
  int64_t panel =
      depth > 0 ? int64_t(grew[0] / (4 * uint64_t(depth))) - rows[0] : 0;
  uint64_t apart = std::max(grew[1], grew[2]) - std::min(grew[1], grew[2]);
  bool agree = readable && apart <= 2 * page;
  if (!agree || depth < 16 || depth > k || panel < 16 || panel > n) {
    std::string why =
        !readable ? "/proc/self/smaps_rollup is unreadable, or huge pages "
                    "came in"
        : !agree  ? fmt::format("the later two differ by {} KiB", apart >> 10)
                  : "the figures are outside 16 to the operands' sizes";
    log << fmt::format("  sgemm's packing buffer: not measurable here (its "
                       "first calls added {}, {} and {} KiB: {}); the "
                       "profile keeps the built-in figures\n",
                       grew[0] >> 10, grew[1] >> 10, grew[2] >> 10, why);
    return std::nullopt;
  }
  log << fmt::format("  sgemm's packing buffer: {} steps of K, by the rows of "
                     "x and up to {} rows of W (its first calls added {}, {} "
                     "and {} KiB)\n",
                     depth, panel, grew[0] >> 10, grew[1] >> 10, grew[2] >> 10);
  return plan::MachineProfile::BLASWorkspace{depth, panel};
}

llvm::Expected<plan::MachineProfile>
mlir::tp::calibrateMachine(llvm::raw_ostream &log, bool approximateMath,
                           MatmulLowering matmul) {
  // A shared machine can slow any one figure for a few seconds (a
  // 512 x 4096 x 4096 sgemm measured at half its rate once, which moved the
  // planner's choice): every figure is measured in three rounds, and the
  // profile takes its median.
  constexpr int kRounds = 3;
  // sgemm's packing buffer first, before any sgemm has made it resident.
  std::optional<plan::MachineProfile::BLASWorkspace> workspace;
  if (matmul != MatmulLowering::codegen) {
    workspace = measureBLASWorkspace(log);
    if (!workspace)
      workspace = plan::MachineProfile::builtinDefault(matmul).blasWorkspace;
  }
  std::vector<plan::MachineProfile> rounds;
  for (int round = 1; round <= kRounds; ++round) {
    log << fmt::format("  round {} of {}:\n", round, kRounds);
    llvm::Expected<plan::MachineProfile> p =
        measureMachine(approximateMath, matmul, log);
    if (!p)
      return p.takeError();
    rounds.push_back(std::move(*p));
  }
  log << fmt::format("  the profile takes each figure's median of the {} "
                     "rounds\n",
                     kRounds);
  plan::MachineProfile p = medianProfile(rounds);
  if (workspace)
    p.blasWorkspace = workspace;
  return p;
}
