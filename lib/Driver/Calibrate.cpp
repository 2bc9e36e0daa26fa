//===- Calibrate.cpp - measure this machine for the planner ---------------===//
//
// The figures the planner's cost model needs, measured here with what the
// CPU backend runs: the runtime's sgemm at one thread for four GEMM sizes
// (the size classes' boundaries lie between them, geometrically), a bias
// and relu pass over 64 MiB, and the threads backend's all_gather between
// two ranks at 4 KiB (the latency) and 16 MiB (the bandwidth). Each figure
// is the median of repeated runs after a warm-up.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Runtime/BLASKernels.h"
#include "tp-mlir/Runtime/ThreadGroup.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

using namespace mlir;
using namespace mlir::tp;

namespace {
/// The median seconds of `body` over at least 3 runs and about `budget`
/// seconds, after one warm-up run.
template <typename F> double medianSeconds(F body, double budget = 0.3) {
  body();
  std::vector<double> times;
  double total = 0;
  while (times.size() < 3 || (total < budget && times.size() < 200)) {
    auto start = std::chrono::steady_clock::now();
    body();
    double t = std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    times.push_back(t);
    total += t;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
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

llvm::Expected<plan::MachineProfile>
mlir::tp::calibrateMachine(llvm::raw_ostream &log) {
  plan::MachineProfile p;
  // GEMMs y = x W^T of the shapes dense layers have.
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{8, 64, 64}, {64, 256, 256}, {256, 1024, 1024},
                          {1024, 2048, 2048}};
  std::vector<double> flops, rates;
  for (const Shape &s : shapes) {
    std::vector<float> x(s.m * s.k, 0.5f), w(s.n * s.k, 0.25f),
        y(s.m * s.n, 0.0f);
    auto xv = view(x, s.m, s.k), wv = view(w, s.n, s.k), yv = view(y, s.m, s.n);
    double seconds =
        medianSeconds([&] { _mlir_ciface_tp_rt_matmul_nt(&xv, &wv, &yv); });
    double f = 2.0 * s.m * s.n * s.k;
    flops.push_back(f);
    rates.push_back(f / seconds);
    log << fmt::format("  sgemm {}x{}x{}: {:.1f} GFLOP/s\n", s.m, s.n, s.k,
                       f / seconds / 1e9);
  }
  for (size_t i = 0; i < flops.size(); ++i)
    p.gemm.push_back({i + 1 < flops.size()
                          ? std::sqrt(flops[i] * flops[i + 1])
                          : std::numeric_limits<double>::infinity(),
                      rates[i]});

  // Bias and relu over 16 M floats: 8 bytes per element.
  {
    const int64_t n = 16 << 20;
    std::vector<float> y(n, 1.0f), b(1024, 0.5f);
    double seconds = medianSeconds([&] {
      for (int64_t i = 0; i < n; ++i)
        y[i] = std::max(y[i] + b[i & 1023], 0.0f) - 1.0f;
    });
    p.elementwiseBytesPerSecond = 8.0 * n / seconds;
    log << fmt::format("  bias + relu: {:.2f} GB/s\n",
                       p.elementwiseBytesPerSecond / 1e9);
  }

  // all_gather between two thread ranks.
  auto group = rt::ThreadGroup::create(2);
  auto gather = [&](int64_t floats) {
    std::vector<std::vector<float>> in(2, std::vector<float>(floats, 1.0f));
    std::vector<std::vector<float>> out(2,
                                        std::vector<float>(2 * floats, 0.0f));
    double seconds = 0;
    bool ok = group->run([&](rt::Communicator &comm) {
      int64_t r = comm.rank();
      double t = medianSeconds([&] {
        comm.allGather(in[r].data(), out[r].data(), 1, floats, 1);
      });
      if (r == 0)
        seconds = t;
    });
    return ok ? seconds : -1.0;
  };
  double small = gather(512); // 4 KiB in all
  double large = gather(2 << 20); // 16 MiB in all
  if (small <= 0 || large <= 0)
    return llvm::createStringError(std::errc::io_error,
                                   "calibration: the collectives failed: %s",
                                   group->error().c_str());
  // all_gather on D ranks: (D - 1) alpha + (D - 1) / D * bytes / bandwidth.
  p.collectiveLatency = small;
  double bytes = 4.0 * (4 << 20);
  p.collectiveBytesPerSecond = 0.5 * bytes / std::max(large - small, 1e-9);
  log << fmt::format("  all_gather, 2 ranks: {:.1f} us at 4 KiB, {:.2f} GB/s "
                     "at 16 MiB\n",
                     1e6 * small, p.collectiveBytesPerSecond / 1e9);
  p.source = "calibrated by tp-run --calibrate";
  return p;
}
