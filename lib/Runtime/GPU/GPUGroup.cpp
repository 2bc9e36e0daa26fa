//===- GPUGroup.cpp - ranks on GPUs, and their communicators --------------===//
//
// A GPU collective is checked, then moved:
//
// 1. Every rank sends its call (op, call number, sizes, and its buffers'
//    device addresses) to every other over the host communicator (threads
//    or MPI), which also bounds the wait and names a rank that finished or
//    failed. All ranks then hold the same calls and reach the same verdict.
// 2. The data moves on the rank's stream: with NCCL (grouped send/recv and
//    one reduce per rank, so uneven shards need no padding), or, for ranks
//    that share one GPU, with device-to-device copies and reduction kernels
//    that read the other ranks' buffers directly. Before step 1 such a rank
//    waits for its stream, so that its input is complete when the others
//    read it, and after step 2 it waits again and passes a host barrier, so
//    that no buffer is freed while another rank reads it.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/GPU.h"

#include "../CollectiveCall.h"
#include "GPUState.h"
#include "tp-mlir/Runtime/ThreadGroup.h"
#include "tp-mlir/Support/BalancedSplit.h"
#include "tp-mlir/Support/Limits.h"

#include <nccl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

using namespace mlir::tp;
using namespace mlir::tp::rt;

namespace {
/// A call as it travels over the host communicator: 32-bit words in floats,
/// copied bit for bit by every host backend.
constexpr int64_t kHeaderWords = 16;

struct Header {
  CollectiveCall call;
  const float *in = nullptr;
  float *out = nullptr;
};

void pack(const Header &h, float *words) {
  uint32_t raw[kHeaderWords] = {0};
  auto put64 = [&](int at, uint64_t v) {
    raw[at] = static_cast<uint32_t>(v);
    raw[at + 1] = static_cast<uint32_t>(v >> 32);
  };
  raw[0] = static_cast<uint32_t>(h.call.op);
  put64(1, h.call.call);
  put64(3, static_cast<uint64_t>(h.call.a));
  put64(5, static_cast<uint64_t>(h.call.b));
  put64(7, static_cast<uint64_t>(h.call.c));
  raw[9] = static_cast<uint32_t>(h.call.reduction);
  put64(10, reinterpret_cast<uintptr_t>(h.in));
  put64(12, reinterpret_cast<uintptr_t>(h.out));
  put64(14, static_cast<uint64_t>(h.call.d));
  std::memcpy(words, raw, sizeof(raw));
}

Header unpack(const float *words) {
  uint32_t raw[kHeaderWords];
  std::memcpy(raw, words, sizeof(raw));
  auto get64 = [&](int at) {
    return static_cast<uint64_t>(raw[at]) |
           (static_cast<uint64_t>(raw[at + 1]) << 32);
  };
  Header h;
  h.call.op = static_cast<CollectiveOp>(raw[0]);
  h.call.call = get64(1);
  h.call.a = static_cast<int64_t>(get64(3));
  h.call.b = static_cast<int64_t>(get64(5));
  h.call.c = static_cast<int64_t>(get64(7));
  h.call.reduction = static_cast<int32_t>(raw[9]);
  h.in = reinterpret_cast<const float *>(static_cast<uintptr_t>(get64(10)));
  h.out = reinterpret_cast<float *>(static_cast<uintptr_t>(get64(12)));
  h.call.d = static_cast<int64_t>(get64(14));
  return h;
}

ncclRedOp_t toNccl(Reduction op) {
  switch (op) {
  case Reduction::Sum:
    return ncclSum;
  case Reduction::Prod:
    return ncclProd;
  case Reduction::Max:
    return ncclMax;
  case Reduction::Min:
    return ncclMin;
  }
  return ncclSum;
}

class GPUCommunicator final : public Communicator {
public:
  GPUCommunicator(GPURank &state, bool shared) : state(state), shared(shared) {}
  ~GPUCommunicator() override {
    // After a failure, work of this communicator may never finish, and
    // destroying it would wait for it.
    if (nccl && err.empty())
      ncclCommDestroy(nccl);
    else if (nccl)
      ncclCommAbort(nccl);
  }

  /// Starts a run over `hostComm`: call numbers and errors start afresh.
  void bind(Communicator &hostComm) {
    host = &hostComm;
    calls = 0;
    err.clear();
  }
  ncclComm_t nccl = nullptr;

  int64_t rank() const override { return host->rank(); }
  int64_t size() const override { return host->size(); }

  void allGather(const float *in, float *out, int64_t outer, int64_t extent,
                 int64_t inner, int64_t total = -1) override;
  void allReduce(const float *in, float *out, int64_t count,
                 Reduction op) override;
  void reduceScatter(const float *in, float *out, int64_t outer, int64_t total,
                     int64_t inner, Reduction op) override;
  void broadcast(float *buffer, int64_t count, int64_t root) override;
  /// GPU code lowers tp.all_to_all to an all_gather and a slice (the GPU
  /// ABI has no all_to_all entry), so nothing calls this.
  void allToAll(const float *, float *, const AllToAllShape &) override {
    fail("all_to_all is not implemented on GPU communicators; GPU code "
         "gathers and slices instead");
  }
  void barrier() override {
    checkCuda(cudaStreamSynchronize(state.stream), "waiting for the stream");
    host->barrier();
  }
  void synchronize() override {
    checkCuda(cudaStreamSynchronize(state.stream), "waiting for the stream");
    host->synchronize();
  }
  void finish() override { host->finish(); }
  void abort(const std::string &message) override { host->abort(message); }
  bool failed() const override { return host->failed() || !err.empty(); }
  std::string error() const override {
    return err.empty() ? host->error() : err;
  }

private:
  /// Step 1 of the file comment; false when the call cannot go ahead.
  bool enter(CollectiveOp op, int64_t a, int64_t b, int64_t c, Reduction red,
             const float *in, float *out, int64_t d = 0);
  /// Whether every rank has its staging buffer: NCCL would wait forever for
  /// a rank that skipped the transfer, so when one lacks it all skip.
  bool allReady(const float *staging) {
    float flag = staging ? 1.0f : 0.0f;
    host->allReduce(&flag, &flag, 1, Reduction::Min);
    if (host->failed())
      return false;
    if (flag == 0.0f) {
      fail(!state.error.empty()
               ? state.error
               : describeRankError("a collective",
                                   "another rank could not allocate its "
                                   "staging buffer; no rank moved data"));
      return false;
    }
    return true;
  }
  /// The end of a shared-device collective.
  void leave() {
    checkCuda(cudaStreamSynchronize(state.stream), "waiting for the stream");
    host->barrier();
  }
  bool checkNccl(ncclResult_t result, const char *what) {
    if (result == ncclSuccess || result == ncclInProgress)
      return true;
    fail(describeRankError(what, ncclGetErrorString(result)));
    return false;
  }
  /// Fails the collective here and the run on every rank.
  void fail(const std::string &message) {
    if (err.empty())
      err = message;
    host->abort(message);
  }
  /// A staging buffer on the rank's stream; null (with the rank's error
  /// set) when it cannot be had, which enter() tells every rank.
  float *temporary(int64_t count) {
    void *ptr = nullptr;
    if (!checkCuda(cudaMallocAsync(&ptr, sizeof(float) * (count ? count : 1),
                                   state.stream),
                   "allocating a collective's buffer"))
      return nullptr;
    return static_cast<float *>(ptr);
  }

  GPURank &state;
  bool shared;
  Communicator *host = nullptr;
  uint64_t calls = 0;
  std::string err;
  std::vector<Header> all;
};

bool GPUCommunicator::enter(CollectiveOp op, int64_t a, int64_t b, int64_t c,
                            Reduction red, const float *in, float *out,
                            int64_t d) {
  if (failed())
    return false;
  // A CUDA error earlier in this rank's compiled code (which cannot return
  // one) fails the run before the others wait for data that is not coming.
  if (!state.error.empty()) {
    host->abort(state.error);
    return false;
  }
  Header mine;
  mine.call.op = op;
  mine.call.call = ++calls;
  mine.call.a = a;
  mine.call.b = b;
  mine.call.c = c;
  mine.call.d = d;
  mine.call.reduction = static_cast<int32_t>(red);
  mine.in = in;
  mine.out = out;
  if (shared && !checkCuda(cudaStreamSynchronize(state.stream),
                           "waiting for the stream")) {
    host->abort(state.error);
    return false;
  }
  int64_t n = size();
  std::vector<float> words(kHeaderWords), gathered(kHeaderWords * n);
  pack(mine, words.data());
  host->allGather(words.data(), gathered.data(), 1, kHeaderWords, 1);
  if (host->failed())
    return false;
  all.resize(n);
  for (int64_t q = 0; q < n; ++q)
    all[q] = unpack(gathered.data() + q * kHeaderWords);
  std::string mismatch = checkCollectiveCalls(
      n, [&](int64_t q) -> const CollectiveCall & { return all[q].call; });
  if (!mismatch.empty()) {
    fail(mismatch);
    return false;
  }
  return true;
}

void GPUCommunicator::allGather(const float *in, float *out, int64_t outer,
                                int64_t extent, int64_t inner,
                                int64_t gathered) {
  if (!enter(CollectiveOp::AllGather, outer, extent, inner, Reduction::Sum, in,
             out, CollectiveCall::allGather(outer, extent, inner, gathered).d))
    return;
  int64_t n = size(), me = rank(), total = 0;
  for (const Header &h : all)
    total += h.call.b;
  if (outer == 0 || inner == 0 || total == 0) {
    if (shared)
      leave();
    return;
  }
  size_t rowBytes = sizeof(float) * total * inner;
  if (shared) {
    int64_t offset = 0;
    for (int64_t q = 0; q < n; ++q) {
      size_t width = sizeof(float) * all[q].call.b * inner;
      if (width)
        checkCuda(cudaMemcpy2DAsync(out + offset * inner, rowBytes, all[q].in,
                                    width, width, outer,
                                    cudaMemcpyDeviceToDevice, state.stream),
                  "all_gather copy");
      offset += all[q].call.b;
    }
    leave();
    return;
  }
  // NCCL: every rank's shard, grouped send/recv of uneven sizes. Along an
  // inner dimension the shards arrive rank-major in a temporary, then move
  // into place.
  float *staging = outer == 1 ? out : temporary(outer * total * inner);
  // Every rank has the same outer (the calls matched), so all agree here.
  if (outer > 1 && !allReady(staging)) {
    if (staging)
      cudaFreeAsync(staging, state.stream);
    return;
  }
  int64_t offset = 0;
  checkNccl(ncclGroupStart(), "ncclGroupStart");
  for (int64_t q = 0; q < n; ++q) {
    int64_t count = outer * all[q].call.b * inner;
    float *dst = staging + outer * offset * inner;
    if (q == me) {
      if (count)
        checkCuda(cudaMemcpyAsync(dst, in, sizeof(float) * count,
                                  cudaMemcpyDeviceToDevice, state.stream),
                  "all_gather copy");
    } else {
      if (extent)
        checkNccl(ncclSend(in, outer * extent * inner, ncclFloat, q, nccl,
                           state.stream),
                  "ncclSend");
      if (count)
        checkNccl(ncclRecv(dst, count, ncclFloat, q, nccl, state.stream),
                  "ncclRecv");
    }
    offset += all[q].call.b;
  }
  checkNccl(ncclGroupEnd(), "ncclGroupEnd");
  if (outer == 1)
    return;
  offset = 0;
  for (int64_t q = 0; q < n; ++q) {
    size_t width = sizeof(float) * all[q].call.b * inner;
    if (width)
      checkCuda(cudaMemcpy2DAsync(out + offset * inner, rowBytes,
                                  staging + outer * offset * inner, width,
                                  width, outer, cudaMemcpyDeviceToDevice,
                                  state.stream),
                "all_gather copy");
    offset += all[q].call.b;
  }
  checkCuda(cudaFreeAsync(staging, state.stream), "freeing a buffer");
}

void GPUCommunicator::allReduce(const float *in, float *out, int64_t count,
                                Reduction op) {
  if (!enter(CollectiveOp::AllReduce, count, 0, 0, op, in, out))
    return;
  int64_t n = size(), me = rank();
  if (!shared) {
    if (count)
      checkNccl(ncclAllReduce(in, out, count, ncclFloat, toNccl(op), nccl,
                              state.stream),
                "ncclAllReduce");
    return;
  }
  // This rank reduces its balanced share and writes it to every output;
  // only it touches those elements, so `in` may alias `out`.
  SharedBuffers buffers = {};
  for (int64_t q = 0; q < n; ++q) {
    buffers.in[q] = all[q].in;
    buffers.out[q] = all[q].out;
  }
  int64_t begin = getShardOffset(count, n, me);
  checkCuda(launchReduceShare(buffers, n, begin,
                              begin + getShardSize(count, n, me),
                              static_cast<int32_t>(op), state.stream),
            "all_reduce kernel");
  leave();
}

void GPUCommunicator::reduceScatter(const float *in, float *out, int64_t outer,
                                    int64_t total, int64_t inner,
                                    Reduction op) {
  if (!enter(CollectiveOp::ReduceScatter, outer, total, inner, op, in, out))
    return;
  int64_t n = size(), me = rank();
  if (shared) {
    SharedBuffers buffers = {};
    for (int64_t q = 0; q < n; ++q)
      buffers.in[q] = all[q].in;
    checkCuda(launchReduceBlock(buffers, n, out, outer, total,
                                getShardOffset(total, n, me),
                                getShardSize(total, n, me), inner,
                                static_cast<int32_t>(op), state.stream),
              "reduce_scatter kernel");
    leave();
    return;
  }
  // NCCL: one reduce per rank, rooted there, on its block. Along an inner
  // dimension the blocks are first regrouped rank-major.
  const float *send = in;
  float *packed = nullptr;
  if (outer > 1 && total * inner) {
    packed = temporary(outer * total * inner);
    if (!allReady(packed)) {
      if (packed)
        cudaFreeAsync(packed, state.stream);
      return;
    }
    float *dst = packed;
    for (int64_t q = 0; q < n; ++q) {
      int64_t extent = getShardSize(total, n, q);
      size_t width = sizeof(float) * extent * inner;
      if (width)
        checkCuda(cudaMemcpy2DAsync(dst, width,
                                    in + getShardOffset(total, n, q) * inner,
                                    sizeof(float) * total * inner, width, outer,
                                    cudaMemcpyDeviceToDevice, state.stream),
                  "reduce_scatter copy");
      dst += outer * extent * inner;
    }
    send = packed;
  }
  checkNccl(ncclGroupStart(), "ncclGroupStart");
  int64_t at = 0;
  for (int64_t q = 0; q < n; ++q) {
    int64_t count = outer * getShardSize(total, n, q) * inner;
    checkNccl(ncclReduce(send + at, q == me ? out : nullptr, count, ncclFloat,
                         toNccl(op), q, nccl, state.stream),
              "ncclReduce");
    at += count;
  }
  checkNccl(ncclGroupEnd(), "ncclGroupEnd");
  if (packed)
    checkCuda(cudaFreeAsync(packed, state.stream), "freeing a buffer");
}

void GPUCommunicator::broadcast(float *buffer, int64_t count, int64_t root) {
  if (!enter(CollectiveOp::Broadcast, count, root, 0, Reduction::Sum, buffer,
             buffer))
    return;
  if (!shared) {
    if (count)
      checkNccl(ncclBroadcast(buffer, buffer, count, ncclFloat, root, nccl,
                              state.stream),
                "ncclBroadcast");
    return;
  }
  if (rank() != root && count)
    checkCuda(cudaMemcpyAsync(buffer, all[root].in, sizeof(float) * count,
                              cudaMemcpyDeviceToDevice, state.stream),
              "broadcast copy");
  leave();
}

/// The rank of this process among those of its host: OpenMPI's local rank
/// under mpirun, else the rank.
int64_t localRank(int64_t rank) {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"})
    if (const char *env = std::getenv(name))
      return std::atoll(env);
  return rank;
}

class GPUGroupImpl final : public GPUGroup {
public:
  GPUGroupImpl(std::unique_ptr<Executor> host, const GPUOptions &options,
               bool shared, std::map<int64_t, int> devices,
               std::string deviceName)
      : host(std::move(host)), options(options), shared(shared),
        deviceName(std::move(deviceName)) {
    for (auto [r, device] : devices) {
      auto state = std::make_unique<GPURank>();
      state->device = device;
      state->tf32 = options.tf32;
      comms[r] = std::make_unique<GPUCommunicator>(*state, shared);
      ranks[r] = std::move(state);
    }
  }
  ~GPUGroupImpl() override {
    for (auto &[r, state] : ranks) {
      cudaSetDevice(state->device);
      comms[r].reset();
      for (auto &[begin, end] : state->timers) {
        cudaEventDestroy(begin);
        cudaEventDestroy(end);
      }
      destroyMatmulPlans(*state);
      if (state->workspace)
        cudaFree(state->workspace);
      if (state->lt)
        cublasLtDestroy(state->lt);
      if (state->stream)
        cudaStreamDestroy(state->stream);
    }
  }

  int64_t size() const override { return host->size(); }
  std::vector<int64_t> localRanks() const override {
    return host->localRanks();
  }
  const char *name() const override { return "GPU"; }
  std::string describe() const override {
    std::string where;
    for (auto &[r, state] : ranks)
      if (where.find("GPU " + std::to_string(state->device)) ==
          std::string::npos)
        where += (where.empty() ? "" : ", ") + std::string("GPU ") +
                 std::to_string(state->device);
    return host->describe() + " on " + where + " (" + deviceName + "), " +
           (shared ? "sharing one GPU" : "NCCL");
  }
  int getDevice(int64_t rank) const override {
    auto it = ranks.find(rank);
    return it == ranks.end() ? -1 : it->second->device;
  }
  std::string error() const override {
    std::lock_guard<std::mutex> lock(mutex);
    return runError.empty() ? host->error() : runError;
  }
  void abort(const std::string &message) override { host->abort(message); }

  bool run(const std::function<void(Communicator &)> &body) override {
    {
      std::lock_guard<std::mutex> lock(mutex);
      runError.clear();
    }
    bool ok = host->run([&](Communicator &hostComm) {
      int64_t r = hostComm.rank();
      GPURank &state = *ranks.at(r);
      GPUCommunicator &comm = *comms.at(r);
      state.error.clear();
      std::string setup = prepare(state, comm, hostComm);
      if (!setup.empty())
        return hostComm.abort(setup);
      if (hostComm.failed())
        return;
      comm.bind(hostComm);
      setCurrentGPURank(&state);
      // Compiled code's collectives go to the GPU communicator; the body
      // itself (a driver's timing and checks, on host memory) talks over the
      // host communicator.
      setCurrentCommunicator(&comm);
      body(hostComm);
      checkCuda(cudaStreamSynchronize(state.stream), "finishing the run");
      setCurrentCommunicator(&hostComm);
      setCurrentGPURank(nullptr);
      // Errors of compiled code and of the GPU collectives fail the run on
      // every rank.
      std::string error = !state.error.empty() ? state.error : comm.error();
      if (!error.empty() && !hostComm.failed()) {
        std::lock_guard<std::mutex> lock(mutex);
        if (runError.empty())
          runError = error;
        state.error.clear();
        hostComm.abort(error);
      }
    });
    std::lock_guard<std::mutex> lock(mutex);
    return ok && runError.empty();
  }

private:
  /// Makes the rank's stream, cuBLASLt handle, workspace and NCCL
  /// communicator on first use; "" or the error.
  std::string prepare(GPURank &state, GPUCommunicator &comm,
                      Communicator &hostComm) {
    auto cudaFailed = [](const char *what, cudaError_t status) {
      return describeRankError(what, std::string(cudaGetErrorName(status)) +
                                         ": " + cudaGetErrorString(status));
    };
    if (cudaError_t s = cudaSetDevice(state.device); s != cudaSuccess)
      return cudaFailed("selecting the GPU", s);
    // Each resource on its own, so that a run after a failed one makes what
    // is still missing.
    if (!state.stream) {
      if (cudaError_t s =
              cudaStreamCreateWithFlags(&state.stream, cudaStreamNonBlocking);
          s != cudaSuccess) {
        state.stream = nullptr;
        return cudaFailed("making a stream", s);
      }
      // Stream-ordered allocations stay in the device's pool between runs
      // instead of going back to the driver at every synchronize.
      cudaMemPool_t pool;
      uint64_t keep = UINT64_MAX;
      if (cudaDeviceGetDefaultMemPool(&pool, state.device) == cudaSuccess)
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    if (!state.lt) {
      if (cublasStatus_t s = cublasLtCreate(&state.lt);
          s != CUBLAS_STATUS_SUCCESS) {
        state.lt = nullptr;
        return describeRankError("starting cuBLASLt", cublasLtGetStatusName(s));
      }
    }
    if (!state.workspace) {
      state.workspaceSize = 32 << 20;
      if (cudaError_t s = cudaMalloc(&state.workspace, state.workspaceSize);
          s != cudaSuccess) {
        state.workspace = nullptr;
        return cudaFailed("allocating the cuBLASLt workspace", s);
      }
    }
    if (shared || comm.nccl)
      return "";
    // NCCL's id goes from rank 0 to all over the host communicator, bit for
    // bit, as floats.
    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    if (hostComm.rank() == 0 && ncclGetUniqueId(&id) != ncclSuccess)
      return describeRankError("starting NCCL", "ncclGetUniqueId failed");
    std::vector<float> words((sizeof(id) + 3) / 4);
    std::memcpy(words.data(), &id, sizeof(id));
    hostComm.synchronize();
    hostComm.broadcast(words.data(), words.size(), 0);
    if (hostComm.failed())
      return ""; // the host run has failed already, with its own error
    std::memcpy(&id, words.data(), sizeof(id));
    ncclResult_t result =
        ncclCommInitRank(&comm.nccl, hostComm.size(), id, hostComm.rank());
    if (result != ncclSuccess)
      return describeRankError("starting NCCL", ncclGetErrorString(result));
    return "";
  }

  std::unique_ptr<Executor> host;
  GPUOptions options;
  bool shared;
  std::string deviceName;
  std::map<int64_t, std::unique_ptr<GPURank>> ranks;
  std::map<int64_t, std::unique_ptr<GPUCommunicator>> comms;
  mutable std::mutex mutex;
  std::string runError;
};
} // namespace

std::unique_ptr<GPUGroup> GPUGroup::create(std::unique_ptr<Executor> host,
                                           const GPUOptions &options,
                                           std::string &error) {
  int count = getGPUCount(error);
  if (count < 0)
    return nullptr;
  std::vector<int64_t> local = host->localRanks();
  int64_t ranks = host->size();
  bool threads = std::string(host->name()) == "threads";
  std::map<int64_t, int> devices;
  bool shared = false;
  if (threads && count >= ranks) {
    for (int64_t r : local)
      devices[r] = static_cast<int>(r);
  } else if (threads && count == 1) {
    // NCCL refuses two ranks on one device: the ranks share it.
    if (ranks > kMaxSharedRanks) {
      error = "at most " + std::to_string(kMaxSharedRanks) +
              " ranks can share one GPU, " + std::to_string(ranks) +
              " were asked for";
      return nullptr;
    }
    shared = ranks > 1;
    for (int64_t r : local)
      devices[r] = 0;
  } else if (threads) {
    error = std::to_string(ranks) + " ranks on " + std::to_string(count) +
            " GPUs: give each rank a GPU (at most " + std::to_string(count) +
            " ranks), or run on a machine with one GPU, which the ranks share";
    return nullptr;
  } else {
    // One rank per process (MPI): the process's local rank picks its GPU,
    // and NCCL needs them distinct.
    for (int64_t r : local) {
      int64_t lr = localRank(r);
      if (lr >= count) {
        error = "rank " + std::to_string(r) + " is process " +
                std::to_string(lr) + " on its host, which has " +
                std::to_string(count) +
                " GPUs: run at most one process per GPU";
        return nullptr;
      }
      devices[r] = static_cast<int>(lr);
    }
  }
  cudaDeviceProp props;
  std::string name = "unknown GPU";
  if (cudaGetDeviceProperties(&props, devices.begin()->second) == cudaSuccess)
    name = props.name;
  return std::make_unique<GPUGroupImpl>(std::move(host), options, shared,
                                        std::move(devices), std::move(name));
}

extern "C" int tp_rt_run_on_gpus(int64_t numRanks,
                                 void (*body)(int64_t rank, void *user),
                                 void *user, char *error, size_t errorSize) {
  std::string message =
      checkRunRequest(body != nullptr, numRanks, kMaxThreadRanks, "GPU jobs");
  if (!message.empty())
    return reportRunError(error, errorSize, "tp runtime: " + message);
  auto group =
      GPUGroup::create(ThreadGroup::create(numRanks), GPUOptions(), message);
  if (!group)
    return reportRunError(error, errorSize, "tp runtime: " + message);
  if (group->run([&](Communicator &comm) { body(comm.rank(), user); }))
    return 0;
  return reportRunError(error, errorSize, group->error());
}
