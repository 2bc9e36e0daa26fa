//===- Session.cpp - run a compiled model on an executor and check it -----===//
//
// Every rank runs the same steps, whichever executor started it: make its
// own arguments, wait for the others (without a time limit: loading and the
// reference take as long as they take), run, then agree with the others on
// the timing, the profile, the memory and the check through the
// communicator. Rank 0 alone computes the reference and broadcasts it, so
// that no other process ever holds a whole weight.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Runtime/RuntimeABI.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>
#include <sys/resource.h>

using namespace mlir;
using namespace mlir::tp;

double mlir::tp::getPeakResidentMiB() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return usage.ru_maxrss / 1024.0; // KiB on Linux
}

std::optional<SmallVector<uint64_t>>
mlir::tp::readProcBytes(StringRef path, ArrayRef<StringRef> keys) {
  std::FILE *f = std::fopen(path.str().c_str(), "r");
  if (!f)
    return std::nullopt;
  SmallVector<std::optional<uint64_t>> found(keys.size());
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    for (auto [key, value] : llvm::zip_equal(keys, found)) {
      StringRef rest(line);
      unsigned long long kib = 0;
      if (rest.consume_front(key) && rest.consume_front(":") &&
          std::sscanf(rest.data(), " %llu kB", &kib) == 1)
        value = uint64_t(kib) << 10;
    }
  }
  std::fclose(f);
  SmallVector<uint64_t> bytes;
  for (const std::optional<uint64_t> &value : found) {
    if (!value)
      return std::nullopt;
    bytes.push_back(*value);
  }
  return bytes;
}

namespace {
/// The process's resident memory now and its peak since it started or was
/// reset (VmRSS, VmHWM), MiB.
struct Resident {
  double now = 0, peak = 0;
};
std::optional<Resident> readResident() {
  std::optional<SmallVector<uint64_t>> bytes =
      readProcBytes("/proc/self/status", {"VmRSS", "VmHWM"});
  if (!bytes)
    return std::nullopt;
  return Resident{(*bytes)[0] / 1048576.0, (*bytes)[1] / 1048576.0};
}

/// Where the run's share of the process's memory starts: the heap that
/// compiling freed goes back to the system (the process keeps what it
/// frees later: tp_rt_retain_freed_memory), and the peak is reset to the
/// resident size. `before` is the peak until then.
struct ResidentWindow {
  double start = 0, before = 0;
};
std::optional<ResidentWindow> openResidentWindow() {
  tp_rt_trim_heap();
  std::optional<Resident> was = readResident();
  std::FILE *f = std::fopen("/proc/self/clear_refs", "w");
  if (!was || !f) {
    if (f)
      std::fclose(f);
    return std::nullopt;
  }
  bool reset = std::fputs("5", f) >= 0;
  reset = std::fclose(f) == 0 && reset;
  std::optional<Resident> now = readResident();
  if (!reset || !now || now->peak > now->now + 1)
    return std::nullopt;
  return ResidentWindow{now->now, was->peak};
}
} // namespace

const SmallVector<Tensor> *RunResult::getOutputs(int64_t rank) const {
  for (const auto &[r, outs] : outputs)
    if (r == rank)
      return &outs;
  return nullptr;
}

static double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

llvm::Expected<BoundedResults> Session::computeReference() const {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(
      model.getModule().getContext(), [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error)
          diagnostics += (diagnostics.empty() ? "" : "; ") + diag.str();
        return failure(); // and let the tool's handler print it
      });
  FailureOr<BoundedResults> reference = evaluateWithBounds(
      model.getEntry(), [&](unsigned i) { return arguments.getFull(i); });
  if (failed(reference))
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the reference evaluator failed: %s",
                                   diagnostics.c_str());
  return std::move(*reference);
}

/// A verdict as floats, to all-gather: ratio, rank, output, element (in
/// two 24-bit halves, exact in f32), found, expected, allowed.
static constexpr int64_t kPackedCheck = 8;

static void packCheck(const CheckResult &c, float *out) {
  int64_t element = c.element < 0 ? -1 : c.element;
  out[0] = static_cast<float>(c.ratio);
  out[1] = static_cast<float>(c.rank);
  out[2] = static_cast<float>(c.output);
  out[3] = element < 0 ? -1.0f : static_cast<float>(element >> 24);
  out[4] = element < 0 ? -1.0f : static_cast<float>(element & 0xffffff);
  out[5] = c.found;
  out[6] = c.expected;
  out[7] = static_cast<float>(c.allowed);
}

static CheckResult unpackCheck(const float *in, const CheckResult &like) {
  CheckResult c = like;
  c.ratio = in[0];
  c.rank = static_cast<int64_t>(in[1]);
  c.output = static_cast<int64_t>(in[2]);
  c.element = in[3] < 0 ? -1
                        : (static_cast<int64_t>(in[3]) << 24) +
                              static_cast<int64_t>(in[4]);
  c.found = in[5];
  c.expected = in[6];
  c.allowed = in[7];
  return c;
}

CompiledModel::RankState *Session::getRankState(int64_t rank,
                                                std::string &error) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = rankStates.find(rank);
    if (it != rankStates.end())
      return it->second.get();
  }
  llvm::Expected<SmallVector<ArgumentWriter>> writers =
      arguments.getRankArgumentWriters(program, rank);
  if (!writers) {
    error = llvm::toString(writers.takeError());
    return nullptr;
  }
  std::unique_ptr<CompiledModel::RankState> state =
      compiled->placeArguments(*writers, error);
  if (!state)
    return nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  return (rankStates[rank] = std::move(state)).get();
}

/// Why the ranks of `comm` do not share `fields` (RunOptions::agreement),
/// the same words on every rank but for what this rank has; "" when they
/// do. Each hash crosses as four 16-bit floats, which float32 holds
/// exactly.
static std::string compareAgreement(rt::Communicator &comm,
                                    ArrayRef<RunOptions::Agreement> fields) {
  int64_t size = comm.size(), n = fields.size();
  if (size < 2 || n == 0)
    return "";
  // Ranks arrive when their loading and compiling are done, which may take
  // one much longer than another (options that may differ, rank 0 saving
  // the weights): the wait is untimed, and the exchange then timed.
  comm.synchronize();
  if (comm.failed())
    return "";
  std::vector<float> mine(4 * n), all(4 * n * size);
  for (auto [i, field] : llvm::enumerate(fields))
    for (int k = 0; k < 4; ++k)
      mine[4 * i + k] = static_cast<float>((field.hash >> (16 * k)) & 0xffff);
  comm.allGather(mine.data(), all.data(), 1, 4 * n, 1);
  if (comm.failed())
    return "";
  for (int64_t q = 1; q < size; ++q)
    for (int64_t i = 0; i < n; ++i)
      if (!std::equal(all.begin() + 4 * i, all.begin() + 4 * i + 4,
                      all.begin() + 4 * (q * n + i)))
        return fmt::format("the ranks of this job were given different "
                           "jobs: rank {} and rank 0 disagree on the {} "
                           "(here, on rank {}: {})",
                           q, fields[i].what, comm.rank(), fields[i].here);
  return "";
}

FailureOr<RunResult> Session::run(rt::Executor &executor,
                                  const RunOptions &options,
                                  std::string &error) {
  int64_t devices = program.getNumDevices();
  if (options.iterations < 1 || options.warmup < 0) {
    error = fmt::format("a run needs at least 1 iteration and no negative "
                        "warm-up, got {} and {}",
                        options.iterations, options.warmup);
    return failure();
  }
  if (!compiled) {
    error = "nothing is compiled; the evaluator backend runs through "
            "simulate()";
    return failure();
  }
  if (executor.size() != devices) {
    error = fmt::format("the model is partitioned for {} devices, but the "
                        "{} executor runs {} ranks",
                        devices, executor.name(), executor.size());
    return failure();
  }
  SmallVector<SmallVector<int64_t>> resultShapes = arguments.getResultShapes();
  size_t regions = compiled->getProfileNames().size();

  RunResult result;
  std::optional<ResidentWindow> window;
  bool ok = executor.run([&](rt::Communicator &comm) {
    int64_t r = comm.rank();
    if (std::string why = compareAgreement(comm, options.agreement);
        !why.empty())
      return comm.abort(why);
    if (comm.failed())
      return;
    std::string argumentError;
    if (options.check && r == 0 && !reference) {
      llvm::Expected<BoundedResults> ref = computeReference();
      if (!ref)
        return comm.abort(llvm::toString(ref.takeError()));
      reference = std::move(*ref);
    }
    comm.synchronize();
    if (comm.failed())
      return;
    // The run's memory counts from here, before any of the process's ranks
    // places its tensors: on the session's first run (later runs reuse the
    // placed tensors, and report no share).
    if (r == executor.localRanks().front() && rankStates.empty())
      window = openResidentWindow();
    comm.synchronize();
    if (comm.failed())
      return;
    CompiledModel::RankState *state = getRankState(r, argumentError);
    if (!state)
      return comm.abort(argumentError);
    comm.synchronize();
    if (comm.failed())
      return;

    std::string invokeError;
    auto once = [&]() -> bool {
      if (failed(compiled->run(*state, invokeError))) {
        comm.abort(invokeError);
        return false;
      }
      return !comm.failed();
    };
    for (int64_t it = 0; it < options.warmup; ++it)
      if (!once())
        return;
    // Iterations start together, so that the slowest rank's time is the
    // job's.
    comm.barrier();
    rt::Profile profile;
    profile.seconds.assign(regions, 0.0);
    profile.counts.assign(regions, 0);
    rt::setCurrentProfile(&profile);
    auto start = std::chrono::steady_clock::now();
    for (int64_t it = 0; it < options.iterations; ++it)
      if (!once()) {
        rt::setCurrentProfile(nullptr);
        return;
      }
    double elapsed = secondsSince(start);
    rt::setCurrentProfile(nullptr);

    // Every rank's time and profile regions: the job's time is the slowest
    // rank's, and the per-layer table needs each rank's regions (a rank that
    // waits in a collective for a slower one is the slowest in that region,
    // not in the layer).
    std::vector<float> mine(1 + regions);
    mine[0] = elapsed;
    for (size_t i = 0; i < regions && i < profile.seconds.size(); ++i)
      mine[1 + i] = profile.seconds[i];
    std::vector<float> stats(devices * mine.size());
    comm.allGather(mine.data(), stats.data(), 1, mine.size(), 1);
    // Each rank's process's peak memory, and the run's share of it (-1
    // where it is not known).
    std::optional<Resident> now = readResident();
    float peak[2] = {float(getPeakResidentMiB()), -1};
    if (window && now) {
      peak[0] = std::max<float>(peak[0], std::max(window->before, now->peak));
      peak[1] = float(std::max(0.0, now->peak - window->start));
    }
    std::vector<float> peaks(2 * devices);
    comm.allGather(peak, peaks.data(), 1, 2, 1);

    FailureOr<Tensor> out = compiled->takeResult(*state, invokeError);
    if (failed(out))
      return comm.abort(invokeError);
    SmallVector<Tensor> outputs{std::move(*out)};
    std::optional<CheckResult> verdict;
    if (options.check) {
      // Rank 0 sends the reference and its bounds; every rank judges its
      // own output; all agree on the worst element.
      SmallVector<Tensor> expected, bounds;
      for (auto [k, shape] : llvm::enumerate(resultShapes)) {
        Tensor value = r == 0 ? reference->values[k] : Tensor(shape);
        Tensor bound = r == 0 ? reference->bounds[k] : Tensor(shape);
        if (r == 0 &&
            ArrayRef<int64_t>(value.shape) != ArrayRef<int64_t>(shape))
          return comm.abort(fmt::format(
              "the reference's output #{} has shape {}, expected {}", k,
              value.shapeString(), formatShape(shape)));
        comm.broadcast(value.data.data(), value.getNumElements(), 0);
        comm.broadcast(bound.data.data(), bound.getNumElements(), 0);
        expected.push_back(std::move(value));
        bounds.push_back(std::move(bound));
      }
      float longest = r == 0 ? reference->longestReduction : 0;
      comm.broadcast(&longest, 1, 0);
      CheckResult mine =
          checkOutputs(outputs, expected, bounds, options.tolerance, r);
      mine.longestReduction = static_cast<int64_t>(longest);
      std::vector<float> packed(kPackedCheck * devices);
      std::vector<float> own(kPackedCheck);
      packCheck(mine, own.data());
      comm.allGather(own.data(), packed.data(), 1, kPackedCheck, 1);
      CheckResult worst = unpackCheck(packed.data(), mine);
      for (int64_t q = 1; q < devices; ++q) {
        CheckResult other = unpackCheck(packed.data() + q * kPackedCheck, mine);
        if (other.ratio > worst.ratio)
          worst = other;
      }
      verdict = worst;
    }
    if (comm.failed())
      return;

    std::lock_guard<std::mutex> lock(mutex);
    result.outputs.emplace_back(r, std::move(outputs));
    if (r == executor.localRanks().front()) {
      double slowest = 0;
      result.profileSeconds.assign(regions, 0.0);
      result.profileSecondsByRank.clear();
      for (int64_t q = 0; q < devices; ++q) {
        const float *theirs = stats.data() + q * mine.size();
        slowest = std::max(slowest, double(theirs[0]));
        result.profileSecondsByRank.emplace_back(theirs + 1,
                                                 theirs + mine.size());
        for (size_t i = 0; i < regions; ++i)
          result.profileSeconds[i] =
              std::max(result.profileSeconds[i], double(theirs[1 + i]));
      }
      result.msPerIteration = 1e3 * slowest / options.iterations;
      // Ranks that share a process share its memory.
      size_t processes =
          executor.localRanks().size() == static_cast<size_t>(devices)
              ? 1
              : devices;
      bool known = true;
      for (size_t q = 0; q < processes; ++q) {
        result.peakMiB.push_back(peaks[2 * q]);
        result.runMiB.push_back(peaks[2 * q + 1]);
        known = known && peaks[2 * q + 1] >= 0;
      }
      if (!known)
        result.runMiB.clear();
      result.check = verdict;
    }
  });
  if (!ok) {
    error = executor.error();
    return failure();
  }
  llvm::sort(result.outputs,
             [](const auto &a, const auto &b) { return a.first < b.first; });
  return result;
}

FailureOr<RunResult> Session::simulate(const RunOptions &options,
                                       std::string &error) {
  int64_t devices = program.getNumDevices();
  if (options.iterations < 1 || options.warmup < 0) {
    error = fmt::format("a run needs at least 1 iteration and no negative "
                        "warm-up, got {} and {}",
                        options.iterations, options.warmup);
    return failure();
  }
  RankTensors rankArgs;
  for (int64_t r = 0; r < devices; ++r) {
    llvm::Expected<SmallVector<Tensor>> args =
        arguments.getRankArguments(program, r);
    if (!args) {
      error = llvm::toString(args.takeError());
      return failure();
    }
    rankArgs.push_back(std::move(*args));
  }
  BoundedResults expected;
  if (options.check) {
    llvm::Expected<BoundedResults> ref = computeReference();
    if (!ref) {
      error = llvm::toString(ref.takeError());
      return failure();
    }
    expected = std::move(*ref);
  }
  FailureOr<RankTensors> outputs = failure();
  double seconds = 0;
  for (int64_t it = 0; it < options.warmup + options.iterations; ++it) {
    auto start = std::chrono::steady_clock::now();
    outputs = evaluateSPMD(program.getEntry(), rankArgs);
    if (failed(outputs)) {
      error = "the reference evaluator failed to run the partitioned program";
      return failure();
    }
    if (it >= options.warmup)
      seconds += secondsSince(start);
  }
  RunResult result;
  result.msPerIteration = 1e3 * seconds / options.iterations;
  result.peakMiB = {getPeakResidentMiB()};
  for (int64_t r = 0; r < devices; ++r) {
    if (options.check) {
      CheckResult verdict = checkOutputs((*outputs)[r], expected.values,
                                         expected.bounds, options.tolerance, r);
      verdict.longestReduction = expected.longestReduction;
      if (!result.check || verdict.ratio > result.check->ratio)
        result.check = verdict;
    }
    result.outputs.emplace_back(r, std::move((*outputs)[r]));
  }
  return result;
}
