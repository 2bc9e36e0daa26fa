//===- Planner.cpp - each layer's split, exact over the chain -------------===//

#include "tp-mlir/Planner/Planner.h"
#include "tp-mlir/Dialect/TP/IR/TPPackedWeights.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

#include "tp-mlir/Support/BalancedSplit.h"
#include "tp-mlir/Support/InputGuards.h"
#include "tp-mlir/Support/Limits.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tp;
using namespace mlir::tp::plan;

/// The generated matmul's cache blocks (lib/Conversion/MatmulCodegen): 256
/// panels of W (256 R outputs) by 256 steps of K.
static constexpr int64_t kBlockPanels = 256, kBlockK = 256;

/// `text` as a plan shows it, which a terminal displays: every byte but
/// printable ASCII (control characters, C1 and bidirectional controls in
/// UTF-8) as \xNN, a backslash too, so that the text is unambiguous; one
/// longer than a line is cut.
static std::string shownText(llvm::StringRef text) {
  constexpr size_t kMaxShown = 200;
  std::string shown;
  for (unsigned char c : text.take_front(kMaxShown)) {
    if (c < 0x20 || c > 0x7e || c == '\\')
      shown += fmt::format("\\x{:02x}", c);
    else
      shown += static_cast<char>(c);
  }
  if (text.size() > kMaxShown)
    shown += "...";
  return shown;
}

/// The kind whose epilogue figure stands in for `kind` in a profile
/// measured before `kind` existed (leaky_relu and the kinds after it): a
/// compare and a select or clamp costs what relu's does, an exp-based one
/// what silu's does. Any other kind stands for itself.
static ActivationKind epilogueStandIn(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::leaky_relu:
  case ActivationKind::hardtanh:
  case ActivationKind::hardsigmoid:
  case ActivationKind::hardswish:
    return ActivationKind::relu;
  case ActivationKind::elu:
  case ActivationKind::selu:
  case ActivationKind::softplus:
  case ActivationKind::mish:
    return ActivationKind::silu;
  default:
    return kind;
  }
}

/// A built-in profile's epilogue figures, one for each activation kind: a
/// kind added without its figure fails to compile instead of costing 0.
template <size_t N>
static std::array<double, kNumActivationKinds>
epilogueFigures(const double (&seconds)[N]) {
  static_assert(N == kNumActivationKinds,
                "a built-in profile needs a figure for each activation kind");
  std::array<double, kNumActivationKinds> figures{};
  std::copy(seconds, seconds + N, figures.begin());
  return figures;
}

MachineProfile MachineProfile::builtinDefault(MatmulLowering matmul) {
  // `tp-run --calibrate` on the 2-core AMD EPYC (Zen 4, AVX-512)
  // development machine, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset;
  // Debian's OpenBLAS 0.3.21; compute on both cores at once; each figure
  // the fastest of repeated runs, then the median of three calibrations.
  // docs/planner.md has the runs.
  MachineProfile p;
  // The GEMM figures of each lowering, 2026-12-04: the streaming rate of
  // 4 rows against cold w x w weights, w = 64, 256, 1024, 2048 and 4096
  // (bytes per second by W's bytes); then compute rates net of it: sgemm
  // 8x64x64, 64x256x256, 256x1024x1024, 1024x2048x2048 and 512x4096x4096;
  // 8, 32, 128 and 512 rows against 2048 x 2048; 2048 rows against w x w,
  // w = 8, 32, 128, 256 and 512.
  p.gemmStream = {{16384, 29.26e9},
                  {262144, 9.52e9},
                  {4194304, 5.56e9},
                  {16777216, 5.09e9},
                  {67108864, 5.03e9}};
  p.gemmBytesPerSecond = 5.03e9;
  // A single row against the same weights (2026-12-04, one calibration of
  // three rounds): sgemv, several times the packed GEMMs' streaming.
  p.gemmSingleRow = {{16384, 27.31e9},
                     {262144, 11.69e9},
                     {4194304, 14.36e9},
                     {16777216, 16.91e9},
                     {67108864, 17.27e9}};
  p.gemm = {{65536, 155.7e9},
            {8388608, 103.3e9},
            {536870912, 104.2e9},
            {8589934592, 100.7e9},
            {17179869184, 102.4e9}};
  p.gemmRows = {{8, 185.0e9}, {32, 117.1e9}, {128, 107.0e9}, {512, 101.2e9}};
  p.gemmWidth = {{8, 32.1e9},
                 {32, 90.0e9},
                 {128, 102.9e9},
                 {256, 100.8e9},
                 {512, 102.1e9}};
  // By ActivationKind: identity, relu, gelu, gelu_tanh, sigmoid, tanh,
  // silu (2026-12-03), then leaky_relu, elu, selu, softplus, mish,
  // hardtanh, hardsigmoid, hardswish (2026-12-06); vectorized, with tanh,
  // erf, exp, expm1 and log1p as polynomial approximations; each the
  // median of three calibrations.
  p.epilogueSecondsPerElement = epilogueFigures(
      {0.36e-9, 0.25e-9, 1.43e-9, 0.75e-9, 0.69e-9, 0.63e-9, 0.73e-9, 0.28e-9,
       3.12e-9, 3.13e-9, 3.10e-9, 4.41e-9, 0.40e-9, 0.58e-9, 0.34e-9});
  // The collectives, 2026-12-03, the median of three calibrations.
  p.collectiveLatency = 0.3e-6;
  p.collectiveBytesPerSecond = 6.11e9;
  // Each collective's bandwidth at 64 KiB, 256 KiB, 1, 4, 16 and 64 MiB
  // (2026-12-03, the median of three calibrations): small tensors move
  // through the caches at two to three times the rate of large ones.
  auto sized = [](std::array<double, 6> gigabytes) {
    std::vector<RatePoint> points;
    double bytes = 64 << 10;
    for (double g : gigabytes) {
      points.push_back({bytes, g * 1e9});
      bytes *= 4;
    }
    return points;
  };
  p.collectiveBandwidth = {
      sized({16.78, 16.16, 13.43, 6.39, 5.68, 5.92}),   // all_gather
      sized({14.64, 14.57, 16.14, 10.60, 6.09, 5.52}),  // all_reduce
      sized({19.48, 16.98, 17.24, 17.05, 5.12, 4.32}),  // reduce_scatter
      sized({12.31, 14.01, 13.38, 13.14, 2.87, 2.00})}; // all_to_all
  p.source = "built-in profile of the 2-core development machine";
  p.matmul = matmul;
  // The other lowerings time their GEMMs in compiled code, a one-layer
  // model per shape: `tp-run --calibrate FILE --matmul codegen` and
  // `--matmul auto` on the same machine (the GEMMs as above; the
  // epilogues 2026-12-03, from one calibration, measured against the bare
  // layer). The collectives are the same code whatever the lowering: their
  // figures above stand.
  if (matmul == MatmulLowering::codegen) {
    // Its packing and 16-lane padding cost the small and narrow GEMMs: a
    // call on 64 x 64 weights takes 4 us, width 8 runs at a third of
    // sgemm's rate.
    p.gemmStream = {{16384, 4.00e9},
                    {262144, 5.76e9},
                    {4194304, 6.69e9},
                    {16777216, 5.87e9},
                    {67108864, 5.01e9}};
    p.gemmBytesPerSecond = 5.01e9;
    // A single row, padded to a register tile, with W packed.
    p.gemmSingleRow = {{16384, 4.34e9},
                       {262144, 5.01e9},
                       {4194304, 6.36e9},
                       {16777216, 5.67e9},
                       {67108864, 4.82e9}};
    p.gemm = {{65536, 176.4e9},
              {8388608, 141.4e9},
              {536870912, 115.6e9},
              {8589934592, 102.2e9},
              {17179869184, 100.6e9}};
    p.gemmRows = {{8, 229.7e9}, {32, 256.5e9}, {128, 121.3e9}, {512, 103.8e9}};
    p.gemmWidth = {{8, 10.96e9},
                   {32, 36.9e9},
                   {128, 94.7e9},
                   {256, 97.1e9},
                   {512, 92.5e9}};
    p.epilogueSecondsPerElement = epilogueFigures(
        {0.31e-9, 0.28e-9, 0.79e-9, 0.25e-9, 0.86e-9, 0.27e-9, 0.28e-9, 0.30e-9,
         2.85e-9, 3.22e-9, 2.57e-9, 4.26e-9, 0.18e-9, 0.37e-9, 0.38e-9});
    p.source = "built-in profile of the 2-core development machine, "
               "generated matmuls";
  } else if (matmul == MatmulLowering::automatic) {
    // sgemm below 256 features, the generated matmul from there.
    p.gemmStream = {{16384, 18.81e9},
                    {262144, 5.77e9},
                    {4194304, 6.84e9},
                    {16777216, 6.22e9},
                    {67108864, 4.96e9}};
    p.gemmBytesPerSecond = 4.96e9;
    // A single row: sgemv, called from compiled code.
    p.gemmSingleRow = {{16384, 10.56e9},
                       {262144, 9.57e9},
                       {4194304, 13.84e9},
                       {16777216, 15.99e9},
                       {67108864, 17.66e9}};
    // The two largest (1024 x 2048 x 2048 and 512 x 4096 x 4096) are left
    // to sgemm for their results' size (kAutoCodegenMaxOutputs):
    // 2026-12-05, the median of three rounds.
    p.gemm = {{65536, 192.2e9},
              {8388608, 142.4e9},
              {536870912, 115.7e9},
              {8589934592, 102.7e9},
              {17179869184, 104.7e9}};
    p.gemmRows = {{8, 246.2e9}, {32, 199.0e9}, {128, 119.2e9}, {512, 103.2e9}};
    p.gemmWidth = {{8, 29.8e9},
                   {32, 85.8e9},
                   {128, 101.9e9},
                   {256, 94.6e9},
                   {512, 93.5e9}};
    p.epilogueSecondsPerElement = epilogueFigures(
        {0.10e-9, 0.32e-9, 1.47e-9, 0.54e-9, 0.41e-9, 0.34e-9, 0.79e-9, 0.15e-9,
         2.90e-9, 3.02e-9, 3.01e-9, 4.26e-9, 0.21e-9, 0.18e-9, 0.23e-9});
    p.source = "built-in profile of the 2-core development machine, auto "
               "matmuls";
  }
  // The generated matmul's passes over slices of y that the 32 MiB L3 no
  // longer holds: 2048x4096x2048 against 512x16384x2048 on both cores,
  // `tp-run --calibrate --matmul auto` (2026-12-05, the median of three
  // rounds: 99, 154 and 154 GB/s, the spilling GEMM no slower than the
  // other). Measured at 7.1-12.3 GB/s while glibc still mapped and
  // unmapped the 32 MiB results on every call (tp_rt_retain_freed_memory
  // keeps them now): the faults were most of that cost. Both lowerings
  // that generate it share the figure.
  if (matmul != MatmulLowering::blas)
    p.outputBlocks = OutputBlocks{32.0 * (1 << 20), 16, 153.5e9};
  // OpenBLAS 0.3.21 on the development machine (its Cooperlake kernels):
  // `tp-run --calibrate` measured 320 steps of K and 640 panel rows
  // (2026-12-05), as its own sgemm calls grew the resident memory.
  if (matmul != MatmulLowering::codegen)
    p.blasWorkspace = BLASWorkspace{320, 640};
  return p;
}

uint64_t MachineProfile::blasWorkspaceBytes(int64_t m, int64_t n,
                                            int64_t k) const {
  if (!blasWorkspace || m <= 1 || n <= 0 || k <= 0)
    return 0;
  uint64_t depth = uint64_t(std::min(k, blasWorkspace->depth));
  return 4 * depth * uint64_t(m + std::min(n, blasWorkspace->panel));
}

double MachineProfile::interpolate(const std::vector<RatePoint> &points,
                                   double x) {
  if (x <= points.front().at)
    return points.front().rate;
  for (size_t i = 0; i + 1 < points.size(); ++i) {
    const RatePoint &a = points[i], &b = points[i + 1];
    if (x > b.at)
      continue;
    double t = std::log(x / a.at) / std::log(b.at / a.at);
    return a.rate + t * (b.rate - a.rate);
  }
  return points.back().rate;
}

llvm::StringRef mlir::tp::plan::stringifyCollectiveKind(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::allGather:
    return "all_gather";
  case CollectiveKind::allReduce:
    return "all_reduce";
  case CollectiveKind::reduceScatter:
    return "reduce_scatter";
  case CollectiveKind::allToAll:
    return "all_to_all";
  }
  return "";
}

std::optional<CollectiveKind>
mlir::tp::plan::symbolizeCollectiveKind(llvm::StringRef name) {
  for (size_t k = 0; k < kNumCollectiveKinds; ++k)
    if (stringifyCollectiveKind(CollectiveKind(k)) == name)
      return CollectiveKind(k);
  return std::nullopt;
}

namespace {
/// The latencies and the share of the tensor's bytes that `kind` moves
/// over d ranks (see collectiveSeconds).
std::pair<double, double> collectiveTerms(CollectiveKind kind, int64_t d) {
  double steps = static_cast<double>(d - 1);
  switch (kind) {
  case CollectiveKind::allGather:
  case CollectiveKind::reduceScatter:
    return {steps, steps / d};
  case CollectiveKind::allToAll:
    return {steps, steps / d / d};
  case CollectiveKind::allReduce:
    return {2 * steps, 2 * steps / d};
  }
  return {0, 0};
}
} // namespace

double MachineProfile::collectiveSeconds(CollectiveKind kind, double bytes,
                                         int64_t d) const {
  if (d <= 1)
    return 0;
  auto [steps, share] = collectiveTerms(kind, d);
  const std::vector<RatePoint> &points =
      collectiveBandwidth[static_cast<size_t>(kind)];
  double bandwidth =
      points.empty() ? collectiveBytesPerSecond : interpolate(points, bytes);
  return steps * collectiveLatency + share * bytes / bandwidth;
}

double MachineProfile::impliedBandwidth(CollectiveKind kind, double bytes,
                                        int64_t d, double seconds,
                                        double latency) {
  auto [steps, share] = collectiveTerms(kind, d);
  // A call faster than its latencies says little of its bandwidth: it is
  // read as no faster than a tenth of the call.
  return share * bytes / std::max(seconds - steps * latency, 0.1 * seconds);
}

double MachineProfile::streamSeconds(int64_t m, int64_t n, int64_t k) const {
  if (m <= 0 || n <= 0 || k <= 0)
    return 0;
  double bytes = 4.0 * double(n) * k;
  double rate =
      gemmStream.empty() ? gemmBytesPerSecond : interpolate(gemmStream, bytes);
  return bytes / rate;
}

double MachineProfile::computeRate(int64_t m, int64_t n, int64_t k,
                                   double seconds) const {
  double flops = 2.0 * m * n * k;
  return flops / std::max(seconds - streamSeconds(m, n, k), 0.1 * seconds);
}

double MachineProfile::outputTrafficSeconds(int64_t m, int64_t n, int64_t k,
                                            int64_t ranks) const {
  if (!outputBlocks || m <= 0 || n <= 0 || k <= 0 || ranks <= 0)
    return 0;
  const OutputBlocks &o = *outputBlocks;
  double slice = 4.0 * double(m) *
                 std::min(double(n), double(kBlockPanels *
                                            matmulRegisterTile(o.lanes).cols));
  double half = o.cacheBytes / 2;
  double share = std::clamp((double(ranks) * slice - half) / half, 0.0, 1.0);
  double passes = std::ceil(double(k) / kBlockK);
  return share * 8.0 * double(m) * double(n) * passes / o.bytesPerSecond;
}

double MachineProfile::gemmSeconds(int64_t m, int64_t n, int64_t k) const {
  if (m <= 0 || n <= 0 || k <= 0)
    return 0;
  if (m == 1 && !gemmSingleRow.empty()) {
    double bytes = 4.0 * double(n) * k;
    return bytes / interpolate(gemmSingleRow, bytes);
  }
  double flops = 2.0 * m * n * k;
  double rate = interpolate(gemm, flops);
  double rowsRate = interpolate(gemmRows, double(m));
  // Only a width below the widest point is narrow; beyond it the width
  // does not bound the rate (a noisy point would otherwise price every
  // wide layer).
  double width = double(std::min(n, k));
  double widthRate = !gemmWidth.empty() && width < gemmWidth.back().at
                         ? interpolate(gemmWidth, width)
                         : rate;
  // Below the narrowest point the rate falls with the width: the register
  // tile's lanes go unused and the time is reading the wider operand, so
  // a layer of 4 out-features costs what one of the narrowest point's
  // does (a row split of it saves nothing; a batch split halves it).
  if (!gemmWidth.empty() && width < gemmWidth.front().at)
    widthRate *= width / gemmWidth.front().at;
  return flops / std::min({rate, rowsRate, widthRate}) + streamSeconds(m, n, k);
}

llvm::Expected<MachineProfile> MachineProfile::fromJSON(llvm::StringRef text) {
  auto fail = [](const std::string &what) {
    return llvm::createStringError(std::errc::invalid_argument,
                                   "machine profile: %s", what.c_str());
  };
  // LLVM's JSON parser recurses once per level of nesting.
  if (std::string deep = checkNestingDepth(text, "profiles nest a few");
      !deep.empty())
    return fail(deep);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return fail("malformed JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fail("not a JSON object");
  // The parser keeps the last of repeated keys, and would skip a misspelt
  // one: both would plan by figures other than the file's.
  if (auto repeated = findRepeatedJSONKey(text))
    return fail("the key '" + repeated->first + "' appears twice in " +
                (repeated->second.empty() ? std::string("the profile")
                                          : "'" + repeated->second + "'"));
  auto unknownKey =
      [&](const llvm::json::Object &object, llvm::StringRef where,
          llvm::ArrayRef<llvm::StringRef> known) -> std::optional<std::string> {
    for (const auto &entry : object)
      if (!llvm::is_contained(known, llvm::StringRef(entry.first)))
        return "unknown key '" + entry.first.str() + "' in " + where.str() +
               " (known keys: " + llvm::join(known, ", ") + ")";
    return std::nullopt;
  };
  if (auto bad = unknownKey(
          *root, "the profile",
          {"source", "matmul", "gemm", "gemm_rows", "gemm_width", "gemm_stream",
           "gemm_single_row", "gemm_bytes_per_second",
           "epilogue_seconds_per_element", "row_op_seconds_per_element",
           "collective_latency_seconds", "collective_bytes_per_second",
           "collective_bandwidth", "output_blocks", "blas_workspace"}))
    return fail(*bad);
  MachineProfile p;
  // Every figure is a measurement: positive, and far from the ends of the
  // double range, so that the costs built from it stay finite (a rate of
  // 1e-320 or a latency of 1e308 would make every plan infinite or NaN).
  auto inRange = [](std::optional<double> v) {
    return v && *v >= 1e-30 && *v <= 1e30;
  };
  auto positive = [&](llvm::StringRef key, double &out) -> llvm::Error {
    std::optional<double> v = root->getNumber(key);
    if (!inRange(v))
      return fail("'" + key.str() +
                  "' must be a positive number between 1e-30 and 1e30");
    out = *v;
    return llvm::Error::success();
  };
  // A profile from before the figure was measured prices row-wise ops at
  // the built-in one.
  if (root->get("row_op_seconds_per_element"))
    if (llvm::Error e =
            positive("row_op_seconds_per_element", p.rowOpSecondsPerElement))
      return std::move(e);
  const llvm::json::Object *epilogue =
      root->getObject("epilogue_seconds_per_element");
  if (!epilogue)
    return fail("'epilogue_seconds_per_element' must be an object with a "
                "positive number for each activation");
  SmallVector<llvm::StringRef> activations;
  for (size_t k = 0; k < kNumActivationKinds; ++k)
    activations.push_back(stringifyActivationKind(ActivationKind(k)));
  if (auto bad =
          unknownKey(*epilogue, "'epilogue_seconds_per_element'", activations))
    return fail(*bad);
  for (size_t k = 0; k < kNumActivationKinds; ++k) {
    llvm::StringRef name = stringifyActivationKind(ActivationKind(k));
    ActivationKind standIn = epilogueStandIn(ActivationKind(k));
    if (standIn != ActivationKind(k) && !epilogue->get(name)) {
      p.epilogueSecondsPerElement[k] =
          p.epilogueSecondsPerElement[static_cast<size_t>(standIn)];
      continue;
    }
    std::optional<double> v = epilogue->getNumber(name);
    if (!inRange(v))
      return fail("'epilogue_seconds_per_element' needs a positive number "
                  "between 1e-30 and 1e30 for '" +
                  name.str() + "'");
    p.epilogueSecondsPerElement[k] = *v;
  }
  if (auto e = positive("gemm_bytes_per_second", p.gemmBytesPerSecond))
    return std::move(e);
  if (auto e = positive("collective_latency_seconds", p.collectiveLatency))
    return std::move(e);
  if (auto e =
          positive("collective_bytes_per_second", p.collectiveBytesPerSecond))
    return std::move(e);
  // A list of {<at>, <rate>} measured points, `at` increasing, under `key`
  // of `object` (`where` names it in errors).
  auto points = [&](const llvm::json::Object &object, llvm::StringRef key,
                    llvm::StringRef where, llvm::StringRef atKey,
                    llvm::StringRef rateKey,
                    std::vector<RatePoint> &out) -> llvm::Error {
    const llvm::json::Array *list = object.getArray(key);
    if (!list || list->empty())
      return fail("'" + where.str() + "' must be a non-empty list of {" +
                  atKey.str() + ", " + rateKey.str() + "}");
    double last = 0;
    for (const llvm::json::Value &entry : *list) {
      const llvm::json::Object *c = entry.getAsObject();
      if (c)
        if (auto bad = unknownKey(*c, "a '" + where.str() + "' point",
                                  {atKey, rateKey}))
          return fail(*bad);
      std::optional<double> rate = c ? c->getNumber(rateKey) : std::nullopt;
      std::optional<double> at = c ? c->getNumber(atKey) : std::nullopt;
      if (!inRange(rate) || !inRange(at))
        return fail("each '" + where.str() + "' point needs a positive '" +
                    atKey.str() + "' and '" + rateKey.str() +
                    "' between 1e-30 and 1e30");
      if (!(*at > last))
        return fail("'" + where.str() + "' points must have increasing '" +
                    atKey.str() + "'");
      last = *at;
      out.push_back({*at, *rate});
    }
    return llvm::Error::success();
  };
  if (auto e =
          points(*root, "gemm", "gemm", "flops", "flops_per_second", p.gemm))
    return std::move(e);
  if (auto e = points(*root, "gemm_rows", "gemm_rows", "rows",
                      "flops_per_second", p.gemmRows))
    return std::move(e);
  // Optional: the rate by width.
  if (root->get("gemm_width"))
    if (auto e = points(*root, "gemm_width", "gemm_width", "width",
                        "flops_per_second", p.gemmWidth))
      return std::move(e);
  // Optional: the streaming rate by W's bytes.
  if (root->get("gemm_stream"))
    if (auto e = points(*root, "gemm_stream", "gemm_stream", "bytes",
                        "bytes_per_second", p.gemmStream))
      return std::move(e);
  // Optional: a single row's rate by W's bytes.
  if (root->get("gemm_single_row"))
    if (auto e = points(*root, "gemm_single_row", "gemm_single_row", "bytes",
                        "bytes_per_second", p.gemmSingleRow))
      return std::move(e);
  // Optional: each collective's bandwidth by size.
  if (const llvm::json::Value *value = root->get("collective_bandwidth")) {
    const llvm::json::Object *by = value->getAsObject();
    if (!by)
      return fail("'collective_bandwidth' must be an object of lists by "
                  "collective");
    for (const auto &entry : *by)
      if (!symbolizeCollectiveKind(entry.first))
        return fail("'collective_bandwidth' has an unknown collective '" +
                    entry.first.str() +
                    "' (all_gather, all_reduce, reduce_scatter or "
                    "all_to_all)");
    for (size_t k = 0; k < kNumCollectiveKinds; ++k) {
      llvm::StringRef name = stringifyCollectiveKind(CollectiveKind(k));
      if (!by->get(name))
        continue;
      if (auto e =
              points(*by, name, "collective_bandwidth." + name.str(), "bytes",
                     "bytes_per_second", p.collectiveBandwidth[k]))
        return std::move(e);
    }
  }
  if (const llvm::json::Value *value = root->get("output_blocks")) {
    const llvm::json::Object *o = value->getAsObject();
    if (!o)
      return fail("'output_blocks' must be an object with 'cache_bytes', "
                  "'lanes' and 'bytes_per_second'");
    if (auto bad = unknownKey(*o, "'output_blocks'",
                              {"cache_bytes", "lanes", "bytes_per_second"}))
      return fail(*bad);
    std::optional<double> cache = o->getNumber("cache_bytes");
    std::optional<int64_t> lanes = o->getInteger("lanes");
    std::optional<double> rate = o->getNumber("bytes_per_second");
    if (!inRange(cache))
      return fail("'output_blocks.cache_bytes' must be a positive number "
                  "between 1e-30 and 1e30");
    if (!lanes || (*lanes != 4 && *lanes != 8 && *lanes != 16))
      return fail("'output_blocks.lanes' must be 4, 8 or 16 (the generated "
                  "matmul's register tile)");
    if (!inRange(rate))
      return fail("'output_blocks.bytes_per_second' must be a positive "
                  "number between 1e-30 and 1e30");
    p.outputBlocks = OutputBlocks{*cache, *lanes, *rate};
  }
  if (const llvm::json::Value *value = root->get("blas_workspace")) {
    const llvm::json::Object *o = value->getAsObject();
    if (o)
      if (auto bad = unknownKey(*o, "'blas_workspace'", {"depth", "panel"}))
        return fail(*bad);
    std::optional<int64_t> depth = o ? o->getInteger("depth") : std::nullopt;
    std::optional<int64_t> panel = o ? o->getInteger("panel") : std::nullopt;
    auto positive = [](std::optional<int64_t> v) {
      return v && *v > 0 && *v <= (int64_t(1) << 30);
    };
    if (!positive(depth) || !positive(panel))
      return fail("'blas_workspace' must be an object with 'depth' and "
                  "'panel', integers from 1 to 2^30 (the steps of K and the "
                  "rows of W that sgemm packs at a time)");
    p.blasWorkspace = BLASWorkspace{*depth, *panel};
  }
  if (const llvm::json::Value *value = root->get("matmul")) {
    std::optional<llvm::StringRef> name = value->getAsString();
    std::optional<MatmulLowering> matmul =
        name ? symbolizeMatmulLowering(*name) : std::nullopt;
    if (!matmul)
      return fail("'matmul' must be \"auto\", \"codegen\" or \"blas\" (the "
                  "lowering whose GEMMs the profile times)");
    p.matmul = *matmul;
  }
  if (const llvm::json::Value *value = root->get("source")) {
    std::optional<llvm::StringRef> source = value->getAsString();
    if (!source)
      return fail("'source' must be a string (where the profile's figures "
                  "come from)");
    p.source = shownText(*source); // in every plan's header
  } else {
    p.source = "a calibrated profile";
  }
  // Calibrations written before profiles recorded their lowering timed
  // sgemm.
  if (!p.matmul &&
      llvm::StringRef(p.source).starts_with("calibrated by tp-run --calibrate"))
    p.matmul = MatmulLowering::blas;
  return p;
}

std::string MachineProfile::toJSON() const {
  auto points = [](const std::vector<RatePoint> &list, llvm::StringRef atKey,
                   llvm::StringRef rateKey = "flops_per_second") {
    llvm::json::Array out;
    for (const RatePoint &c : list) {
      llvm::json::Object o;
      o[atKey] = c.at;
      o[rateKey] = c.rate;
      out.push_back(std::move(o));
    }
    return out;
  };
  llvm::json::Object root{
      {"source", source},
      {"gemm", points(gemm, "flops")},
      {"gemm_rows", points(gemmRows, "rows")},
      {"gemm_bytes_per_second", gemmBytesPerSecond},
      {"epilogue_seconds_per_element",
       [&] {
         llvm::json::Object o;
         for (size_t k = 0; k < kNumActivationKinds; ++k)
           o[stringifyActivationKind(ActivationKind(k))] =
               epilogueSecondsPerElement[k];
         return o;
       }()},
      {"row_op_seconds_per_element", rowOpSecondsPerElement},
      {"collective_latency_seconds", collectiveLatency},
      {"collective_bytes_per_second", collectiveBytesPerSecond}};
  if (matmul)
    root["matmul"] = stringifyMatmulLowering(*matmul);
  if (!gemmWidth.empty())
    root["gemm_width"] = points(gemmWidth, "width");
  if (!gemmStream.empty())
    root["gemm_stream"] = points(gemmStream, "bytes", "bytes_per_second");
  if (!gemmSingleRow.empty())
    root["gemm_single_row"] =
        points(gemmSingleRow, "bytes", "bytes_per_second");
  if (outputBlocks)
    root["output_blocks"] =
        llvm::json::Object{{"cache_bytes", outputBlocks->cacheBytes},
                           {"lanes", outputBlocks->lanes},
                           {"bytes_per_second", outputBlocks->bytesPerSecond}};
  if (blasWorkspace)
    root["blas_workspace"] = llvm::json::Object{
        {"depth", blasWorkspace->depth}, {"panel", blasWorkspace->panel}};
  llvm::json::Object bandwidth;
  for (size_t k = 0; k < kNumCollectiveKinds; ++k)
    if (!collectiveBandwidth[k].empty())
      bandwidth[stringifyCollectiveKind(CollectiveKind(k))] =
          points(collectiveBandwidth[k], "bytes", "bytes_per_second");
  if (!bandwidth.empty())
    root["collective_bandwidth"] = std::move(bandwidth);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return text;
}

namespace {
enum class Layout { Replicated, FeatureSplit, PartialSum, BatchSplit };
constexpr int kLayouts = 4;

/// The slowest rank's share of `n` over `d`.
int64_t largestShard(int64_t n, int64_t d) { return getShardSize(n, d, 0); }

/// The time of collective `op` ("" for none) on a tensor of `bytes` (the
/// full result).
double collectiveSeconds(const MachineProfile &p, llvm::StringRef op,
                         double bytes, int64_t d) {
  std::optional<CollectiveKind> kind = symbolizeCollectiveKind(op);
  return kind ? p.collectiveSeconds(*kind, bytes, d) : 0;
}

/// Layer l's bias, activation and any separate activations after it, on
/// `elements` outputs.
double epilogueSeconds(const MachineProfile &p, const Layer &l,
                       double elements) {
  double seconds = p.epilogueSeconds(l.activation, elements);
  for (ActivationKind k : l.separate)
    seconds += p.epilogueSeconds(k, elements);
  return seconds;
}

/// The collective that takes `from` to what `next` needs ("" for none):
/// next is a choice, or nullopt for the end of the chain.
llvm::StringRef resolve(Layout from, std::optional<ShardingKind> next) {
  bool column = next && *next == ShardingKind::column;
  bool batch = next && *next == ShardingKind::batch;
  switch (from) {
  case Layout::Replicated:
    return ""; // all_slice for a column or batch layer is free
  case Layout::FeatureSplit:
    return column ? "" : batch ? "all_to_all" : "all_gather";
  case Layout::PartialSum:
    return column || batch ? "reduce_scatter" : "all_reduce";
  case Layout::BatchSplit:
    return batch ? "" : column ? "all_to_all" : "all_gather";
  }
  return "";
}

Layout layoutAfter(ShardingKind choice) {
  switch (choice) {
  case ShardingKind::row:
    return Layout::FeatureSplit;
  case ShardingKind::column:
    return Layout::PartialSum;
  case ShardingKind::replicated:
    return Layout::Replicated;
  case ShardingKind::batch:
    return Layout::BatchSplit;
  }
  return Layout::Replicated;
}

/// The largest rank's local GEMM y[m x n] = x[m x k] W[n x k]^T of layer i
/// under `choice`.
struct LocalGemm {
  int64_t m, n, k;
};
LocalGemm localGemm(const Chain &c, size_t i, ShardingKind choice) {
  const Layer &l = c.layers[i];
  int64_t d = c.devices;
  LocalGemm g{c.batch, l.out, l.in};
  if (choice == ShardingKind::row)
    g.n = largestShard(g.n, d);
  if (choice == ShardingKind::column)
    g.k = largestShard(g.k, d);
  if (choice == ShardingKind::batch)
    g.m = largestShard(g.m, d);
  return g;
}

/// Whether the generated matmul computes layer i's local GEMM under
/// `choice`: always with codegen; with auto unless its in- or out-features
/// per device are known (an even split, or none) and below
/// kAutoCodegenMinFeatures, it has a single row (sgemv), or its
/// out-features are known and its result, times the devices, has
/// kAutoCodegenMaxOutputs elements or more, as tp-tile-matmuls decides.
bool generatesMatmul(const Chain &c, size_t i, ShardingKind choice) {
  if (c.matmul == MatmulLowering::codegen)
    return true;
  LocalGemm g = localGemm(c, i, choice);
  if (c.matmul != MatmulLowering::automatic || g.m == 1)
    return false;
  const Layer &l = c.layers[i];
  auto known = [&](int64_t features, bool split) {
    return !split || features % c.devices == 0;
  };
  auto small = [&](int64_t features, bool split) {
    return known(features, split) &&
           features / (split ? c.devices : 1) < kAutoCodegenMinFeatures;
  };
  // A batch split's ranks test their own rows: the generated matmul (and
  // its scratch, which the memory model bounds) runs while the smallest
  // shard stays under the line.
  bool rowSplit = choice == ShardingKind::row;
  int64_t rows = choice == ShardingKind::batch ? c.batch / c.devices : g.m;
  if (known(l.out, rowSplit) &&
      double(c.devices) * double(rows) * double(g.n) >=
          double(kAutoCodegenMaxOutputs))
    return false;
  return !small(l.out, rowSplit) &&
         !small(l.in, choice == ShardingKind::column);
}

/// Layer i's local compute under `choice`, without the bias and activation
/// of a column layer, which come after its reduction.
double computeSeconds(const Chain &c, const MachineProfile &p, size_t i,
                      ShardingKind choice) {
  const Layer &l = c.layers[i];
  auto [m, n, k] = localGemm(c, i, choice);
  int64_t d = c.devices;
  double seconds = p.gemmSeconds(m, n, k);
  if (generatesMatmul(c, i, choice))
    seconds += p.outputTrafficSeconds(m, n, k, d);
  if (choice != ShardingKind::column)
    seconds += epilogueSeconds(p, l, double(m) * n);
  return seconds;
}

/// The bias and activation of column layer i, after a reduction that
/// leaves all its outputs (all_reduce) or 1/D of them (reduce_scatter along
/// the features for a column layer next, along the batch for a batch one).
double deferredSeconds(const Chain &c, const MachineProfile &p, size_t i,
                       llvm::StringRef collective,
                       std::optional<ShardingKind> next) {
  const Layer &l = c.layers[i];
  double elements = double(c.batch) * l.out;
  if (collective == "reduce_scatter")
    elements = next == ShardingKind::batch
                   ? double(largestShard(c.batch, c.devices)) * l.out
                   : double(c.batch) * largestShard(l.out, c.devices);
  return epilogueSeconds(p, l, elements);
}

uint64_t weightBytes(const Chain &c, size_t i, ShardingKind choice) {
  const Layer &l = c.layers[i];
  int64_t d = c.devices;
  uint64_t w = 0, b = 0;
  switch (choice) {
  case ShardingKind::row:
    w = uint64_t(largestShard(l.out, d)) * l.in;
    b = l.bias ? largestShard(l.out, d) : 0;
    break;
  case ShardingKind::column:
    w = uint64_t(l.out) * largestShard(l.in, d);
    b = l.bias ? l.out : 0;
    break;
  case ShardingKind::replicated:
  case ShardingKind::batch:
    w = uint64_t(l.out) * l.in;
    b = l.bias ? l.out : 0;
    break;
  }
  // A generated matmul's weight may be packed ahead, its output features
  // padded to the register tile's 16 columns (an upper bound at 4 lanes).
  if (generatesMatmul(c, i, choice)) {
    uint64_t out = choice == ShardingKind::row
                       ? uint64_t(largestShard(l.out, d))
                       : uint64_t(l.out);
    w = w / std::max<uint64_t>(out, 1) * ((out + 15) / 16 * 16);
  }
  return 4 * (w + b);
}

/// Bytes of layer i's local output under `choice`.
uint64_t localOutBytes(const Chain &c, size_t i, ShardingKind choice) {
  const Layer &l = c.layers[i];
  int64_t b = c.batch, d = c.devices;
  switch (choice) {
  case ShardingKind::row:
    return 4 * uint64_t(b) * largestShard(l.out, d);
  case ShardingKind::batch:
    return 4 * uint64_t(largestShard(b, d)) * l.out;
  case ShardingKind::column:
  case ShardingKind::replicated:
    return 4 * uint64_t(b) * l.out;
  }
  return 0;
}

/// Bytes of the result of collective `op` after layer i (0 for none).
uint64_t collectiveResultBytes(const Chain &c, size_t i, llvm::StringRef op,
                               std::optional<ShardingKind> next) {
  const Layer &l = c.layers[i];
  int64_t b = c.batch, d = c.devices;
  if (op.empty())
    return 0;
  if (op == "reduce_scatter" || op == "all_to_all")
    return next == ShardingKind::batch
               ? 4 * uint64_t(largestShard(b, d)) * l.out
               : 4 * uint64_t(b) * largestShard(l.out, d);
  return 4 * uint64_t(b) * l.out; // all_gather, all_reduce
}

/// The model's input, which the caller holds for the whole run.
uint64_t inputBytes(const Chain &c) {
  return 4 * uint64_t(c.batch) * c.layers.front().in;
}

/// Bytes a generated matmul allocates for layer i's GEMM under `choice`,
/// beyond its operands and result (lib/Conversion/MatmulCodegen): the
/// packed result, rows and outputs padded to the register tile (outputs
/// to 16, the widest tile's: an upper bound at 4 lanes), with, at first, a
/// block of packed x
/// (up to 256 steps of K) and of packed W (up to 256 panels by 256 steps),
/// then the transposed copy the unpack goes through; and the contiguous
/// copy of a column layer's slice of x, or a batch layer's (taken whatever
/// its input's layout: a bound). 0 when BLAS computes the GEMM.
uint64_t matmulScratchBytes(const Chain &c, size_t i, ShardingKind choice) {
  if (!generatesMatmul(c, i, choice))
    return 0;
  auto [m, n, k] = localGemm(c, i, choice);
  int64_t d = c.devices;
  constexpr uint64_t lanes = 16, blockK = kBlockK, blockPanels = kBlockPanels;
  auto padded = [](uint64_t x, uint64_t to) { return (x + to - 1) / to * to; };
  // Rows pad to the panels of the AVX-512 tile or the AVX2 one: the larger.
  uint64_t rows = std::max(padded(m, matmulRegisterTile(16).rows),
                           padded(m, matmulRegisterTile(8).rows));
  uint64_t result = 4 * rows * padded(n, lanes);
  uint64_t kBlock = std::min<uint64_t>(k, blockK);
  uint64_t packs =
      4 * kBlock *
      (rows + std::min<uint64_t>(padded(n, lanes), blockPanels * lanes));
  uint64_t slice = 0;
  if (d > 1 &&
      (choice == ShardingKind::column || choice == ShardingKind::batch))
    slice = 4 * uint64_t(m) * k;
  return slice + std::max(result + packs, 2 * result);
}

/// The BLAS packing buffer that layer i's sgemm touches under `choice` (0
/// when the generated matmul computes it).
uint64_t workspaceBytes(const Chain &c, const MachineProfile &p, size_t i,
                        ShardingKind choice) {
  if (generatesMatmul(c, i, choice))
    return 0;
  auto [m, n, k] = localGemm(c, i, choice);
  return p.blasWorkspaceBytes(m, n, k);
}

/// Adds to `cost` the collective after layer i (resolving `from`, the
/// layout `choice` leaves, for `next`), a column layer's deferred bias and
/// activation, and the activations live while the layer runs: its input
/// (`inBytes`, 0 for the model's input), its local output, and the larger
/// of a generated matmul's scratch (freed when it returns) and the
/// collective's result with a row-wise op's output. Returns the bytes of
/// the next layer's input.
uint64_t addTransition(const Chain &c, const MachineProfile &p, size_t i,
                       ShardingKind choice, std::optional<ShardingKind> next,
                       uint64_t inBytes, LayerCost &cost) {
  Layout from = layoutAfter(choice);
  // A row-wise op after the layer needs whole rows: a split of the batch
  // has them (tp-optimize-collectives moves the op across the batch's
  // gathers and slices); a split of the features, or partial sums, that a
  // column layer would keep split are made whole first, as at the end.
  if (c.layers[i].wholeOutput() && next && *next == ShardingKind::column &&
      (from == Layout::FeatureSplit || from == Layout::PartialSum))
    next = std::nullopt;
  // On one device no layout needs moving: the partitioned program has no
  // collectives.
  llvm::StringRef op = c.devices == 1 ? "" : resolve(from, next);
  uint64_t local = localOutBytes(c, i, choice);
  uint64_t result = collectiveResultBytes(c, i, op, next);
  // A row-wise op (softmax) writes a fresh tensor the size of the rows it
  // reads, the collective's result or the local output, while they live.
  uint64_t rowOp = c.layers[i].wholeOutput() ? (result ? result : local) : 0;
  cost.activationBytes =
      inBytes + local +
      std::max(result + rowOp, matmulScratchBytes(c, i, choice));
  double bytes = 4.0 * c.batch * c.layers[i].out;
  cost.collective = op.str();
  cost.collectiveBytes = op.empty() ? 0 : static_cast<uint64_t>(bytes);
  cost.communication = collectiveSeconds(p, op, bytes, c.devices);
  if (from == Layout::PartialSum)
    cost.compute += deferredSeconds(c, p, i, op, next);
  // The row-wise ops run on a shard of the rows where the batch is split
  // before or after (tp-optimize-collectives moves them across its gathers
  // and slices), else on every row, on each rank.
  if (c.layers[i].rowOps) {
    bool batchRows = c.layers[i].rowOpsMovable &&
                     (from == Layout::BatchSplit ||
                      (c.devices > 1 && next && *next == ShardingKind::batch));
    double rows =
        batchRows ? double(largestShard(c.batch, c.devices)) : double(c.batch);
    cost.compute += c.layers[i].rowOps * p.rowOpSecondsPerElement * rows *
                    double(c.layers[i].out);
  }
  return result ? result : local;
}

bool allowed(const Layer &l, ShardingKind k) {
  return (!l.fixed || *l.fixed == k) && (l.allowedKinds & Layer::bit(k));
}

constexpr ShardingKind kChoices[] = {ShardingKind::row, ShardingKind::column,
                                     ShardingKind::replicated,
                                     ShardingKind::batch};
} // namespace

/// What a layer's split does to one of its arguments: getWeightSplitDim or
/// getBiasSplitDim, tp-partition's rules.
using SplitDimFn = std::optional<int64_t> (*)(ShardingKind);

/// The classes of splits that split an argument alike, a mask of kinds
/// (Layer::bit) each, in kChoices order: layers that share the argument may
/// mix the kinds of one class, and no others.
static std::vector<unsigned> splitClasses(SplitDimFn splitDim) {
  std::vector<std::pair<std::optional<int64_t>, unsigned>> classes;
  for (ShardingKind k : kChoices) {
    std::optional<int64_t> dim = splitDim(k);
    auto it =
        llvm::find_if(classes, [&](const auto &c) { return c.first == dim; });
    if (it == classes.end())
      classes.push_back({dim, Layer::bit(k)});
    else
      it->second |= Layer::bit(k);
  }
  std::vector<unsigned> masks;
  for (const auto &c : classes)
    masks.push_back(c.second);
  return masks;
}

/// The kinds (Layer::bit) that keep an argument whole.
static unsigned wholeKinds(SplitDimFn splitDim) {
  unsigned mask = 0;
  for (ShardingKind k : kChoices)
    if (!splitDim(k))
      mask |= Layer::bit(k);
  return mask;
}

Plan mlir::tp::plan::evaluate(const Chain &c, const MachineProfile &p,
                              llvm::ArrayRef<ShardingKind> choices) {
  Plan plan;
  plan.choices.assign(choices.begin(), choices.end());
  plan.layers.resize(c.layers.size());
  uint64_t inBytes = 0, live = 0, workspace = 0;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    LayerCost &cost = plan.layers[i];
    cost.compute = computeSeconds(c, p, i, choices[i]);
    cost.weightBytes = weightBytes(c, i, choices[i]);
    cost.workspaceBytes = workspaceBytes(c, p, i, choices[i]);
    workspace = std::max(workspace, cost.workspaceBytes);
    std::optional<ShardingKind> next;
    if (i + 1 < c.layers.size())
      next = choices[i + 1];
    inBytes = addTransition(c, p, i, choices[i], next, inBytes, cost);
    live = std::max(live, cost.activationBytes);
  }
  plan.peakBytes = inputBytes(c) + live + workspace;
  for (const LayerCost &cost : plan.layers) {
    plan.seconds += cost.compute + cost.communication;
    plan.peakBytes += cost.weightBytes;
  }
  return plan;
}

namespace {
/// A partial plan in the program: its time and weight bytes so far, and
/// the choice of its last layer.
struct Entry {
  double seconds;
  /// Weight bytes so far.
  uint64_t bytes;
  ShardingKind choice;
  /// The bytes of the last layer's input, and the most activation bytes
  /// live at any earlier layer.
  uint64_t inBytes = 0, maxLive = 0;
  /// The largest BLAS packing buffer so far.
  uint64_t maxWorkspace = 0;
  /// The entry of the previous layer it grew from: its layout and index
  /// (-1 for the first layer).
  int fromLayout = -1, fromIndex = -1;
};

/// Keeps the entries no other entry beats (or equals) in time, weight
/// bytes, live activations, BLAS packing buffer and the input bytes the
/// next layer starts from:
/// each can decide the final time or peak, so this keeps the program exact.
/// Without a memory limit only time decides (a layer's time does not depend
/// on the bytes before it), so one entry, the fastest, is enough.
void prune(std::vector<Entry> &entries, bool timeOnly) {
  if (entries.empty())
    return;
  if (timeOnly) {
    auto fastest =
        llvm::min_element(entries, [](const Entry &a, const Entry &b) {
          return a.seconds < b.seconds;
        });
    entries = {*fastest};
    return;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return std::tie(a.seconds, a.bytes, a.maxLive, a.inBytes, a.maxWorkspace) <
           std::tie(b.seconds, b.bytes, b.maxLive, b.inBytes, b.maxWorkspace);
  });
  std::vector<Entry> kept;
  for (const Entry &e : entries) {
    bool dominated = llvm::any_of(kept, [&](const Entry &k) {
      return k.bytes <= e.bytes && k.maxLive <= e.maxLive &&
             k.inBytes <= e.inBytes && k.maxWorkspace <= e.maxWorkspace;
    });
    if (!dominated)
      kept.push_back(e);
  }
  entries = std::move(kept);
}

std::string formatBytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024)
    return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024 || bytes == 0)
    return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.1f} KiB", bytes / 1024.0);
}
} // namespace

namespace {
constexpr int kNumChoices = std::size(kChoices);
using ChoiceRow = std::array<double, kNumChoices>;

int choiceIndex(ShardingKind k) {
  for (int a = 0; a < kNumChoices; ++a)
    if (kChoices[a] == k)
      return a;
  return 0;
}

/// The chain's time terms without a memory limit, where only time counts:
/// each term of a plan's time depends on one layer's choice and the one
/// before, so one pass each way gives, for every layer and choice, the
/// fastest prefix ending in it and the fastest suffix after it.
struct TimeTables {
  /// compute[i][a]: layer i's compute under choice a (inf when a fixed
  /// layer forbids it).
  std::vector<ChoiceRow> compute;
  /// after[i][a][b]: the transition after layer i under choice a when
  /// layer i + 1 takes b (b = 0 at the end of the chain).
  std::vector<std::array<ChoiceRow, kNumChoices>> after;
  /// forward[i][a]: the fastest layers 0..i with layer i at a, the
  /// transition after it not included; backward[i][a]: the fastest rest
  /// after layer i at a (that transition and everything after).
  std::vector<ChoiceRow> forward, backward;
  /// The choices that reach those: from[i][a] at layer i - 1, to[i][a] at
  /// layer i + 1.
  std::vector<std::array<int, kNumChoices>> from, to;
};

/// The forward pass over `t`'s transitions: best[i][a] is the least sum,
/// over layers 0..i with layer i at a, of own(layer, choice) and the
/// transitions between them (not the one after layer i); from[i][a] is the
/// choice at layer i - 1 that reaches it. `best` and `from` hold a row per
/// layer.
template <typename Own>
void fastestPrefixes(const TimeTables &t, Own own, std::vector<ChoiceRow> &best,
                     std::vector<std::array<int, kNumChoices>> &from) {
  const double inf = std::numeric_limits<double>::infinity();
  for (int a = 0; a < kNumChoices; ++a)
    best[0][a] = own(0, a);
  for (size_t i = 1; i < best.size(); ++i)
    for (int b = 0; b < kNumChoices; ++b) {
      best[i][b] = inf;
      for (int a = 0; a < kNumChoices; ++a) {
        double v = best[i - 1][a] + t.after[i - 1][a][b];
        if (v < best[i][b]) {
          best[i][b] = v;
          from[i][b] = a;
        }
      }
      best[i][b] += own(i, b);
    }
}

TimeTables timeTables(const Chain &c, const MachineProfile &p) {
  const double inf = std::numeric_limits<double>::infinity();
  size_t n = c.layers.size();
  TimeTables t;
  t.compute.resize(n);
  t.after.resize(n);
  t.forward.resize(n);
  t.backward.resize(n);
  t.from.resize(n);
  t.to.resize(n);
  for (size_t i = 0; i < n; ++i)
    for (int a = 0; a < kNumChoices; ++a) {
      t.compute[i][a] = allowed(c.layers[i], kChoices[a])
                            ? computeSeconds(c, p, i, kChoices[a])
                            : inf;
      for (int b = 0; b < kNumChoices; ++b) {
        LayerCost cost;
        std::optional<ShardingKind> next;
        if (i + 1 < n)
          next = kChoices[b];
        addTransition(c, p, i, kChoices[a], next, 0, cost);
        t.after[i][a][b] = cost.compute + cost.communication;
      }
    }
  fastestPrefixes(
      t, [&](size_t i, int a) { return t.compute[i][a]; }, t.forward, t.from);
  for (int a = 0; a < kNumChoices; ++a)
    t.backward[n - 1][a] = t.after[n - 1][a][0];
  for (size_t i = n - 1; i-- > 0;)
    for (int a = 0; a < kNumChoices; ++a) {
      t.backward[i][a] = inf;
      for (int b = 0; b < kNumChoices; ++b) {
        double time =
            t.after[i][a][b] + t.compute[i + 1][b] + t.backward[i + 1][b];
        if (time < t.backward[i][a]) {
          t.backward[i][a] = time;
          t.to[i][a] = b;
        }
      }
    }
  return t;
}

/// The plan of least time + lambda * weight bytes: one pass with one
/// entry per choice. Its plans trade time for weights; those that fit a
/// limit give the search under it an incumbent to beat.
std::vector<ShardingKind> penalizedFastest(const Chain &c, const TimeTables &t,
                                           double lambda) {
  size_t n = c.layers.size();
  std::vector<ChoiceRow> best(n);
  std::vector<std::array<int, kNumChoices>> from(n);
  fastestPrefixes(
      t,
      [&](size_t i, int a) {
        return t.compute[i][a] +
               lambda * double(weightBytes(c, i, kChoices[a]));
      },
      best, from);
  int k = 0;
  for (int a = 1; a < kNumChoices; ++a)
    if (best[n - 1][a] + t.after[n - 1][a][0] <
        best[n - 1][k] + t.after[n - 1][k][0])
      k = a;
  std::vector<ShardingKind> choices(n);
  for (size_t j = n; j-- > 0;) {
    choices[j] = kChoices[k];
    if (j)
      k = from[j][k];
  }
  return choices;
}

/// The runners-up without a memory limit: the fastest plan that takes
/// choice k at layer i is the fastest prefix ending in k plus the fastest
/// suffix after it, instead of a program per layer and choice.
std::vector<std::optional<Plan>>
fastestThroughEachChoice(const Chain &c, const MachineProfile &p,
                         const Plan &best) {
  const double inf = std::numeric_limits<double>::infinity();
  size_t n = c.layers.size();
  TimeTables t = timeTables(c, p);
  std::vector<std::optional<Plan>> result(n);
  for (size_t i = 0; i < n; ++i) {
    if (c.layers[i].fixed)
      continue;
    int bestOther = -1;
    double bestSeconds = inf;
    for (int a = 0; a < kNumChoices; ++a) {
      double time = t.forward[i][a] + t.backward[i][a];
      if (kChoices[a] != best.choices[i] && time < bestSeconds) {
        bestSeconds = time;
        bestOther = a;
      }
    }
    if (bestOther < 0)
      continue;
    std::vector<ShardingKind> choices(n);
    int k = bestOther;
    for (size_t j = i + 1; j-- > 0;) {
      choices[j] = kChoices[k];
      if (j)
        k = t.from[j][k];
    }
    k = bestOther;
    for (size_t j = i; j + 1 < n; ++j) {
      k = t.to[j][k];
      choices[j + 1] = kChoices[k];
    }
    result[i] = evaluate(c, p, choices);
  }
  return result;
}
} // namespace

namespace {
/// A memory limit keeps a Pareto front of partial plans per layer and
/// layout, which long chains of varied widths can make large: past this
/// many the planner stops with an error rather than run for hours.
constexpr size_t kMaxFront = size_t(1) << 11;

/// What the program minimizes: the time of plans within the limit, or the
/// peak bytes of any plan (to say how much the smallest needs).
enum class Objective { time, memory };

struct ProgramResult {
  /// The best plan's choices; empty when no plan fits.
  std::vector<ShardingKind> choices;
  /// The peak bytes of the best plan (memory) or of the smallest seen.
  uint64_t smallest = std::numeric_limits<uint64_t>::max();
  /// The layer whose front grew past kMaxFront, if one did.
  std::optional<size_t> overflowAt;
};

/// `bound`, when given, holds the fastest time of the rest of the chain
/// after each layer and choice (TimeTables::backward), and `incumbent` the
/// time of a plan known to fit: a partial plan that cannot beat it even
/// with the fastest rest is dropped (branch and bound; still exact).
ProgramResult
runProgram(const Chain &c, const MachineProfile &p, uint64_t memoryLimit,
           Objective objective, const std::vector<ChoiceRow> *bound = nullptr,
           double incumbent = std::numeric_limits<double>::infinity()) {
  size_t n = c.layers.size();
  ProgramResult result;
  bool timeOnly = objective == Objective::time && memoryLimit == 0;
  double timeWeight = objective == Objective::time ? 1.0 : 0.0;
  uint64_t input = inputBytes(c);
  // The fewest weight bytes layers i.. can hold: a partial plan that
  // exceeds the limit even with them (and its live bytes so far) never
  // fits, so it is dropped at once, which keeps the program exact.
  std::vector<uint64_t> minRest(n + 1, 0);
  for (size_t i = n; i-- > 0;) {
    uint64_t least = std::numeric_limits<uint64_t>::max();
    for (ShardingKind k : kChoices)
      if (allowed(c.layers[i], k))
        least = std::min(least, weightBytes(c, i, k));
    minRest[i] = minRest[i + 1] + least;
  }
  // Likewise the largest of the smallest packing buffers that layers i..
  // can take: the plan's buffer is at least that.
  std::vector<uint64_t> minWorkspace(n + 1, 0);
  for (size_t i = n; i-- > 0;) {
    uint64_t least = std::numeric_limits<uint64_t>::max();
    for (ShardingKind k : kChoices)
      if (allowed(c.layers[i], k))
        least = std::min(least, workspaceBytes(c, p, i, k));
    minWorkspace[i] = std::max(minWorkspace[i + 1], least);
  }
  auto cannotFit = [&](size_t i, const Entry &e) {
    if (objective != Objective::time || !memoryLimit)
      return false;
    if (e.bytes + minRest[i + 1] + input + std::max(e.maxLive, e.inBytes) +
            std::max(e.maxWorkspace, minWorkspace[i + 1]) >
        memoryLimit)
      return true;
    // The slack covers sums taken in another order.
    return bound && e.seconds + (*bound)[i][choiceIndex(e.choice)] >
                        incumbent * (1 + 1e-9);
  };
  // front[i][layout]: entries after choosing layers 0..i, whose layer i
  // leaves `layout` (its transition not yet paid). A transition is paid
  // when the next layer's choice is known.
  std::vector<std::array<std::vector<Entry>, kLayouts>> front(n);
  auto settle = [&](size_t i) {
    for (std::vector<Entry> &entries : front[i]) {
      llvm::erase_if(entries, [&](const Entry &e) { return cannotFit(i, e); });
      prune(entries, timeOnly);
      if (entries.size() > kMaxFront && !result.overflowAt)
        result.overflowAt = i;
    }
  };
  for (ShardingKind k : kChoices) {
    if (!allowed(c.layers[0], k))
      continue;
    Entry first{timeWeight * computeSeconds(c, p, 0, k), weightBytes(c, 0, k),
                k};
    first.maxWorkspace = workspaceBytes(c, p, 0, k);
    front[0][int(layoutAfter(k))].push_back(first);
  }
  settle(0);
  for (size_t i = 0; i + 1 < n && !result.overflowAt; ++i) {
    for (int s = 0; s < kLayouts; ++s) {
      for (size_t e = 0; e < front[i][s].size(); ++e) {
        const Entry &entry = front[i][s][e];
        for (ShardingKind k : kChoices) {
          if (!allowed(c.layers[i + 1], k))
            continue;
          LayerCost transition;
          uint64_t nextIn = addTransition(c, p, i, entry.choice, k,
                                          entry.inBytes, transition);
          Entry grown{
              entry.seconds +
                  timeWeight * (transition.compute + transition.communication +
                                computeSeconds(c, p, i + 1, k)),
              entry.bytes + weightBytes(c, i + 1, k),
              k,
              nextIn,
              std::max(entry.maxLive, transition.activationBytes),
              std::max(entry.maxWorkspace, workspaceBytes(c, p, i + 1, k)),
              s,
              int(e)};
          front[i + 1][int(layoutAfter(k))].push_back(grown);
        }
      }
    }
    settle(i + 1);
  }
  if (result.overflowAt)
    return result;
  // The end: every layout resolves to a replicated output.
  double bestSeconds = std::numeric_limits<double>::infinity();
  uint64_t bestBytes = std::numeric_limits<uint64_t>::max();
  int bestLayout = -1, bestIndex = -1;
  for (int s = 0; s < kLayouts; ++s)
    for (size_t e = 0; e < front[n - 1][s].size(); ++e) {
      const Entry &entry = front[n - 1][s][e];
      LayerCost last;
      addTransition(c, p, n - 1, entry.choice, std::nullopt, entry.inBytes,
                    last);
      double seconds = entry.seconds + last.compute + last.communication;
      uint64_t bytes = entry.bytes + input +
                       std::max(entry.maxLive, last.activationBytes) +
                       entry.maxWorkspace;
      result.smallest = std::min(result.smallest, bytes);
      if (memoryLimit && bytes > memoryLimit)
        continue;
      bool better = objective == Objective::time ? seconds < bestSeconds
                                                 : bytes < bestBytes;
      if (better) {
        bestSeconds = seconds;
        bestBytes = bytes;
        bestLayout = s;
        bestIndex = int(e);
      }
    }
  if (bestLayout < 0)
    return result;
  result.choices.resize(n);
  int s = bestLayout, e = bestIndex;
  for (size_t i = n; i-- > 0;) {
    const Entry &entry = front[i][s][e];
    result.choices[i] = entry.choice;
    s = entry.fromLayout;
    e = entry.fromIndex;
  }
  return result;
}

/// The search stopped at the size of its fronts: the one planChain error
/// with this code, which runnersUp tells from "no plan fits".
llvm::Error tooManyPartialPlans(const Chain &c, size_t layer) {
  return llvm::createStringError(
      std::errc::result_out_of_range,
      "planning %zu layers under a memory limit keeps more than %zu "
      "partial plans at layer %zu, too many to search exactly; plan without "
      "a limit, or fix some layers' shardings by hand",
      c.layers.size(), kMaxFront, layer);
}
} // namespace

/// The plan of least predicted time, each layer's split chosen on its own
/// (planChain adds the ties between layers).
static llvm::Expected<Plan> planUntied(const Chain &c, const MachineProfile &p,
                                       uint64_t memoryLimit) {
  if (c.layers.empty())
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the chain has no layers to plan");
  auto notFinite = [](double seconds) {
    return llvm::createStringError(
        std::errc::invalid_argument,
        "the profile's figures make the predicted time %s: a rate too small "
        "or a latency too large to price the chain",
        std::isnan(seconds) ? "not a number" : "infinite");
  };
  // The fastest plan of all is the fastest within the limit when it fits:
  // a limit that does not bind costs one program without fronts.
  ProgramResult best = runProgram(c, p, 0, Objective::time);
  // Every chain has a plan, so none means no time compared below infinity.
  if (best.choices.empty())
    return notFinite(std::numeric_limits<double>::infinity());
  if (memoryLimit && evaluate(c, p, best.choices).peakBytes > memoryLimit) {
    // The smallest plan says whether any fits (partial plans that cannot
    // fit are dropped early, so the error's figure comes from here), and
    // its time bounds the search under the limit.
    ProgramResult smallest = runProgram(c, p, 0, Objective::memory);
    if (smallest.overflowAt)
      return tooManyPartialPlans(c, *smallest.overflowAt);
    if (smallest.smallest > memoryLimit) {
      std::string limit = formatBytes(double(memoryLimit)),
                  needed = formatBytes(double(smallest.smallest));
      // Sizes that round alike are told apart in bytes.
      if (limit == needed) {
        limit += fmt::format(" ({} bytes)", memoryLimit);
        needed += fmt::format(" ({} bytes)", smallest.smallest);
      }
      bool packs = llvm::any_of(
          evaluate(c, p, smallest.choices).layers,
          [](const LayerCost &cost) { return cost.workspaceBytes > 0; });
      // The splits written by hand bound the smallest plan too: name them.
      std::string fixed;
      int64_t numFixed = 0;
      for (const Layer &layer : c.layers) {
        if (!layer.fixed)
          continue;
        if (++numFixed <= 3)
          fixed += fmt::format("{}{} {}", numFixed > 1 ? ", " : "", layer.name,
                               stringifyShardingKind(*layer.fixed).str());
      }
      if (numFixed > 3)
        fixed += fmt::format(" and {} more", numFixed - 3);
      if (numFixed)
        fixed =
            fmt::format("; with the split{} written on {} kept: {}",
                        numFixed > 1 ? "s" : "",
                        numFixed > 1 ? "these layers" : "this layer", fixed);
      return llvm::createStringError(
          std::errc::invalid_argument,
          "no plan fits the memory limit of %s per device: the smallest "
          "needs %s (weight shards, the input%s the live activations%s at "
          "batch %lld%s)",
          limit.c_str(), needed.c_str(), packs ? "," : " and",
          packs ? " and sgemm's packing buffer" : "",
          static_cast<long long>(c.batch), fixed.c_str());
    }
    TimeTables tables = timeTables(c, p);
    // The best of the plans that trade time for weight bytes at many rates
    // and fit is the incumbent: the closer to the optimum, the more partial
    // plans the bound drops.
    double incumbent = evaluate(c, p, smallest.choices).seconds;
    std::vector<ShardingKind> incumbentChoices = smallest.choices;
    for (int step = 0; step <= 64; ++step) {
      Plan traded = evaluate(
          c, p,
          penalizedFastest(c, tables, 1e-18 * std::pow(10.0, step / 4.0)));
      if (traded.peakBytes <= memoryLimit && traded.seconds < incumbent) {
        incumbent = traded.seconds;
        incumbentChoices = traded.choices;
      }
    }
    ProgramResult bounded = runProgram(c, p, memoryLimit, Objective::time,
                                       &tables.backward, incumbent);
    if (bounded.overflowAt)
      return tooManyPartialPlans(c, *bounded.overflowAt);
    // The incumbent itself survives the bound unless a plan at least as
    // fast does; the fallback only guards against rounding.
    best.choices = bounded.choices.empty() ? incumbentChoices : bounded.choices;
  }
  Plan plan = evaluate(c, p, best.choices);
  if (!std::isfinite(plan.seconds))
    return notFinite(plan.seconds);
  return plan;
}

llvm::Expected<Plan> mlir::tp::plan::planChain(const Chain &c,
                                               const MachineProfile &p,
                                               uint64_t memoryLimit) {
  // Each group of layers sharing an argument takes one class of splits of
  // it (splitClasses): a weight split along dim 0 (row), dim 1 (column) or
  // kept whole (replicated, batch); a bias split (row) or kept whole (the
  // rest).
  struct Group {
    const std::vector<size_t> *layers;
    std::vector<unsigned> classes;
  };
  std::vector<Group> groups;
  auto addGroups = [&](const std::vector<std::vector<size_t>> &tied,
                       std::vector<unsigned> classes) {
    for (const std::vector<size_t> &layers : tied) {
      Group g{&layers, {}};
      // The classes that every layer of the group can take: a split fixed
      // by hand decides it. None (two fixed splits that disagree) leaves
      // the group to the partitioner, which says so at the layers.
      for (unsigned cls : classes)
        if (llvm::all_of(layers, [&](size_t i) {
              const Layer &l = c.layers[i];
              return (l.allowedKinds & cls) &&
                     (!l.fixed || (cls & Layer::bit(*l.fixed)));
            }))
          g.classes.push_back(cls);
      if (!g.classes.empty())
        groups.push_back(std::move(g));
    }
  };
  // Shared biases first: the one-group-at-a-time search below then holds
  // each bias to a class before the weights of its layers are chosen, so
  // those cannot go row on one layer and column on another and leave the
  // bias no class.
  if (c.devices > 1) {
    addGroups(c.tiedBiases, splitClasses(getBiasSplitDim));
    addGroups(c.tiedWeights, splitClasses(getWeightSplitDim));
  }
  if (groups.empty())
    return planUntied(c, p, memoryLimit);
  // The errors of the combinations that found no plan, kept as code and
  // message: a search that stopped at its size (result_out_of_range) is
  // reported before any "no plan fits", as planUntied does.
  struct Failure {
    std::error_code code;
    std::string message;
  };
  std::optional<Failure> overflow, noFit;
  // The plan with each group held to classes[choice[g]], or none where a
  // layer is left no split (a weight class and a bias class that exclude
  // each other).
  auto planWith = [&](llvm::ArrayRef<size_t> choice,
                      size_t numChosen) -> std::optional<Plan> {
    Chain held = c;
    for (size_t g = 0; g < numChosen; ++g)
      for (size_t i : *groups[g].layers)
        held.layers[i].allowedKinds &= groups[g].classes[choice[g]];
    if (llvm::any_of(held.layers,
                     [](const Layer &l) { return l.allowedKinds == 0; }))
      return std::nullopt;
    llvm::Expected<Plan> plan = planUntied(held, p, memoryLimit);
    if (plan)
      return std::move(*plan);
    llvm::handleAllErrors(plan.takeError(), [&](const llvm::ErrorInfoBase &e) {
      Failure failure{e.convertToErrorCode(), e.message()};
      std::optional<Failure> &slot =
          failure.code == std::make_error_code(std::errc::result_out_of_range)
              ? overflow
              : noFit;
      if (!slot)
        slot = std::move(failure);
    });
    return std::nullopt;
  };
  auto better = [](const std::optional<Plan> &a, const std::optional<Plan> &b) {
    return a && (!b || a->seconds < b->seconds);
  };
  // A class that keeps the argument whole (for a bias, anything but row):
  // such classes of every group leave each layer replicated and batch, so
  // together they always leave a layer a split.
  auto wholeClass = [&](const Group &g) -> size_t {
    for (size_t k = 0; k < g.classes.size(); ++k)
      if (g.classes[k] & Layer::bit(ShardingKind::replicated))
        return k;
    return 0;
  };
  std::vector<size_t> choice(groups.size(), 0);
  std::optional<Plan> best;
  uint64_t combinations = 1;
  for (const Group &g : groups)
    combinations = std::min<uint64_t>(combinations * g.classes.size(), 1000);
  if (combinations <= 81) {
    // Every combination of the groups' classes.
    while (true) {
      std::optional<Plan> plan = planWith(choice, groups.size());
      if (better(plan, best))
        best = std::move(plan);
      size_t g = 0;
      while (g < groups.size() && ++choice[g] == groups[g].classes.size())
        choice[g++] = 0;
      if (g == groups.size())
        break;
    }
  } else {
    // One group at a time, the groups before it held to their choices and
    // those after it free; the last step holds every group. Where no class
    // of a group fits beside the earlier choices (a weight shared by layers
    // whose shared biases went row and not row), every shared argument is
    // kept whole.
    for (size_t g = 0; g < groups.size(); ++g) {
      std::optional<Plan> bestHere;
      size_t bestClass = wholeClass(groups[g]);
      for (size_t k = 0; k < groups[g].classes.size(); ++k) {
        choice[g] = k;
        std::optional<Plan> plan = planWith(choice, g + 1);
        if (better(plan, bestHere)) {
          bestHere = std::move(plan);
          bestClass = k;
        }
      }
      choice[g] = bestClass;
      if (g + 1 == groups.size())
        best = std::move(bestHere);
    }
    if (!best) {
      for (size_t g = 0; g < groups.size(); ++g)
        choice[g] = wholeClass(groups[g]);
      best = planWith(choice, groups.size());
    }
  }
  if (overflow)
    return llvm::createStringError(overflow->code, "%s",
                                   overflow->message.c_str());
  if (best)
    return std::move(*best);
  // No combination fits the limit: its error says why. With none priced
  // at all, splits written by hand conflict, which the partitioner reports
  // at the layers.
  if (noFit)
    return llvm::createStringError(noFit->code, "%s", noFit->message.c_str());
  return planUntied(c, p, memoryLimit);
}

std::vector<std::optional<Plan>>
mlir::tp::plan::runnersUp(const Chain &c, const MachineProfile &p,
                          const Plan &best, uint64_t memoryLimit,
                          std::vector<bool> *unsearched) {
  std::vector<std::optional<Plan>> result(c.layers.size());
  if (unsearched)
    unsearched->assign(c.layers.size(), false);
  // The tables price each layer's choice on its own; layers tied by a
  // shared argument are searched as planChain does.
  bool tied =
      c.devices > 1 && (!c.tiedWeights.empty() || !c.tiedBiases.empty());
  if (memoryLimit == 0 && !c.layers.empty() && !tied)
    return fastestThroughEachChoice(c, p, best);
  for (size_t i = 0; i < c.layers.size(); ++i) {
    if (c.layers[i].fixed)
      continue;
    // The best plan with layer i fixed to each other choice.
    for (ShardingKind k : kChoices) {
      if (k == best.choices[i])
        continue;
      Chain other = c;
      other.layers[i].fixed = k;
      llvm::Expected<Plan> plan = planChain(other, p, memoryLimit);
      if (!plan) {
        // "no plan fits" is an answer; a search too large to finish is not.
        std::error_code code = llvm::errorToErrorCode(plan.takeError());
        if (unsearched &&
            code == std::make_error_code(std::errc::result_out_of_range))
          (*unsearched)[i] = true;
        continue;
      }
      if (!result[i] || plan->seconds < result[i]->seconds)
        result[i] = std::move(*plan);
    }
  }
  return result;
}

void mlir::tp::plan::printExplanation(llvm::raw_ostream &os, const Chain &c,
                                      const MachineProfile &p, const Plan &best,
                                      uint64_t memoryLimit) {
  std::vector<bool> unsearched;
  std::vector<std::optional<Plan>> others =
      runnersUp(c, p, best, memoryLimit, &unsearched);
  auto name = [](ShardingKind k) { return stringifyShardingKind(k).str(); };
  os << fmt::format("plan for {} device{} at batch {} ({}):\n", c.devices,
                    c.devices == 1 ? "" : "s", c.batch, p.source);
  os << fmt::format("  {:<4} {:<28} {:<10} {:>10} {:>10} {:>10}  {}\n", "#",
                    "layer", "split", "compute ms", "comm ms", "weights",
                    "runner-up");
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const LayerCost &cost = best.layers[i];
    std::string runner;
    if (c.layers[i].fixed) {
      runner = "fixed by hand";
    } else if (c.devices == 1) {
      runner = "none: on 1 device every split runs the whole layer";
    } else if (!others[i] && unsearched[i]) {
      runner = "not searched: too many partial plans under the limit";
    } else if (!others[i]) {
      runner = "no other split fits";
    } else {
      const Plan &o = *others[i];
      double extra = o.seconds - best.seconds;
      std::string why;
      const LayerCost &oc = o.layers[i];
      double dCompute = 0, dComm = 0;
      for (size_t j = 0; j < c.layers.size(); ++j) {
        dCompute += o.layers[j].compute - best.layers[j].compute;
        dComm += o.layers[j].communication - best.layers[j].communication;
      }
      why = dComm == 0 && dCompute == 0 ? "no faster"
            : dComm >= dCompute         ? "more communication"
                                        : "more compute";
      if (memoryLimit && o.peakBytes > memoryLimit)
        why = "over the memory limit";
      runner =
          fmt::format("{}: +{:.3g} ms, {} (here {:.3g} ms compute, "
                      "{:.3g} ms {})",
                      name(o.choices[i]), 1e3 * extra, why, 1e3 * oc.compute,
                      1e3 * oc.communication,
                      oc.collective.empty() ? "communication" : oc.collective);
    }
    std::string label =
        c.layers[i].name.empty()
            ? fmt::format("{}x{}", c.layers[i].out, c.layers[i].in)
            : c.layers[i].name;
    os << fmt::format("  {:<4} {:<28} {:<10} {:>10.4g} {:>10.4g} {:>10}  {}\n",
                      i, label, name(best.choices[i]), 1e3 * cost.compute,
                      1e3 * cost.communication,
                      formatBytes(double(cost.weightBytes)), runner);
    if (!cost.collective.empty())
      os << fmt::format("  {:<4} {:<28} {:<10} {:>10} {:>10}\n", "", "",
                        "then " + cost.collective, "",
                        formatBytes(double(cost.collectiveBytes)));
  }
  double compute = 0, comm = 0;
  uint64_t workspace = 0;
  for (const LayerCost &cost : best.layers) {
    compute += cost.compute;
    comm += cost.communication;
    workspace = std::max(workspace, cost.workspaceBytes);
  }
  os << fmt::format("  total: {:.4g} ms predicted ({:.4g} compute, {:.4g} "
                    "communication), peak {} per device{}{}\n",
                    1e3 * best.seconds, 1e3 * compute, 1e3 * comm,
                    formatBytes(double(best.peakBytes)),
                    memoryLimit
                        ? " of " + formatBytes(double(memoryLimit)) + " allowed"
                        : std::string(),
                    workspace ? " (" + formatBytes(double(workspace)) +
                                    " of it sgemm's packing buffer)"
                              : std::string());
}

/// The value `value` is computed from through the ops a chain holds between
/// its layers (activations and row-wise ops).
static Value throughOpsBetweenLayers(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<ActivationOp, SoftmaxOp, LogSoftmaxOp>(def))
      break;
    value = def->getOperand(0);
  }
  return value;
}

/// What the partitioner requires of arguments that layers split (it
/// refuses a plan that breaks it): the layers sharing one argument as their
/// weight, or as their bias, split it alike (Chain::tiedWeights,
/// tiedBiases), and an argument that anything else also reads (a layer's
/// input, any other op) is kept whole by every layer (Layer::allowedKinds).
/// A split fixed by hand that breaks it is left for the partitioner to
/// report at the layers.
static void tieArguments(FunctionOpInterface fn, Chain &chain) {
  if (chain.devices <= 1)
    return;
  Block &entry = fn.getFunctionBody().front();
  llvm::MapVector<BlockArgument, std::vector<size_t>> weights, biases;
  size_t index = 0;
  for (LinearOp linear : entry.getOps<LinearOp>()) {
    for (auto [value, users] : {std::pair{linear.getWeight(), &weights},
                                std::pair{linear.getBias(), &biases}}) {
      auto arg = dyn_cast_or_null<BlockArgument>(value);
      if (arg && arg.getOwner() == &entry)
        (*users)[arg].push_back(index);
    }
    ++index;
  }
  for (auto [users, keep, tied] :
       {std::tuple{&weights, wholeKinds(getWeightSplitDim), &chain.tiedWeights},
        std::tuple{&biases, wholeKinds(getBiasSplitDim), &chain.tiedBiases}}) {
    for (auto &[arg, layers] : *users) {
      if (findNonParameterUse(arg))
        for (size_t i : layers) {
          Layer &l = chain.layers[i];
          if (!l.fixed || (keep & Layer::bit(*l.fixed)))
            l.allowedKinds &= keep;
        }
      if (layers.size() > 1)
        tied->push_back(layers);
    }
  }
}

llvm::Expected<Chain> mlir::tp::plan::extractChain(FunctionOpInterface fn,
                                                   int64_t devices,
                                                   int64_t batch,
                                                   MatmulLowering matmul) {
  Chain chain;
  chain.devices = devices;
  chain.batch = batch;
  chain.matmul = matmul;
  auto fail = [&](Operation *op, const std::string &message) {
    op->emitError() << message;
    return llvm::createStringError(std::errc::invalid_argument, "%s",
                                   message.c_str());
  };
  Value current;
  bool batchSet = false;
  if (!fn.getFunctionBody().hasOneBlock())
    return fail(fn,
                "the planner plans a function of one block; this one has " +
                    std::to_string(fn.getFunctionBody().getBlocks().size()));
  for (Operation &op : fn.getFunctionBody().front()) {
    if (auto linear = dyn_cast<LinearOp>(op)) {
      Value input = throughOpsBetweenLayers(linear.getInput());
      if (current && input != current)
        return fail(&op, "the planner plans a chain: this layer's input is "
                         "not the previous layer's output");
      auto type = cast<RankedTensorType>(linear.getInput().getType());
      if (!batchSet && !type.isDynamicDim(0)) {
        chain.batch = type.getDimSize(0);
      }
      batchSet = true;
      Layer l;
      l.in = linear.getInFeatures();
      l.out = linear.getOutFeatures();
      l.bias = static_cast<bool>(linear.getBias());
      l.activation = linear.getActivation();
      if (std::optional<ShardingKind> k = linear.getSharding())
        l.fixed = *k;
      if (auto file = dyn_cast<FileLineColLoc>(op.getLoc()))
        l.name = fmt::format(
            "{}:{}",
            shownText(llvm::sys::path::filename(file.getFilename().str())),
            file.getLine());
      else
        l.name = fmt::format("layer {}", chain.layers.size());
      chain.layers.push_back(l);
      current = linear.getResult();
      continue;
    }
    if (auto act = dyn_cast<ActivationOp>(op)) {
      // Runs on the previous layer's output (on its shards, where the
      // partitioner can move it there).
      if (!chain.layers.empty())
        chain.layers.back().separate.push_back(act.getKind());
      continue;
    }
    // Needs whole rows of the last layer's output (addTransition). Only a
    // row op on the chain counts: the partitioner drops one whose result is
    // unused, and one off the chain takes nothing from the last layer.
    if (isa<SoftmaxOp, LogSoftmaxOp>(op)) {
      if (current && throughOpsBetweenLayers(op.getOperand(0)) == current &&
          !op.use_empty()) {
        ++chain.layers.back().rowOps;
        // tp-optimize-collectives moves it across a gather or slice of the
        // batch only where that value has no other user.
        if (!op.getOperand(0).hasOneUse() || !op.getResult(0).hasOneUse())
          chain.layers.back().rowOpsMovable = false;
      }
      continue;
    }
    // Constants are weights, biases or an input written into the model.
    if (isa<func::ReturnOp, arith::ConstantOp>(op))
      continue;
    return fail(&op, "the planner plans chains of tp.linear, tp.activation, "
                     "tp.softmax and tp.log_softmax; found '" +
                         op.getName().getStringRef().str() + "'");
  }
  tieArguments(fn, chain);
  // Byte counts stay far from overflow when every activation is a tensor
  // tp-mlir could hold.
  for (const Layer &l : chain.layers)
    if (!getCheckedNumElements(std::array<int64_t, 2>{chain.batch, l.in}) ||
        !getCheckedNumElements(std::array<int64_t, 2>{chain.batch, l.out}))
      return fail(fn, fmt::format("at batch {}, the activations of {} ({} "
                                  "in, {} out) would have more than {} "
                                  "elements",
                                  chain.batch, l.name, l.in, l.out,
                                  kMaxTensorElements));
  return chain;
}

llvm::Expected<MachineProfile>
mlir::tp::plan::loadProfile(llvm::StringRef path, MatmulLowering matmul) {
  if (path.empty())
    return MachineProfile::builtinDefault(matmul);
  // A device or a pipe would be read without end.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      status.type() != llvm::sys::fs::file_type::regular_file)
    return llvm::createStringError(
        std::errc::invalid_argument,
        "cannot read %s: it is not a regular file (a directory, a device or "
        "a pipe)",
        path.str().c_str());
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "cannot read %s: %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  llvm::Expected<MachineProfile> profile =
      MachineProfile::fromJSON((*buffer)->getBuffer());
  if (!profile)
    return llvm::createStringError(std::errc::invalid_argument, "%s: %s",
                                   path.str().c_str(),
                                   llvm::toString(profile.takeError()).c_str());
  if (profile->matmul && *profile->matmul != matmul)
    return llvm::createStringError(
        std::make_error_code(std::errc::invalid_argument),
        fmt::format("{0} was calibrated with --matmul {1}, but the matmuls "
                    "run as {2}, at other rates; make a profile of them with "
                    "tp-run --calibrate FILE --matmul {2}",
                    path.str(), stringifyMatmulLowering(*profile->matmul).str(),
                    stringifyMatmulLowering(matmul).str())
            .c_str());
  return profile;
}

/// The bytes per device of a function with no layer to plan, where every
/// device holds each value whole: the arguments together, or the largest of
/// an op's operands and results together, each dynamic size the batch.
/// Saturates rather than wrapping.
static uint64_t unplannedPeakBytes(FunctionOpInterface fn, int64_t batch) {
  auto bytesOf = [&](Type type) -> uint64_t {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return 0;
    uint64_t bytes =
        std::max<uint64_t>(1, (tensor.getElementTypeBitWidth() + 7) / 8);
    for (int64_t size : tensor.getShape()) {
      uint64_t extent =
          ShapedType::isDynamic(size) ? uint64_t(batch) : uint64_t(size);
      if (extent && bytes > std::numeric_limits<uint64_t>::max() / extent)
        return std::numeric_limits<uint64_t>::max();
      bytes *= extent;
    }
    return bytes;
  };
  auto add = [](uint64_t a, uint64_t b) {
    return a > std::numeric_limits<uint64_t>::max() - b
               ? std::numeric_limits<uint64_t>::max()
               : a + b;
  };
  auto sum = [&](auto types) {
    uint64_t total = 0;
    for (Type type : types)
      total = add(total, bytesOf(type));
    return total;
  };
  uint64_t peak = sum(fn.getArgumentTypes());
  fn.walk([&](Operation *op) {
    peak = std::max(peak,
                    add(sum(op->getOperandTypes()), sum(op->getResultTypes())));
  });
  return peak;
}

LogicalResult mlir::tp::plan::planModule(ModuleOp module, int64_t batch,
                                         int64_t memoryLimitMiB,
                                         llvm::StringRef profilePath,
                                         MatmulLowering matmul) {
  if (memoryLimitMiB < 0 || memoryLimitMiB > kMaxMemoryLimitMiB)
    return module.emitError()
           << "memory-limit-mib must be 0 (no limit) or positive, at most "
           << kMaxMemoryLimitMiB << ", got " << memoryLimitMiB;
  uint64_t memoryLimit = uint64_t(memoryLimitMiB) << 20;
  MeshAttr mesh = lookupMesh(module);
  if (!mesh)
    return module.emitError()
           << "planning needs a device mesh: add '" << TPDialect::kMeshAttrName
           << "' to the module or run tp-set-mesh first";
  if (batch < 1 || batch > kMaxTensorElements)
    return module.emitError() << "the planned batch must be from 1 to "
                              << kMaxTensorElements << ", got " << batch;
  llvm::Expected<MachineProfile> profile = loadProfile(profilePath, matmul);
  if (!profile)
    return module.emitError() << llvm::toString(profile.takeError());
  for (auto fn : module.getOps<FunctionOpInterface>()) {
    if (fn.isExternal())
      continue;
    SmallVector<LinearOp> linears;
    fn.walk([&](LinearOp op) { linears.push_back(op); });
    if (linears.empty()) {
      // Nothing to plan, and nothing split: the limit still holds for the
      // values every device keeps whole.
      uint64_t needed = unplannedPeakBytes(fn, batch);
      if (memoryLimit && needed > memoryLimit)
        return fn.emitError() << fmt::format(
                   "no plan fits the memory limit of {} per device: the "
                   "function has no tp.linear layer to split, so every "
                   "device holds its values whole, {} at batch {} (the "
                   "arguments, or an op's operands and result)",
                   formatBytes(double(memoryLimit)),
                   formatBytes(double(needed)), batch);
      continue;
    }
    llvm::Expected<Chain> chain =
        extractChain(fn, mesh.getNumDevices(), batch, matmul);
    if (!chain) {
      llvm::consumeError(chain.takeError()); // diagnosed at the op
      return failure();
    }
    llvm::Expected<Plan> plan = planChain(*chain, *profile, memoryLimit);
    if (!plan)
      return fn.emitError() << llvm::toString(plan.takeError());
    for (auto [op, choice] : llvm::zip(linears, plan->choices))
      if (!op.getSharding())
        op.setShardingAttr(ShardingKindAttr::get(module.getContext(), choice));
  }
  return success();
}

void mlir::tp::plan::printDot(llvm::raw_ostream &os, const Chain &c,
                              const Plan &best) {
  auto escape = [](const std::string &text) {
    std::string out;
    for (char ch : text) {
      if (ch == '"' || ch == '\\')
        out.push_back('\\');
      out.push_back(ch);
    }
    return out;
  };
  os << "digraph plan {\n  rankdir=TB;\n  node [shape=box, "
        "fontname=\"monospace\"];\n";
  if (c.layers.empty()) {
    os << fmt::format("  label=\"{} devices, batch {}: no tp.linear layers "
                      "to plan\";\n  input [shape=ellipse];\n  output "
                      "[shape=ellipse];\n  input -> output;\n}}\n",
                      c.devices, c.batch);
    return;
  }
  os << fmt::format("  label=\"{} devices, batch {}: {:.4g} ms predicted, "
                    "peak {} per device\";\n",
                    c.devices, c.batch, 1e3 * best.seconds,
                    formatBytes(double(best.peakBytes)));
  os << fmt::format("  input [shape=ellipse, label=\"input\\n{}x{}, "
                    "replicated\"];\n",
                    c.batch, c.layers.front().in);
  std::string previous = "input";
  std::string edge = "";
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const Layer &l = c.layers[i];
    const LayerCost &cost = best.layers[i];
    std::string name = fmt::format("layer{}", i);
    os << fmt::format(
        "  {} [label=\"{}\\n{}x{} {}{}\\ncompute {:.4g} ms\\nweights {} "
        "per device\"];\n",
        name, escape(l.name.empty() ? fmt::format("layer {}", i) : l.name),
        l.out, l.in, stringifyShardingKind(best.choices[i]).str(),
        l.fixed ? " (by hand)" : "", 1e3 * cost.compute,
        formatBytes(double(cost.weightBytes)));
    os << fmt::format("  {} -> {}{};\n", previous, name, edge);
    previous = name;
    edge = cost.collective.empty()
               ? ""
               : fmt::format(" [label=\"{}\\n{}, {:.4g} ms\"]", cost.collective,
                             formatBytes(double(cost.collectiveBytes)),
                             1e3 * cost.communication);
  }
  os << fmt::format("  output [shape=ellipse, label=\"output\\n{}x{}, "
                    "replicated\"];\n",
                    c.batch, c.layers.back().out);
  os << fmt::format("  {} -> output{};\n}}\n", previous, edge);
}
