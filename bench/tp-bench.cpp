//===- tp-bench.cpp - tp-mlir against OpenBLAS and oneDNN -----------------===//
//
//   tp-bench gemm                 local GEMM GFLOP/s at 1 thread
//   tp-bench chain --threads T    the two benchmark chains at T threads/devices
//   tp-bench ratios               D=2 / D=1 and D=2 / oneDNN, interleaved
//   tp-bench collectives          threads all_reduce / all_gather vs memcpy
//   tp-bench packed-weights       weights packed ahead vs by every call
//   tp-bench peak                 the machine's FP32 FMA peak, 1 and 2 cores
//   mpirun -np 2 tp-bench mpi-chains
//                                 the chains on MPI D=2 against threads D=2
//                                 and D=1, interleaved
//   mpirun -np 2 tp-bench mpi-collectives
//                                 the MPI backend's all_reduce / all_gather
//                                 against MPI_Allreduce / MPI_Allgather
//                                 called directly, and memcpy
//
// Every figure is the median of several timed runs after a warm-up, and
// baselines run in the same process, so ratios are comparable even on a
// shared, noisy machine. bench/run.sh runs everything and unsets
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE first.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Runtime/RuntimeABI.h"
#include "tp-mlir/Runtime/ThreadGroup.h"
#include "tp-mlir/Support/Limits.h"
#ifdef TP_ENABLE_MPI
#include "tp-mlir/Runtime/MPIGroup.h"
#endif

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cblas.h>
#include <dnnl.hpp>
#ifdef TP_ENABLE_MPI
#include <mpi.h>
#endif
#include <fmt/format.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <omp.h>
#include <optional>
#include <thread>

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

/// One forward pass of tp-mlir, prepared: each call runs it once on every
/// rank of the executor and returns the slowest rank's seconds.
struct PreparedTP {
  std::unique_ptr<Model> model;
  std::unique_ptr<PartitionedModel> program;
  std::unique_ptr<ArgumentSource> arguments;
  std::unique_ptr<CPUModel> compiled;
  std::unique_ptr<Session> session;
  rt::Executor *executor = nullptr;
  std::unique_ptr<rt::Executor> ownedExecutor;

  double operator()(int64_t warmup = 0) {
    std::string error;
    RunOptions options;
    options.warmup = warmup;
    FailureOr<RunResult> result = session->run(*executor, options, error);
    if (failed(result)) {
      fmt::print(stderr, "tp-bench: {}\n", error);
      std::exit(1);
    }
    return result->msPerIteration / 1e3;
  }
};

/// tp-mlir: partition and compile the chain for `devices` ranks of
/// `executor` (threads of this process when null) through the driver.
std::shared_ptr<PreparedTP> prepareTP(MLIRContext &context, const Chain &c,
                                      int devices, PartitionStrategy strategy,
                                      MatmulLowering matmul,
                                      rt::Executor *executor = nullptr,
                                      bool packWeightsAhead = true) {
  auto tp = std::make_shared<PreparedTP>();
  FailureOr<Model> model = Model::adopt(
      parseSourceString<ModuleOp>(
          chainSource(c.layers, c.width, c.batch, c.biasRelu), &context),
      "chain", "chain");
  if (failed(model))
    return nullptr;
  tp->model = std::make_unique<Model>(std::move(*model));
  PlannerOptions plan;
  plan.batch = c.batch;
  plan.matmul = matmul;
  FailureOr<PartitionedModel> program = PartitionedModel::create(
      *tp->model, devices, strategy, /*optimizeCollectives=*/true, plan);
  if (failed(program))
    return nullptr;
  tp->program = std::make_unique<PartitionedModel>(std::move(*program));
  ArgumentOptions argumentOptions;
  argumentOptions.seed = 1;
  argumentOptions.batch = c.batch;
  llvm::Expected<ArgumentSource> arguments =
      ArgumentSource::create(*tp->model, argumentOptions);
  if (!arguments) {
    llvm::consumeError(arguments.takeError());
    return nullptr;
  }
  tp->arguments = std::make_unique<ArgumentSource>(std::move(*arguments));
  CompileOptions compileOptions;
  compileOptions.matmul = matmul;
  compileOptions.profile = false;
  compileOptions.packWeightsAhead = packWeightsAhead;
  auto compiled = compileForCPU(*tp->program, compileOptions);
  if (failed(compiled))
    return nullptr;
  tp->compiled = std::move(*compiled);
  tp->session = std::make_unique<Session>(*tp->model, *tp->program,
                                          *tp->arguments, tp->compiled.get());
  if (!executor) {
    tp->ownedExecutor = rt::ThreadGroup::create(devices);
    executor = tp->ownedExecutor.get();
  }
  tp->executor = executor;
  return tp;
}

/// Median seconds of `reps` runs of a prepared tp-mlir pass, after one
/// warm-up run (which also makes the arguments).
double medianTP(PreparedTP &tp, int reps) {
  tp();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i)
    times.push_back(tp());
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double timeTP(MLIRContext &context, const Chain &c, int devices,
              PartitionStrategy strategy, MatmulLowering matmul, int reps,
              bool packWeightsAhead = true) {
  std::shared_ptr<PreparedTP> tp = prepareTP(context, c, devices, strategy,
                                             matmul, nullptr, packWeightsAhead);
  return tp ? medianTP(*tp, reps) : -1;
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
  // The generated matmul as tp-run runs it (W packed once, where the
  // driver places it), and packing W on every call as OpenBLAS does.
  fmt::print("| M | K = N | OpenBLAS GFLOP/s | tp-mlir blas GFLOP/s | ratio "
             "| tp-mlir codegen GFLOP/s | ratio | codegen, W packed by every "
             "call | ratio |\n|---|---|---|---|---|---|---|---|---|\n");
  for (int m : {256, 1024})
    for (int kn : {1024, 4096}) {
      Chain c{1, kn, m, false};
      int reps = kn == 4096 ? 3 : 7;
      double blas = c.gflop() / timeOpenBLAS(c, 1, reps);
      double tp = c.gflop() / timeTP(context, c, 1, PartitionStrategy::row,
                                     MatmulLowering::blas, reps);
      double g = c.gflop() / timeTP(context, c, 1, PartitionStrategy::row,
                                    MatmulLowering::codegen, reps);
      double perCall = c.gflop() / timeTP(context, c, 1, PartitionStrategy::row,
                                          MatmulLowering::codegen, reps,
                                          /*packWeightsAhead=*/false);
      fmt::print("| {} | {} | {:.1f} | {:.1f} | {:.3f} | {:.1f} | {:.3f} | "
                 "{:.1f} | {:.3f} |\n",
                 m, kn, blas, tp, tp / blas, g, g / blas, perCall,
                 perCall / blas);
    }
}

void chains(MLIRContext &context, int threads) {
  Chain list[] = {{4, 4096, 1024, true}, {8, 1024, 256, true}};
  fmt::print("## Chains at {} thread(s)\n\ntp-mlir with its default lowering "
             "(`--matmul auto`); auto is the planner's plan.\n\n| chain | "
             "implementation | ms | "
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
    for (PartitionStrategy s :
         {PartitionStrategy::alternate, PartitionStrategy::row,
          PartitionStrategy::column, PartitionStrategy::replicated,
          PartitionStrategy::planned})
      row(fmt::format("tp-mlir D={} {}", threads,
                      stringifyPartitionStrategy(s).str()),
          timeTP(context, c, threads, s, MatmulLowering::automatic, reps));
  }
}

/// D=2 against D=1 and against oneDNN at 2 threads, interleaved: every
/// round times each implementation once, so that load from elsewhere on a
/// shared machine hits all of them alike; the medians over the rounds give
/// the ratios. Each timed pass follows an untimed one of the same
/// implementation, as tp-run's --warmup does: the first pass of D = 2 right
/// after a pass of D = 1 ran 10-25% slower than the next (neither a flushed
/// cache, 50 ms of idle cores nor ranks pinned to cores changed that;
/// docs/performance.md). The last column keeps that case.
void ratios(MLIRContext &context) {
  Chain list[] = {{4, 4096, 1024, true}, {8, 1024, 256, true}};
  fmt::print(
      "## Scaling and oneDNN, interleaved\n\ntp-mlir with `--matmul "
      "auto`; auto is the planner's plan. Each round times one pass of each "
      "after an untimed one (oneDNN too), then D = 1 and D = 2 once more "
      "without one, D = 2 right after D = 1 (the last column).\n\n| chain | "
      "strategy | tp-mlir D=1 ms | tp-mlir D=2 ms | D=2 / D=1 speedup | "
      "oneDNN 2 threads ms | D=2 / oneDNN | D=2 / D=1, no untimed pass "
      "|\n|---|---|---|---|---|---|---|---|\n");
  for (const Chain &c : list) {
    int rounds = c.width == 4096 ? 5 : 15;
    for (PartitionStrategy strategy :
         {PartitionStrategy::alternate, PartitionStrategy::column,
          PartitionStrategy::planned}) {
      std::vector<double> t1, t2, t3, cold1, cold2;
      auto run1 = prepareTP(context, c, 1, strategy, MatmulLowering::automatic);
      auto run2 = prepareTP(context, c, 2, strategy, MatmulLowering::automatic);
      omp_set_num_threads(2);
      std::function<void()> run3 = prepareOneDNN(c);
      if (!run1 || !run2)
        continue;
      auto once = [](const std::function<void()> &fn) {
        auto start = std::chrono::steady_clock::now();
        fn();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
            .count();
      };
      for (int r = 0; r < rounds; ++r) {
        t1.push_back((*run1)(/*warmup=*/1));
        t2.push_back((*run2)(/*warmup=*/1));
        run3();
        t3.push_back(once(run3));
        cold1.push_back((*run1)());
        cold2.push_back((*run2)());
      }
      auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
      };
      double d1 = median(t1), d2 = median(t2), dnnl = median(t3);
      fmt::print("| {}x{} batch {} | {} | {:.2f} | {:.2f} | {:.3f} | {:.2f} | "
                 "{:.3f} | {:.3f} |\n",
                 c.layers, c.width, c.batch,
                 stringifyPartitionStrategy(strategy).str(), d1 * 1e3, d2 * 1e3,
                 d1 / d2, dnnl * 1e3, dnnl / d2, median(cold1) / median(cold2));
    }
  }
}

/// The generated matmul's weights packed once, where the driver places
/// them, against packed by every call (fused into the matmul's K loop), on
/// the 8 x 1024 chain at batch 256, whose GEMMs are all generated; D = 1
/// and 2, interleaved round by round.
void packedWeights(MLIRContext &context) {
  Chain c{8, 1024, 256, true};
  fmt::print("## Weights packed ahead\n\n{}x{} batch {}, bias and ReLU, "
             "alternate, `--matmul auto` (every GEMM generated).\n\n| D | "
             "W packed by every call ms | W packed ahead ms | speedup "
             "|\n|---|---|---|---|\n",
             c.layers, c.width, c.batch);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  for (int devices : {1, 2}) {
    auto perCall = prepareTP(context, c, devices, PartitionStrategy::alternate,
                             MatmulLowering::automatic, nullptr,
                             /*packWeightsAhead=*/false);
    auto ahead = prepareTP(context, c, devices, PartitionStrategy::alternate,
                           MatmulLowering::automatic);
    if (!perCall || !ahead)
      continue;
    (*perCall)();
    (*ahead)();
    std::vector<double> t1, t2;
    for (int r = 0; r < 15; ++r) {
      t1.push_back((*perCall)());
      t2.push_back((*ahead)());
    }
    fmt::print("| {} | {:.2f} | {:.2f} | {:.3f} |\n", devices, median(t1) * 1e3,
               median(t2) * 1e3, median(t1) / median(t2));
  }
}

void collectives() {
  const int64_t bytes = 16 << 20, count = bytes / 4;
  const int rounds = 21;
  // Each round times, in one group of two ranks: a memcpy on rank 0 alone
  // (rank 1 waits), a memcpy on both cores at once, an all_reduce and an
  // all_gather (each rank's time, the slower rank's kept). Every figure is
  // the median over the rounds, and every ratio the median of each round's
  // ratio to that round's memcpy, so that load from outside (the machine is
  // shared) moves a figure and its baseline alike: timed phase by phase,
  // as before, the ratios moved from 0.3 to 1.1 between runs.
  // The copies on both cores bound the collectives when one copy already
  // fills the memory system: an all_reduce at D = 2 moves twice a memcpy's
  // bytes in all (each rank reads both inputs' halves and writes both
  // outputs' halves).
  enum Kind { Single, Both, Reduce, Gather, Kinds };
  using Times = std::array<double, Kinds>;
  std::vector<std::vector<Times>> times(2, std::vector<Times>(rounds));
  auto group = rt::ThreadGroup::create(2);
  group->run([&](rt::Communicator &comm) {
    int64_t rank = comm.rank();
    std::vector<float> in(count, 1.0f + rank), out(count), copy(count);
    // Two barriers: a rank that slept in the first (waiting for the other
    // to finish the previous op) is awake when the second releases both,
    // so its wake-up is not timed as part of the op.
    auto timed = [&](const std::function<void()> &fn) {
      comm.barrier();
      comm.barrier();
      auto start = std::chrono::steady_clock::now();
      fn();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
          .count();
    };
    auto memcpy = [&] { std::memcpy(copy.data(), in.data(), bytes); };
    for (int r = -1; r < rounds; ++r) { // round -1 warms up
      Times t;
      t[Single] = timed([&] {
        if (rank == 0)
          memcpy();
      });
      t[Both] = timed(memcpy);
      t[Reduce] = timed([&] {
        comm.allReduce(in.data(), out.data(), count, rt::Reduction::Sum);
      });
      t[Gather] = timed(
          [&] { comm.allGather(in.data(), out.data(), 1, count / 2, 1); });
      if (r >= 0)
        times[rank][r] = t;
    }
  });
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto slowest = [&](int r, Kind k) {
    return std::max(times[0][r][k], times[1][r][k]);
  };
  fmt::print("## Collectives, 16 MiB, threads backend, D = 2\n\n| op | GB/s "
             "| ratio to memcpy |\n|---|---|---|\n");
  const char *names[Kinds] = {"memcpy 16 MiB",
                              "memcpy 16 MiB on both cores at once (each)",
                              "all_reduce (16 MiB result per rank)",
                              "all_gather (16 MiB result per rank)"};
  for (int k = 0; k < Kinds; ++k) {
    std::vector<double> seconds, ratios;
    for (int r = 0; r < rounds; ++r) {
      seconds.push_back(slowest(r, Kind(k)));
      ratios.push_back(slowest(r, Single) / slowest(r, Kind(k)));
    }
    fmt::print("| {} | {:.2f} | {:.3f} |\n", names[k],
               bytes / median(seconds) / 1e9, median(ratios));
  }
  // Latency of a 4 KiB all_reduce: each call is two barriers, so what a
  // waiting rank does (poll, or sleep at once) decides it.
  const int64_t small = 1024;
  fmt::print("\n| 4 KiB all_reduce, D = 2 | median us per call |\n|---|---|\n");
  for (auto spin :
       {rt::ThreadGroup::kDefaultSpin, std::chrono::microseconds(0)}) {
    auto group = rt::ThreadGroup::create(2, rt::defaultTimeout(), spin);
    std::vector<double> seconds(2);
    group->run([&](rt::Communicator &comm) {
      std::vector<float> in(small, 1.0f), out(small);
      seconds[comm.rank()] = medianSeconds(
          [&] {
            comm.allReduce(in.data(), out.data(), small, rt::Reduction::Sum);
          },
          2001);
    });
    fmt::print("| {} | {:.1f} |\n",
               spin.count()
                   ? fmt::format("poll {} us, then sleep", spin.count())
                   : std::string("sleep at once"),
               std::max(seconds[0], seconds[1]) * 1e6);
  }
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

#ifdef TP_ENABLE_MPI
/// This process's rank of the MPI job that runs the MPI benchmarks.
rt::MPIGroup &mpiGroup() {
  static std::unique_ptr<rt::MPIGroup> group = [] {
    std::string error;
    auto created = rt::MPIGroup::create(error);
    if (!created) {
      fmt::print(stderr, "tp-bench: {}\n", error);
      std::exit(1);
    }
    return created;
  }();
  return *group;
}

/// The chains on MPI D=2 (one rank per process) against threads D=2 and
/// D=1, which rank 0 runs while rank 1 waits; interleaved round by round.
void mpiChains(MLIRContext &context) {
  rt::MPIGroup &group = mpiGroup();
  if (group.size() != 2) {
    fmt::print(stderr, "tp-bench: run mpi-chains with mpirun -np 2\n");
    std::exit(1);
  }
  bool root = group.rank() == 0;
  Chain list[] = {{4, 4096, 1024, true}, {8, 1024, 256, true}};
  if (root)
    fmt::print(
        "## MPI D=2 against threads, interleaved ({})\n\n| chain | "
        "MPI D=2 ms | threads D=2 ms | threads D=1 ms | threads D=2 ms / "
        "MPI D=2 ms | speedup MPI D=2 / D=1 |\n|---|---|---|---|---|---|\n",
        rt::getMPILibraryVersion());
  for (const Chain &c : list) {
    int rounds = c.width == 4096 ? 5 : 15;
    auto mpi = prepareTP(context, c, 2, PartitionStrategy::alternate,
                         MatmulLowering::automatic, &group);
    std::shared_ptr<PreparedTP> threads2, threads1;
    if (root) {
      threads2 = prepareTP(context, c, 2, PartitionStrategy::alternate,
                           MatmulLowering::automatic);
      threads1 = prepareTP(context, c, 1, PartitionStrategy::alternate,
                           MatmulLowering::automatic);
    }
    if (!mpi || (root && (!threads2 || !threads1))) {
      fmt::print(stderr, "tp-bench: the {}x{} chain does not compile\n",
                 c.layers, c.width);
      group.abort("the chain does not compile");
      std::exit(1);
    }
    std::vector<double> tm, t2, t1;
    (*mpi)();
    // While rank 0 times the threads runs, rank 1 must not spin in MPI's
    // progress loop (Open MPI polls), which would take the core that
    // threads D=2 needs: it sleeps until rank 0 says it is done.
    auto threadsRound = [&] {
      int done = 1;
      if (root) {
        t2.push_back((*threads2)());
        t1.push_back((*threads1)());
        MPI_Send(&done, 1, MPI_INT, 1, /*tag=*/7, MPI_COMM_WORLD);
        return;
      }
      int arrived = 0;
      while (!arrived) {
        MPI_Iprobe(0, 7, MPI_COMM_WORLD, &arrived, MPI_STATUS_IGNORE);
        if (!arrived)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      MPI_Recv(&done, 1, MPI_INT, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    };
    threadsRound(); // warm-up
    t1.clear();
    t2.clear();
    for (int r = 0; r < rounds; ++r) {
      tm.push_back((*mpi)());
      threadsRound();
    }
    if (root) {
      double m = median(tm), d2 = median(t2), d1 = median(t1);
      fmt::print("| {}x{} batch {} | {:.2f} | {:.2f} | {:.2f} | {:.3f} | "
                 "{:.3f} |\n",
                 c.layers, c.width, c.batch, m * 1e3, d2 * 1e3, d1 * 1e3,
                 d2 / m, d1 / m);
    }
  }
}

/// The MPI backend's collectives against MPI's own, called directly in the
/// same job, at 16 MiB and at 4 KiB, interleaved; and memcpy.
void mpiCollectives() {
  rt::MPIGroup &group = mpiGroup();
  int64_t ranks = group.size();
  bool root = group.rank() == 0;
  const int reps = 15;
  if (root)
    fmt::print("## Collectives, MPI backend, D = {} ({})\n\n| op | size | "
               "tp-mlir GB/s | MPI direct GB/s | tp-mlir / MPI | tp-mlir / "
               "memcpy |\n|---|---|---|---|---|---|\n",
               ranks, rt::getMPILibraryVersion());
  group.run([&](rt::Communicator &comm) {
    for (int64_t bytes : {int64_t(16) << 20, int64_t(4) << 10}) {
      int64_t count = bytes / 4;
      std::vector<float> src(count, 1.0f), dst(count);
      double memcpyS = medianSeconds(
          [&] { std::memcpy(dst.data(), src.data(), bytes); }, reps);
      std::string size = bytes >= (1 << 20)
                             ? fmt::format("{} MiB", bytes >> 20)
                             : fmt::format("{} KiB", bytes >> 10);
      for (const char *op : {"all_reduce", "all_gather"}) {
        bool reduce = std::string(op) == "all_reduce";
        int64_t part = count / ranks;
        std::vector<float> in(count, 1.0f + comm.rank()), out(count);
        auto ours = [&] {
          if (reduce)
            comm.allReduce(in.data(), out.data(), count, rt::Reduction::Sum);
          else
            comm.allGather(in.data(), out.data(), 1, part, 1);
        };
        auto direct = [&] {
          if (reduce)
            MPI_Allreduce(in.data(), out.data(), count, MPI_FLOAT, MPI_SUM,
                          MPI_COMM_WORLD);
          else
            MPI_Allgather(in.data(), part, MPI_FLOAT, out.data(), part,
                          MPI_FLOAT, MPI_COMM_WORLD);
        };
        // Each round times both; the slowest rank's time counts.
        auto timed = [&](const std::function<void()> &fn) {
          MPI_Barrier(MPI_COMM_WORLD);
          auto start = std::chrono::steady_clock::now();
          fn();
          double s = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
          MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_MAX,
                        MPI_COMM_WORLD);
          return s;
        };
        ours();
        direct();
        int rounds = bytes >= (1 << 20) ? reps : 200;
        std::vector<double> a, b;
        for (int r = 0; r < rounds; ++r) {
          a.push_back(timed(ours));
          b.push_back(timed(direct));
        }
        double sa = median(a), sb = median(b);
        if (root)
          fmt::print("| {} | {} | {:.2f} | {:.2f} | {:.3f} | {:.3f} |\n", op,
                     size, bytes / sa / 1e9, bytes / sb / 1e9, sb / sa,
                     memcpyS / sa);
        if (root && bytes < (1 << 20))
          fmt::print("| {} latency | {} | {:.1f} us | {:.1f} us | | |\n", op,
                     size, sa * 1e6, sb * 1e6);
      }
    }
  });
  if (!group.error().empty())
    fmt::print(stderr, "tp-bench: {}\n", group.error());
}
#endif // TP_ENABLE_MPI
#if defined(__x86_64__)
/// FLOPs of `iterations` rounds of 12 independent 8-wide FMA chains: enough
/// chains to cover the FMA latency on two pipes, so the loop runs at the
/// core's FMA throughput.
__attribute__((target("avx2,fma"))) double fmaChains(int64_t iterations) {
  __m256 acc[12];
  for (int k = 0; k < 12; ++k)
    acc[k] = _mm256_set1_ps(0.001f * k);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i)
    for (int k = 0; k < 12; ++k)
      acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  // Keep the result alive.
  __m256 sum = acc[0];
  for (int k = 1; k < 12; ++k)
    sum = _mm256_add_ps(sum, acc[k]);
  alignas(32) float out[8];
  _mm256_store_ps(out, sum);
  volatile float sink = out[0];
  (void)sink;
  return double(iterations) * 12 * 8 * 2;
}
#endif

/// The FP32 FMA peak of 1 and 2 cores, measured: the ceiling that the GEMM
/// and chain figures are read against.
void peak() {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    fmt::print("## FP32 peak\n\nno AVX2 FMA on this host\n");
    return;
  }
  const int64_t iterations = 200'000'000;
  fmt::print("## FP32 FMA peak (12 independent AVX2 FMA chains per core)\n\n"
             "| cores | GFLOP/s |\n|---|---|\n");
  for (int threads : {1, 2}) {
    std::vector<double> best(threads, 0);
    for (int round = 0; round < 3; ++round) {
      std::vector<std::thread> workers;
      std::vector<double> gflops(threads);
      for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
          auto start = std::chrono::steady_clock::now();
          double flops = fmaChains(iterations / 4);
          double s = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
          gflops[t] = flops / s / 1e9;
        });
      for (std::thread &w : workers)
        w.join();
      for (int t = 0; t < threads; ++t)
        best[t] = std::max(best[t], gflops[t]);
    }
    double total = 0;
    for (double g : best)
      total += g;
    fmt::print("| {} | {:.1f} |\n", threads, total);
  }
#else
  fmt::print("## FP32 peak\n\nnot measured on this architecture\n");
#endif
}
} // namespace

int main(int argc, char **argv) {
  // As tp-run does, for every measurement here (the baselines included).
  tp_rt_retain_freed_memory();
  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string what = argc > 1 ? argv[1] : "";
  if (what == "gemm") {
    gemm(context);
  } else if (what == "chain" && argc == 4 &&
             std::string(argv[2]) == "--threads") {
    // One rank per thread: the threads runtime's bound.
    int threads = 0;
    if (llvm::StringRef(argv[3]).getAsInteger(10, threads) || threads < 1 ||
        threads > kMaxThreadRanks) {
      fmt::print(stderr,
                 "tp-bench: --threads takes a whole number from 1 to {}, "
                 "got '{}'\n",
                 kMaxThreadRanks, argv[3]);
      return 1;
    }
    chains(context, threads);
  } else if (what == "ratios") {
    ratios(context);
  } else if (what == "collectives") {
    collectives();
  } else if (what == "packed-weights") {
    packedWeights(context);
  } else if (what == "peak") {
    peak();
#ifdef TP_ENABLE_MPI
  } else if (what == "mpi-chains") {
    mpiChains(context);
  } else if (what == "mpi-collectives") {
    mpiCollectives();
#endif
  } else {
    fmt::print(stderr, "usage: tp-bench gemm | chain --threads T | ratios | "
                       "collectives | packed-weights | peak | mpi-chains | "
                       "mpi-collectives\n");
    return 1;
  }
  return 0;
}
