//===- Report.cpp - what tp-run prints after a run ------------------------===//

#include "tp-mlir/Driver/Driver.h"

#include <fmt/format.h>

#include "llvm/ADT/MapVector.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tp;

namespace {
struct Stats {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  double mean = 0, l2 = 0;
  int64_t nonFinite = 0;
};

Stats summarize(const Tensor &t) {
  Stats s;
  int64_t finite = 0;
  for (float v : t.data) {
    if (!std::isfinite(v)) {
      ++s.nonFinite;
      continue;
    }
    ++finite;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    s.mean += v;
    s.l2 += double(v) * v;
  }
  if (finite)
    s.mean /= finite;
  s.l2 = std::sqrt(s.l2);
  return s;
}

/// Prints compute and communication time per layer, grouped by the layer's
/// source location (wherever its ops are), averaged over the iterations: for
/// each layer, the rank whose compute and communication together took longest.
/// (The slowest rank of each region apart would count twice the time a faster
/// rank waits in a collective for a slower one.) `ranks` holds each rank's
/// seconds per region.
void printProfile(llvm::raw_ostream &os, ArrayRef<std::string> names,
                  ArrayRef<std::vector<double>> ranks, int64_t iterations) {
  if (names.empty() || ranks.empty())
    return;
  // Per layer, in the order first met (a rewrite may put one layer's ops
  // on both sides of another's), per rank: compute and communication ms.
  llvm::MapVector<StringRef, std::vector<std::pair<double, double>>> rows;
  for (auto [id, name] : llvm::enumerate(names)) {
    auto [kind, layer] = StringRef(name).split(' ');
    auto &row = rows[layer];
    row.resize(ranks.size());
    bool comm = kind == "communication";
    for (auto [rank, regions] : llvm::enumerate(ranks)) {
      double ms = id < regions.size() ? regions[id] * 1e3 / iterations : 0.0;
      (comm ? row[rank].second : row[rank].first) += ms;
    }
  }
  os << fmt::format("  {:<40} {:>12} {:>12}\n", "layer (source)", "compute ms",
                    "comm ms");
  double totalCompute = 0, totalComm = 0;
  for (auto &[layer, ms] : rows) {
    auto slowest = llvm::max_element(ms, [](auto a, auto b) {
      return a.first + a.second < b.first + b.second;
    });
    os << fmt::format("  {:<40} {:>12.3f} {:>12.3f}\n", layer.str(),
                      slowest->first, slowest->second);
    totalCompute += slowest->first;
    totalComm += slowest->second;
  }
  os << fmt::format("  {:<40} {:>12.3f} {:>12.3f}\n", "total", totalCompute,
                    totalComm);
}
/// "[3, 7]": element `flat` of a tensor of `shape`.
std::string elementIndex(ArrayRef<int64_t> shape, int64_t flat) {
  SmallVector<int64_t> index(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::string text = "[";
  for (auto [i, v] : llvm::enumerate(index))
    text += (i ? ", " : "") + std::to_string(v);
  return text + "]";
}
} // namespace

std::string mlir::tp::describeCheck(const CheckResult &check,
                                    ArrayRef<int64_t> outputShape,
                                    int64_t devices) {
  std::string ranks = devices == 1 ? std::string("its one rank")
                                   : fmt::format("all {} ranks", devices);
  // An empty batch gives empty outputs: no element to name.
  bool empty = check.element >= 0 && llvm::is_contained(outputShape, 0);
  if (empty && check.passed())
    return fmt::format("check: passed on {}: output #{} is empty ({}), "
                       "nothing to compare",
                       ranks, check.output, formatShape(outputShape));
  std::string where =
      check.element < 0
          ? fmt::format("output #{} has the wrong shape", check.output)
          : fmt::format("output #{} {} is {:.7g}, the unpartitioned reference "
                        "{:.7g}",
                        check.output, elementIndex(outputShape, check.element),
                        check.found, check.expected);
  double error = std::fabs(double(check.found) - double(check.expected));
  std::string bound =
      fmt::format("reductions of up to {} terms at u = 2^-24, propagated "
                  "through the layers",
                  check.longestReduction);
  if (check.passed()) {
    if (check.tolerance)
      return fmt::format("check: passed on {}: max relative error {:.3g} "
                         "(tolerance {:.3g}; worst: {})",
                         ranks, check.ratio * *check.tolerance,
                         *check.tolerance, where);
    if (!std::isfinite(check.found) || !std::isfinite(check.expected))
      return fmt::format("check: passed on {}: every element is a NaN or an "
                         "infinity that the reference has too ({})",
                         ranks, where);
    // A NaN or an infinity in the arguments leaves no bound where it
    // reaches: only the reference's own value passes there.
    std::string allowed = std::isfinite(check.allowed)
                              ? fmt::format("{:.3g}", check.allowed)
                              : std::string("none (a NaN or an infinity "
                                            "reaches it: only exact)");
    return fmt::format("check: passed on {}: every element within its f32 "
                       "rounding bound, the worst at {:.1f}% of it ({}: "
                       "error {:.3g}, bound {}; {})",
                       ranks, 100 * check.ratio, where, error, allowed, bound);
  }
  if (check.element < 0)
    return fmt::format("check: FAILED on rank {}: {}", check.rank, where);
  if (check.tolerance)
    return fmt::format("check: FAILED on rank {}: {}: relative error {:.3g} "
                       "exceeds the tolerance {:.3g}",
                       check.rank, where, check.ratio * *check.tolerance,
                       *check.tolerance);
  if (std::isinf(check.ratio) &&
      (!std::isfinite(check.found) || !std::isfinite(check.expected)))
    return fmt::format("check: FAILED on rank {}: {}: a NaN or an infinity "
                       "that the reference does not have",
                       check.rank, where);
  if (std::isinf(check.ratio) && !std::isfinite(check.allowed))
    return fmt::format("check: FAILED on rank {}: {}: error {:.3g}, where a "
                       "NaN or an infinity upstream leaves no bound (only "
                       "the reference's value passes)",
                       check.rank, where, error);
  if (std::isinf(check.ratio))
    return fmt::format("check: FAILED on rank {}: {}: error {:.3g}, where "
                       "the bound is 0 (every term there is exact)",
                       check.rank, where, error);
  return fmt::format("check: FAILED on rank {}: {}: error {:.3g} is {:.3g} "
                     "times its f32 rounding bound {:.3g} ({})",
                     check.rank, where, error, check.ratio, check.allowed,
                     bound);
}

void mlir::tp::printReport(llvm::raw_ostream &os, const Model &model,
                           const PartitionedModel &program,
                           const ArgumentSource &arguments,
                           const RunResult &result,
                           ArrayRef<std::string> profileNames,
                           const ReportOptions &options) {
  FunctionOpInterface fn = model.getEntry();
  int64_t layers = model.getNumLayers();
  if (model.isShardProgram())
    os << fmt::format("model   {} (@{}), linalg with shard annotations\n",
                      model.getSourceName().str(), fn.getName().str());
  else
    os << fmt::format("model   {} (@{}), {} linear layer{}\n",
                      model.getSourceName().str(), fn.getName().str(), layers,
                      layers == 1 ? "" : "s");
  for (unsigned i = 0; i < model.getNumArguments(); ++i) {
    std::optional<StringRef> label = model.getCheckpointName(i);
    ShardAttr shard = program.getShard(i);
    std::string split = "replicated";
    if (shard) {
      SmallVector<int64_t> local(arguments.getFullShape(i));
      local[*shard.getDim()] = shard.getSizes()[0];
      split = fmt::format("split along dim {}, rank 0 holds {}",
                          *shard.getDim(), formatShape(local));
    }
    os << fmt::format("  arg #{:<2} {:<12} {:>10}  {}\n", i,
                      label ? label->str() : std::string("(input)"),
                      formatShape(arguments.getFullShape(i)), split);
  }
  bool hasWeights = false;
  for (unsigned i = 0; i < model.getNumArguments(); ++i)
    hasWeights |= model.isWeight(i);
  if (hasWeights && arguments.hasRandomWeights())
    os << "  weights: random from the seed (--weights FILE reads a "
          "checkpoint)\n";
  std::map<std::string, int64_t> converted =
      arguments.getConvertedWeightDtypes();
  if (!converted.empty()) {
    std::string list;
    for (auto &[dtype, count] : converted)
      list += fmt::format("{}{} {}", list.empty() ? "" : ", ", count, dtype);
    os << fmt::format(
        "  weights: read converted to f32 ({} tensor{})\n", list,
        converted.size() == 1 && converted.begin()->second == 1 ? "" : "s");
  }
  int64_t devices = program.getNumDevices();
  std::string how =
      model.isShardProgram()
          ? std::string("by its shard annotations")
          : fmt::format(
                "{} strategy",
                stringifyPartitionStrategy(program.getStrategy()).str());
  os << fmt::format("partitioned for {} device{} ({}) in {:.2f} ms:", devices,
                    devices == 1 ? "" : "s", how, program.getMilliseconds());
  std::map<std::string, int64_t> collectives = program.countCollectives();
  if (collectives.empty())
    os << " no collectives";
  for (auto &[name, count] : collectives)
    os << fmt::format(" {} {}", count, name);
  os << "\n";

  if (const SmallVector<Tensor> *outputs = result.getOutputs(0)) {
    for (auto [i, out] : llvm::enumerate(*outputs)) {
      Stats s = summarize(out);
      os << fmt::format("output #{} {}: ", i, out.shapeString());
      if (out.data.empty())
        os << "empty";
      else
        os << fmt::format("min {:.6g}  max {:.6g}  mean {:.6g}  l2 {:.6g}",
                          s.min, s.max, s.mean, s.l2);
      if (s.nonFinite)
        os << fmt::format("  ({} NaN or infinite)", s.nonFinite);
      os << "\n";
      if (options.printOutput) {
        int64_t cols = out.shape.empty() ? 1 : out.shape.back();
        for (size_t j = 0; j < out.data.size(); ++j)
          os << fmt::format("{:.6g}{}", out.data[j],
                            (int64_t(j + 1) % cols == 0) ? "\n" : " ");
      }
    }
  }
  if (!options.compiledLine.empty()) {
    os << options.compiledLine << "\n";
    printProfile(os, profileNames, result.profileSecondsByRank,
                 options.iterations);
  }
  os << fmt::format("ran on {} in {:.3f} ms per iteration ({} iteration{}, {} "
                    "warm-up)\n",
                    options.ranLine, result.msPerIteration, options.iterations,
                    options.iterations == 1 ? "" : "s", options.warmup);
  // What the run added: the model's tensors and the runtime's buffers.
  auto runShare = [&](size_t process, const char *format) {
    return process < result.runMiB.size()
               ? fmt::format(fmt::runtime(format), result.runMiB[process])
               : std::string();
  };
  if (result.peakMiB.size() == 1) {
    os << fmt::format(
        "peak memory: {:.1f} MiB resident (one process){}\n", result.peakMiB[0],
        runShare(0, ", {:.1f} MiB of it since placing the tensors"));
  } else if (!result.peakMiB.empty()) {
    os << "peak memory: resident per process:";
    for (auto [r, mib] : llvm::enumerate(result.peakMiB))
      os << fmt::format(" rank {} {:.1f} MiB{}{}", r, mib,
                        runShare(r, " ({:.1f} MiB of it since placing the "
                                    "tensors)"),
                        r + 1 < result.peakMiB.size() ? "," : "");
    os << "\n";
  }
  if (result.check)
    os << describeCheck(*result.check,
                        arguments.getResultShapes()[result.check->output],
                        devices)
       << "\n";
}
