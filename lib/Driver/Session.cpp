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

const SmallVector<Tensor> *RunResult::getOutputs(int64_t rank) const {
  for (const auto &[r, outs] : outputs)
    if (r == rank)
      return &outs;
  return nullptr;
}

static double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

llvm::Expected<SmallVector<Tensor>> Session::computeReference() const {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(
      model.getModule().getContext(), [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error)
          diagnostics += (diagnostics.empty() ? "" : "; ") + diag.str();
        return failure(); // and let the tool's handler print it
      });
  FailureOr<SmallVector<Tensor>> reference = evaluateStreaming(
      model.getEntry(), [&](unsigned i) { return arguments.getFull(i); });
  if (failed(reference))
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the reference evaluator failed: %s",
                                   diagnostics.c_str());
  return std::move(*reference);
}

double Session::compare(ArrayRef<Tensor> outputs,
                        ArrayRef<Tensor> reference) const {
  if (outputs.size() != reference.size())
    return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (auto [out, ref] : llvm::zip(outputs, reference)) {
    if (out.shape != ref.shape)
      return std::numeric_limits<double>::infinity();
    worst = std::max(worst, outputRelativeError(out, ref));
  }
  return worst;
}

SmallVector<Tensor> *Session::getRankArguments(int64_t rank,
                                               std::string &error) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = rankArguments.find(rank);
    if (it != rankArguments.end())
      return &it->second;
  }
  llvm::Expected<SmallVector<Tensor>> args =
      arguments.getRankArguments(program, rank);
  if (!args) {
    error = llvm::toString(args.takeError());
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex);
  return &(rankArguments[rank] = std::move(*args));
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
  bool ok = executor.run([&](rt::Communicator &comm) {
    int64_t r = comm.rank();
    std::string argumentError;
    SmallVector<Tensor> *args = getRankArguments(r, argumentError);
    if (!args)
      return comm.abort(argumentError);
    if (options.check && r == 0 && !reference) {
      llvm::Expected<SmallVector<Tensor>> ref = computeReference();
      if (!ref)
        return comm.abort(llvm::toString(ref.takeError()));
      reference = std::move(*ref);
    }
    comm.synchronize();
    if (comm.failed())
      return;

    std::string invokeError;
    FailureOr<Tensor> out = failure();
    auto once = [&]() -> bool {
      out = compiled->invoke(*args, invokeError);
      if (failed(out)) {
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

    // The slowest rank's time and profile regions.
    std::vector<float> stats(1 + regions);
    stats[0] = elapsed;
    for (size_t i = 0; i < regions && i < profile.seconds.size(); ++i)
      stats[1 + i] = profile.seconds[i];
    comm.allReduce(stats.data(), stats.data(), stats.size(),
                   rt::Reduction::Max);
    // Each rank's process's peak memory.
    float peak = getPeakResidentMiB();
    std::vector<float> peaks(devices);
    comm.allGather(&peak, peaks.data(), 1, 1, 1);

    SmallVector<Tensor> outputs{std::move(*out)};
    float worst = 0;
    if (options.check) {
      // Rank 0 sends the reference; every rank judges its own output.
      SmallVector<Tensor> ref;
      for (auto [k, shape] : llvm::enumerate(resultShapes)) {
        Tensor t = r == 0 ? (*reference)[k] : Tensor(shape);
        if (r == 0 && ArrayRef<int64_t>(t.shape) != ArrayRef<int64_t>(shape))
          return comm.abort(fmt::format(
              "the reference's output #{} has shape {}, expected {}", k,
              t.shapeString(), formatShape(shape)));
        comm.broadcast(t.data.data(), t.getNumElements(), 0);
        ref.push_back(std::move(t));
      }
      worst = compare(outputs, ref);
      comm.allReduce(&worst, &worst, 1, rt::Reduction::Max);
    }
    if (comm.failed())
      return;

    std::lock_guard<std::mutex> lock(mutex);
    result.outputs.emplace_back(r, std::move(outputs));
    if (r == executor.localRanks().front()) {
      result.msPerIteration = 1e3 * stats[0] / options.iterations;
      result.profileSeconds.assign(stats.begin() + 1, stats.end());
      // Ranks that share a process share its memory.
      if (executor.localRanks().size() == static_cast<size_t>(devices))
        result.peakMiB = {peaks[0]};
      else
        result.peakMiB.assign(peaks.begin(), peaks.end());
      if (options.check)
        result.maxError = worst;
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
  SmallVector<Tensor> expected;
  if (options.check) {
    llvm::Expected<SmallVector<Tensor>> ref = computeReference();
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
  double worst = 0;
  for (int64_t r = 0; r < devices; ++r) {
    if (options.check)
      worst = std::max(worst, compare((*outputs)[r], expected));
    result.outputs.emplace_back(r, std::move((*outputs)[r]));
  }
  if (options.check)
    result.maxError = worst;
  return result;
}
