//===- tp-bench.cpp - tp-mlir against OpenBLAS and oneDNN -----------------===//
//
//   tp-bench gemm                 local GEMM GFLOP/s at 1 thread
//   tp-bench chain --threads T    the two benchmark chains at T threads/devices
//   tp-bench ratios               D=2 / D=1 and D=2 / oneDNN, interleaved
//   tp-bench collectives          threads all_reduce / all_gather vs memcpy
//
// Every figure is the median of several timed runs after a warm-up, and
// baselines run in the same process, so ratios are comparable even on a
// shared, noisy machine. bench/run.sh runs everything and unsets
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE first.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Registration/Registration.h"
#include "tp-mlir/Runtime/Communicator.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cblas.h>
#include <dnnl.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <omp.h>
#include <optional>

using namespace mlir;
using namespace mlir::tp;

namespace {
/// Median seconds of `reps` runs of `fn` after one warm-up run.
double medianSeconds(const std::function<void()> &fn, int reps) {
  fn();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// A chain of `layers` dense layers of width x width at `batch`, with bias
/// and ReLU when `biasRelu`.
std::string chainSource(int layers, int width, int batch, bool biasRelu) {
  std::string t = fmt::format("tensor<{}x{}xf32>", batch, width);
  std::string w = fmt::format("tensor<{}x{}xf32>", width, width);
  std::string b = fmt::format("tensor<{}xf32>", width);
  std::string args = "%x: " + t, body;
  std::string value = "%x";
  for (int i = 0; i < layers; ++i) {
    args += fmt::format(", %w{0}: {1} {{tp.name = \"w{0}\"}}", i, w);
    if (biasRelu)
      args += fmt::format(", %b{0}: {1} {{tp.name = \"b{0}\"}}", i, b);
    body += fmt::format("    %h{0} = tp.linear {1}, %w{0}{2}{3} : {4}, {5}{6} "
                        "-> {4}\n",
                        i, value, biasRelu ? fmt::format(", %b{}", i) : "",
                        biasRelu ? " activation(relu)" : "", t, w,
                        biasRelu ? ", " + b : "");
    value = fmt::format("%h{}", i);
  }
  return fmt::format(
      "func.func @chain({}) -> {} {{\n{}    return {} : {}\n}}\n", args, t,
      body, value, t);
}

struct Chain {
  int layers, width, batch;
  bool biasRelu;
  double gflop() const {
    return 2.0 * layers * double(batch) * width * width / 1e9;
  }
  SmallVector<Tensor> args() const {
    SmallVector<Tensor> a{Tensor::random({batch, width}, 1, 0, 1.0f)};
    float scale = 1.0f / std::sqrt(float(width));
    for (int i = 0; i < layers; ++i) {
      a.push_back(Tensor::random({width, width}, 1, 1 + 2 * i, scale));
      if (biasRelu)
        a.push_back(Tensor::random({width}, 1, 2 + 2 * i, scale));
    }
    return a;
  }
};

/// tp-mlir: partition and compile the chain for `devices` threads; returns
/// one run of it (null on failure).
std::function<void()> prepareTP(MLIRContext &context, const Chain &c,
                                int devices, const std::string &strategy,
                                const std::string &matmul) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      chainSource(c.layers, c.width, c.batch, c.biasRelu), &context);
  PassManager pm(&context);
  PartitionPipelineOptions options;
  options.devices = devices;
  options.strategy = strategy;
  addTPPartitionPipeline(pm, options);
  if (!module || failed(pm.run(*module)))
    return nullptr;
  CPUCompileOptions compile;
  compile.matmul = matmul;
  auto model = CPUModel::compile(*module, "chain", compile);
  if (failed(model))
    return nullptr;
  auto fn = cast<FunctionOpInterface>(module->lookupSymbol("chain"));
  auto rankArgs = shardArguments(fn, c.args());
  if (failed(rankArgs))
    return nullptr;
  std::shared_ptr<CPUModel> shared = std::move(*model);
  auto args = std::make_shared<RankTensors>(std::move(*rankArgs));
  return [shared, args] {
    std::string error;
    if (failed(shared->run(*args, nullptr, error)))
      fmt::print(stderr, "tp-bench: {}\n", error);
  };
}

double timeTP(MLIRContext &context, const Chain &c, int devices,
              const std::string &strategy, const std::string &matmul,
              int reps) {
  std::function<void()> run = prepareTP(context, c, devices, strategy, matmul);
  return run ? medianSeconds(run, reps) : -1;
}

/// y = relu(x W^T + b) for each layer with cblas_sgemm and a plain loop.
double timeOpenBLAS(const Chain &c, int threads, int reps) {
  openblas_set_num_threads(threads);
  SmallVector<Tensor> a = c.args();
  std::vector<float> x(a[0].data), y(x.size());
  int stride = c.biasRelu ? 2 : 1;
  double t = medianSeconds(
      [&] {
        std::copy(a[0].data.begin(), a[0].data.end(), x.begin());
        for (int l = 0; l < c.layers; ++l) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c.batch, c.width,
                      c.width, 1.0f, x.data(), c.width,
                      a[1 + stride * l].data.data(), c.width, 0.0f, y.data(),
                      c.width);
          if (c.biasRelu) {
            const float *b = a[2 + stride * l].data.data();
            for (int i = 0; i < c.batch; ++i)
              for (int j = 0; j < c.width; ++j)
                y[i * c.width + j] = std::max(y[i * c.width + j] + b[j], 0.0f);
          }
          std::swap(x, y);
        }
      },
      reps);
  openblas_set_num_threads(1);
  return t;
}

/// oneDNN inner products with bias and a ReLU post-op; weights reordered
/// once, outside the timing, into oneDNN's preferred layout. Returns one
/// forward pass.
std::function<void()> prepareOneDNN(const Chain &c) {
  using namespace dnnl;
  struct State {
    engine eng{engine::kind::cpu, 0};
    stream st{eng};
    SmallVector<Tensor> a;
    std::vector<memory> weights, biases;
    std::vector<float> zeros, x, y;
    std::optional<inner_product_forward> prim;
    std::optional<memory> xm, ym;
  };
  auto s = std::make_shared<State>();
  s->a = c.args();
  using tag = memory::format_tag;
  auto f32 = memory::data_type::f32;
  memory::dims xd{c.batch, c.width}, wd{c.width, c.width}, bd{c.width};
  memory::desc src(xd, f32, tag::nc), dst(xd, f32, tag::nc);
  memory::desc wAny(wd, f32, tag::any), bias(bd, f32, tag::x);
  post_ops po;
  if (c.biasRelu)
    po.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
  primitive_attr attr;
  attr.set_post_ops(po);
  auto pd = inner_product_forward::primitive_desc(
      inner_product_forward::desc(prop_kind::forward_inference, src, wAny, bias,
                                  dst),
      attr, s->eng);
  s->prim.emplace(pd);
  s->zeros.assign(c.width, 0.0f);
  int stride = c.biasRelu ? 2 : 1;
  for (int l = 0; l < c.layers; ++l) {
    memory user({wd, f32, tag::oi}, s->eng, s->a[1 + stride * l].data.data());
    memory w(pd.weights_desc(), s->eng);
    reorder(user, w).execute(s->st, user, w);
    s->weights.push_back(w);
    s->biases.emplace_back(memory::desc(bd, f32, tag::x), s->eng,
                           c.biasRelu ? s->a[2 + stride * l].data.data()
                                      : s->zeros.data());
  }
  s->st.wait();
  s->x = s->a[0].data;
  s->y.resize(s->x.size());
  s->xm.emplace(src, s->eng, s->x.data());
  s->ym.emplace(dst, s->eng, s->y.data());
  int layers = c.layers;
  return [s, layers] {
    for (int l = 0; l < layers; ++l)
      s->prim->execute(s->st, {{DNNL_ARG_SRC, l % 2 ? *s->ym : *s->xm},
                               {DNNL_ARG_WEIGHTS, s->weights[l]},
                               {DNNL_ARG_BIAS, s->biases[l]},
                               {DNNL_ARG_DST, l % 2 ? *s->xm : *s->ym}});
    s->st.wait();
  };
}

double timeOneDNN(const Chain &c, int threads, int reps) {
  omp_set_num_threads(threads);
  return medianSeconds(prepareOneDNN(c), reps);
}

void gemm(MLIRContext &context) {
  openblas_set_num_threads(1);
  fmt::print("## Local GEMM, 1 thread: y = x W^T (x: M x K, W: N x K)\n\n");
  fmt::print("| M | K = N | OpenBLAS GFLOP/s | tp-mlir blas GFLOP/s | ratio "
             "| tp-mlir codegen GFLOP/s | ratio |\n|---|---|---|---|---|---|"
             "---|\n");
  for (int m : {256, 1024})
    for (int kn : {1024, 4096}) {
      Chain c{1, kn, m, false};
      int reps = kn == 4096 ? 3 : 7;
      double blas = c.gflop() / timeOpenBLAS(c, 1, reps);
      double tp = c.gflop() / timeTP(context, c, 1, "row", "blas", reps);
      double g = c.gflop() / timeTP(context, c, 1, "row", "codegen", reps);
      std::string codegen = fmt::format("{:.1f}", g);
      std::string ratio = fmt::format("{:.3f}", g / blas);
      fmt::print("| {} | {} | {:.1f} | {:.1f} | {:.3f} | {} | {} |\n", m, kn,
                 blas, tp, tp / blas, codegen, ratio);
    }
}

void chains(MLIRContext &context, int threads) {
  Chain list[] = {{4, 4096, 1024, true}, {8, 1024, 256, true}};
  fmt::print("## Chains at {} thread(s)\n\n| chain | implementation | ms | "
             "GFLOP/s |\n|---|---|---|---|\n",
             threads);
  for (const Chain &c : list) {
    std::string name =
        fmt::format("{}x{} batch {}", c.layers, c.width, c.batch);
    int reps = c.width == 4096 ? 3 : 9;
    auto row = [&](const std::string &impl, double seconds) {
      fmt::print("| {} | {} | {:.2f} | {:.1f} |\n", name, impl, seconds * 1e3,
                 c.gflop() / seconds);
    };
    row(fmt::format("OpenBLAS, {} thread(s)", threads),
        timeOpenBLAS(c, threads, reps));
    row(fmt::format("oneDNN, {} thread(s)", threads),
        timeOneDNN(c, threads, reps));
    for (const char *s : {"alternate", "row", "column", "replicated"})
      row(fmt::format("tp-mlir D={} {}", threads, s),
          timeTP(context, c, threads, s, "blas", reps));
  }
}

/// D=2 against D=1 and against oneDNN at 2 threads, interleaved: every
/// round times each implementation once, so that load from elsewhere on a
/// shared machine hits all of them alike; the medians over the rounds give
/// the ratios.
void ratios(MLIRContext &context) {
  Chain list[] = {{4, 4096, 1024, true}, {8, 1024, 256, true}};
  fmt::print("## Scaling and oneDNN, interleaved\n\n| chain | strategy | "
             "tp-mlir D=1 ms | tp-mlir D=2 ms | D=2 / D=1 speedup | oneDNN 2 "
             "threads ms | D=2 / oneDNN |\n|---|---|---|---|---|---|---|\n");
  for (const Chain &c : list) {
    int rounds = c.width == 4096 ? 5 : 15;
    for (const char *strategy : {"alternate", "column"}) {
      double d1 = 0, d2 = 0, dnnl = 0;
      std::vector<double> t1, t2, t3;
      std::function<void()> run1 = prepareTP(context, c, 1, strategy, "blas");
      std::function<void()> run2 = prepareTP(context, c, 2, strategy, "blas");
      omp_set_num_threads(2);
      std::function<void()> run3 = prepareOneDNN(c);
      if (!run1 || !run2)
        continue;
      run1();
      run2();
      run3();
      auto once = [](const std::function<void()> &fn) {
        auto start = std::chrono::steady_clock::now();
        fn();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
            .count();
      };
      for (int r = 0; r < rounds; ++r) {
        t1.push_back(once(run1));
        t2.push_back(once(run2));
        t3.push_back(once(run3));
      }
      auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
      };
      d1 = median(t1);
      d2 = median(t2);
      dnnl = median(t3);
      fmt::print("| {}x{} batch {} | {} | {:.2f} | {:.2f} | {:.3f} | {:.2f} | "
                 "{:.3f} |\n",
                 c.layers, c.width, c.batch, strategy, d1 * 1e3, d2 * 1e3,
                 d1 / d2, dnnl * 1e3, dnnl / d2);
    }
  }
}

void collectives() {
  const int64_t bytes = 16 << 20, count = bytes / 4;
  const int reps = 20;
  std::vector<float> src(count, 1.0f), dst(count);
  double memcpyS =
      medianSeconds([&] { std::memcpy(dst.data(), src.data(), bytes); }, reps);
  fmt::print("## Collectives, 16 MiB, threads backend, D = 2\n\n| op | GB/s "
             "| ratio to memcpy |\n|---|---|---|\n");
  fmt::print("| memcpy 16 MiB | {:.2f} | 1.000 |\n", bytes / memcpyS / 1e9);
  for (const char *op : {"all_reduce", "all_gather"}) {
    auto group = rt::ThreadGroup::create(2);
    std::vector<double> seconds(2);
    group->run([&](rt::Communicator &comm) {
      std::vector<float> in(count, 1.0f + comm.rank()), out(count);
      seconds[comm.rank()] = medianSeconds(
          [&] {
            if (std::string(op) == "all_reduce")
              comm.allReduce(in.data(), out.data(), count, rt::Reduction::Sum);
            else
              comm.allGather(in.data(), out.data(), 1, count / 2, 1);
          },
          reps);
    });
    double s = std::max(seconds[0], seconds[1]);
    fmt::print("| {} (16 MiB result per rank) | {:.2f} | {:.3f} |\n", op,
               bytes / s / 1e9, memcpyS / s);
  }
}
} // namespace

int main(int argc, char **argv) {
  DialectRegistry registry;
  registerModelDialects(registry);
  registerCPUBackendDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string what = argc > 1 ? argv[1] : "";
  if (what == "gemm") {
    gemm(context);
  } else if (what == "chain" && argc == 4 &&
             std::string(argv[2]) == "--threads") {
    chains(context, std::atoi(argv[3]));
  } else if (what == "ratios") {
    ratios(context);
  } else if (what == "collectives") {
    collectives();
  } else {
    fmt::print(stderr, "usage: tp-bench gemm | chain --threads T | ratios | "
                       "collectives\n");
    return 1;
  }
  return 0;
}
