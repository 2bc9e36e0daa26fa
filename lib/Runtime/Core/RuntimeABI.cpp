//===- RuntimeABI.cpp - what compiled tp code calls -----------------------===//

#include "tp-mlir/Runtime/RuntimeABI.h"

#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Runtime/EntryPoints.h"
#include "tp-mlir/Support/BalancedSplit.h"
#include "tp-mlir/Support/Limits.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#endif

// Under AddressSanitizer the heap is its allocator's, not glibc's.
#if defined(__SANITIZE_ADDRESS__)
#define TP_RT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_RT_ASAN 1
#endif
#endif

using namespace mlir::tp;
using namespace mlir::tp::rt;

namespace {
thread_local Profile *currentProfile = nullptr;
thread_local std::vector<std::chrono::steady_clock::time_point> timerStarts;

/// Whether tp_rt_retain_freed_memory put the heap under its policy.
std::atomic<bool> hugePageHeap{false};

/// Asks for transparent huge pages on the heap's next GiB, where the system
/// gives them only to ranges that ask (its "madvise" mode, Debian's
/// default), as glibc's tunable glibc.malloc.hugetlb=1 would: the block is
/// taken from the heap's top and freed at once, so it stays there (the heap
/// is not trimmed), untouched (no memory until used), advised. With the
/// weights and activations in 2 MiB pages the chains ran 2 to 4% faster
/// where it showed on the 2-core development machine (docs/performance.md).
/// Best effort: a system without THP, or that refuses the block, runs as
/// before. Not under strict overcommit (vm.overcommit_memory = 2), where
/// the heap's untouched top would count as committed memory from the start.
void adviseHugePages() {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE) && !defined(TP_RT_ASAN)
  if (FILE *policy = std::fopen("/proc/sys/vm/overcommit_memory", "r")) {
    int mode = std::fgetc(policy);
    std::fclose(policy);
    if (mode == '2')
      return;
  }
  constexpr size_t kAdvisedBytes = size_t(1) << 30;
  constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
  char *block = static_cast<char *>(std::malloc(kAdvisedBytes));
  if (!block)
    return;
  uintptr_t at = reinterpret_cast<uintptr_t>(block);
  uintptr_t begin = (at + kHugePage - 1) & ~(kHugePage - 1);
  uintptr_t end = (at + kAdvisedBytes) & ~(kHugePage - 1);
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
  std::free(block);
#endif
}

/// Compiled code that runs a collective needs a communicator; calling it
/// outside one is a programming error of the host, reported plainly.
Communicator &requireCommunicator(const char *op) {
  Communicator *comm = currentCommunicator();
  if (!comm) {
    std::fprintf(stderr,
                 "tp runtime: %s called on a thread without a communicator; "
                 "run compiled code through an executor (or set one)\n",
                 op);
    std::abort();
  }
  return *comm;
}

/// Fails the run on every rank: a call whose buffers do not fit each other
/// (compiled code that disagrees with itself, or a wrong `size`).
void failCall(Communicator &comm, const char *op, const std::string &why) {
  comm.abort(std::string(op) + " on rank " + std::to_string(comm.rank()) +
             ": " + why);
}

/// A memref as a contiguous row-major buffer viewed as [outer x extent x
/// inner] around `dim`. A strided memref is packed into (and, for an
/// output, unpacked from) a temporary.
class View {
public:
  View(UnrankedMemRefType<float> *memref, int64_t dim, bool isOutput)
      : ref(*memref), isOutput(isOutput) {
    outer = inner = 1;
    extent = ref.rank ? ref.sizes[dim] : 1;
    for (int64_t d = 0; d < ref.rank; ++d) {
      if (d < dim)
        outer *= ref.sizes[d];
      if (d > dim)
        inner *= ref.sizes[d];
    }
    if (isContiguous()) {
      data = ref.data + ref.offset;
      return;
    }
    packed.resize(outer * extent * inner);
    data = packed.data();
    if (!isOutput)
      copy(/*pack=*/true);
  }
  ~View() {
    if (isOutput && !packed.empty())
      copy(/*pack=*/false);
  }

  float *data;
  int64_t outer, extent, inner;

private:
  bool isContiguous() const {
    int64_t expected = 1;
    for (int64_t d = ref.rank - 1; d >= 0; --d) {
      if (ref.sizes[d] != 1 && ref.strides[d] != expected)
        return false;
      expected *= ref.sizes[d];
    }
    return true;
  }
  /// Walks the elements in row-major order.
  void copy(bool pack) {
    std::vector<int64_t> index(ref.rank, 0);
    for (size_t i = 0; i < packed.size(); ++i) {
      int64_t offset = ref.offset;
      for (int64_t d = 0; d < ref.rank; ++d)
        offset += index[d] * ref.strides[d];
      if (pack)
        packed[i] = ref.data[offset];
      else
        ref.data[offset] = packed[i];
      for (int64_t d = ref.rank - 1; d >= 0; --d) {
        if (++index[d] < ref.sizes[d])
          break;
        index[d] = 0;
      }
    }
  }

  DynamicMemRefType<float> ref;
  bool isOutput;
  std::vector<float> packed;
};

/// The address of a memref's first element.
const float *dataOf(UnrankedMemRefType<float> *m) {
  DynamicMemRefType<float> ref(*m);
  return ref.data + ref.offset;
}

/// Checks an all_gather's buffers: the result's extent may come from a
/// `size` operand at run time, and a shard that is not this rank's
/// balanced share of it would be written past the result.
bool checkGatherShard(Communicator &comm, const char *op, const View &src,
                      const View &dst) {
  int64_t share = getShardSize(dst.extent, comm.size(), comm.rank());
  if (src.extent == share && src.outer == dst.outer && src.inner == dst.inner)
    return true;
  failCall(comm, op,
           "a shard of " + std::to_string(src.outer) + "x" +
               std::to_string(src.extent) + "x" + std::to_string(src.inner) +
               " for a result of " + std::to_string(dst.outer) + "x" +
               std::to_string(dst.extent) + "x" + std::to_string(dst.inner) +
               ", whose share here is " + std::to_string(share));
  return false;
}

/// An asynchronous collective of this thread between its start and its
/// wait, with the views of its buffers (a packed one lives until then).
struct InFlight {
  int64_t handle;
  const float *in, *out;
  std::unique_ptr<View> inView, outView;
};
thread_local std::vector<InFlight> inFlight;

int64_t keepInFlight(int64_t handle, UnrankedMemRefType<float> *in,
                     UnrankedMemRefType<float> *out, std::unique_ptr<View> src,
                     std::unique_ptr<View> dst) {
  if (!handle)
    return 0;
  // Handles count from 1 in every run: an entry with this one is left from
  // a run that failed before its wait.
  inFlight.erase(
      std::remove_if(inFlight.begin(), inFlight.end(),
                     [&](const InFlight &f) { return f.handle == handle; }),
      inFlight.end());
  inFlight.push_back(
      {handle, dataOf(in), dataOf(out), std::move(src), std::move(dst)});
  return handle;
}
} // namespace

void mlir::tp::rt::setCurrentProfile(Profile *profile) {
  currentProfile = profile;
}

namespace {
std::string formatList(const int64_t *values, int64_t count) {
  std::string text = "[";
  for (int64_t i = 0; i < count; ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

/// The check of one call of an ahead-of-time compiled entry.
struct EntryCheck {
  const int64_t *spec;
  const char *names;
  int64_t rank;
  /// The dynamic batch, from the first argument that has it.
  int64_t batch = -1, batchArg = -1;
};

/// Why argument `index`'s descriptor `d` does not fit its words of the spec
/// (from `word`, EntryPoints.h's kCheckEntry) on this rank; empty if it
/// does.
std::string checkArgument(EntryCheck &c, int64_t index, const int64_t *word,
                          const int64_t *d) {
  int64_t dims = word[0];
  std::string label = "argument #" + std::to_string(index);
  if (word[2])
    label += " (" + std::string(c.names + word[1], word[2]) + ")";
  if (!d)
    return label + "'s descriptor is a null pointer";
  // The descriptor: allocated, aligned, offset, sizes[dims], strides[dims].
  const int64_t *shape = word + 3, *sizes = d + 3, *strides = d + 3 + dims;
  // The entry's memrefs have the identity layout, whose offset is 0: some
  // of its code would read the field and some not.
  if (d[2] != 0)
    return label + " has offset " + std::to_string(d[2]) +
           "; the entry takes its arguments with offset 0 (pass aligned + "
           "offset as the aligned pointer)";
  int64_t splitDim = shape[dims];
  if (std::any_of(sizes, sizes + dims, [](int64_t v) { return v < 0; }))
    return label + " has sizes " + formatList(sizes, dims) +
           ": a size is negative";
  std::vector<int64_t> expected(shape, shape + dims);
  if (splitDim >= 0)
    expected[splitDim] = shape[dims + 1 + c.rank];
  bool batched = false;
  for (int64_t k = 0; k < dims; ++k) {
    if (expected[k] >= 0)
      continue;
    batched = true;
    if (c.batch < 0) {
      c.batch = sizes[k];
      c.batchArg = index;
    }
    expected[k] = c.batch;
  }
  if (!std::equal(expected.begin(), expected.end(), sizes)) {
    std::string why = label + " has sizes " + formatList(sizes, dims) +
                      ", expected " + formatList(expected.data(), dims);
    if (splitDim >= 0)
      why += " (this rank's shard of " + formatList(shape, dims) +
             ", split along dimension " + std::to_string(splitDim) + ")";
    if (batched && c.batchArg != index)
      why += " (the batch of argument #" + std::to_string(c.batchArg) + ")";
    return why;
  }
  // The sizes fit the manifest, but the batch is the caller's.
  if (!getCheckedNumElements(expected))
    return label + " has sizes " + formatList(sizes, dims) + ": more than " +
           std::to_string(kMaxTensorElements) + " elements (tp-mlir's limit)";
  int64_t stride = 1;
  std::vector<int64_t> contiguous(dims);
  for (int64_t k = dims - 1; k >= 0; --k) {
    contiguous[k] = stride;
    stride *= expected[k];
  }
  // An empty tensor is read nowhere: any strides do.
  for (int64_t k = 0; k < dims && stride; ++k)
    if (expected[k] > 1 && strides[k] != contiguous[k])
      return label + " has strides " + formatList(strides, dims) +
             ", expected the contiguous row-major " +
             formatList(contiguous.data(), dims);
  if (stride && !d[1])
    return label + "'s data (the descriptor's aligned pointer) is null";
  return {};
}

/// Why the call does not fit (see tp_rt_check_entry); empty if it does.
std::string checkEntry(Communicator *comm, const int64_t *spec,
                       const char *names, void *const *descriptors) {
  int64_t devices = spec[0], numArgs = spec[1];
  if (!comm && devices != 1)
    // Without a job only a one-rank entry knows its rank.
    return "compiled for " + std::to_string(devices) +
           " ranks, called outside a job; run each rank through the "
           "runtime (tp_rt_run_on_threads, tp_rt_run_on_mpi or "
           "tp_rt_run_on_gpus)";
  // A one-rank entry makes no collective: any thread of any job may run it.
  if (comm && devices != 1 && comm->size() != devices)
    return "compiled for " + std::to_string(devices) +
           " rank(s), called in a job of " + std::to_string(comm->size());
  if (!descriptors[0])
    return "the result's descriptor is a null pointer";
  EntryCheck c{spec, names, comm && devices != 1 ? comm->rank() : 0};
  const int64_t *word = spec + 3;
  for (int64_t i = 0; i < numArgs; ++i) {
    std::string why = checkArgument(
        c, i, word, static_cast<const int64_t *>(descriptors[1 + i]));
    if (!why.empty())
      return why;
    int64_t dims = word[0];
    word += 3 + dims + 1 + (word[3 + dims] >= 0 ? devices : 0);
  }
  return {};
}
} // namespace

extern "C" {
int64_t tp_rt_rank() { return requireCommunicator("tp.rank").rank(); }

int32_t tp_rt_check_entry(const char *entry, const int64_t *spec,
                          const char *names, void **descriptors) {
  Communicator *comm = currentCommunicator();
  std::string why = checkEntry(comm, spec, names, descriptors);
  if (why.empty())
    return 1;
  if (descriptors[0])
    std::memset(descriptors[0], 0, sizeof(int64_t) * (3 + 2 * spec[2]));
  std::string message = "@" + std::string(entry) + ": " + why;
  if (!comm) {
    std::fprintf(stderr, "tp runtime: %s\n", message.c_str());
    std::abort();
  }
  comm->abort(message);
  return 0;
}

void _mlir_ciface_tp_rt_all_gather(UnrankedMemRefType<float> *in,
                                   UnrankedMemRefType<float> *out,
                                   int64_t dim) {
  Communicator &comm = requireCommunicator("tp.all_gather");
  View src(in, dim, /*isOutput=*/false);
  View dst(out, dim, /*isOutput=*/true);
  if (checkGatherShard(comm, "tp.all_gather", src, dst))
    comm.allGather(src.data, dst.data, src.outer, src.extent, src.inner,
                   dst.extent);
}

int64_t _mlir_ciface_tp_rt_all_gather_start(UnrankedMemRefType<float> *in,
                                            UnrankedMemRefType<float> *out,
                                            int64_t dim) {
  Communicator &comm = requireCommunicator("tp.all_gather_start");
  auto src = std::make_unique<View>(in, dim, /*isOutput=*/false);
  auto dst = std::make_unique<View>(out, dim, /*isOutput=*/true);
  if (!checkGatherShard(comm, "tp.all_gather_start", *src, *dst))
    return 0;
  int64_t handle = comm.startAllGather(src->data, dst->data, src->outer,
                                       src->extent, src->inner, dst->extent);
  return keepInFlight(handle, in, out, std::move(src), std::move(dst));
}

int64_t _mlir_ciface_tp_rt_all_reduce_start(UnrankedMemRefType<float> *in,
                                            UnrankedMemRefType<float> *out,
                                            int32_t reduction) {
  Communicator &comm = requireCommunicator("tp.all_reduce_start");
  auto src = std::make_unique<View>(in, 0, /*isOutput=*/false);
  auto dst = std::make_unique<View>(out, 0, /*isOutput=*/true);
  // The output may be a view of a larger buffer (an in-place join) whose
  // sizes came from elsewhere: it must hold exactly the input's elements.
  int64_t count = src->outer * src->extent * src->inner;
  if (dst->outer * dst->extent * dst->inner != count) {
    failCall(comm, "tp.all_reduce_start",
             "an input of " + std::to_string(count) +
                 " elements for an output of " +
                 std::to_string(dst->outer * dst->extent * dst->inner));
    return 0;
  }
  int64_t handle = comm.startAllReduce(src->data, dst->data,
                                       src->outer * src->extent * src->inner,
                                       static_cast<Reduction>(reduction));
  return keepInFlight(handle, in, out, std::move(src), std::move(dst));
}

void _mlir_ciface_tp_rt_wait(int64_t handle, UnrankedMemRefType<float> *in,
                             UnrankedMemRefType<float> *out) {
  Communicator &comm = requireCommunicator("tp.wait");
  if (!handle)
    return; // the start failed, and said why
  comm.wait(handle);
  auto it = std::find_if(inFlight.begin(), inFlight.end(),
                         [&](const InFlight &f) { return f.handle == handle; });
  if (it == inFlight.end())
    return failCall(comm, "tp.wait",
                    "no asynchronous collective #" + std::to_string(handle) +
                        " was started on this thread");
  bool same = it->in == dataOf(in) && it->out == dataOf(out);
  // Destroying the output's view writes a packed result back.
  inFlight.erase(it);
  if (!same)
    failCall(comm, "tp.wait",
             "the buffers differ from those its collective #" +
                 std::to_string(handle) + " started with");
}

void _mlir_ciface_tp_rt_all_reduce(UnrankedMemRefType<float> *in,
                                   UnrankedMemRefType<float> *out,
                                   int32_t reduction) {
  Communicator &comm = requireCommunicator("tp.all_reduce");
  View src(in, 0, /*isOutput=*/false);
  View dst(out, 0, /*isOutput=*/true);
  comm.allReduce(src.data, dst.data, src.outer * src.extent * src.inner,
                 static_cast<Reduction>(reduction));
}

void _mlir_ciface_tp_rt_reduce_scatter(UnrankedMemRefType<float> *in,
                                       UnrankedMemRefType<float> *out,
                                       int64_t dim, int32_t reduction) {
  Communicator &comm = requireCommunicator("tp.reduce_scatter");
  View src(in, dim, /*isOutput=*/false);
  View dst(out, dim, /*isOutput=*/true);
  comm.reduceScatter(src.data, dst.data, src.outer, src.extent, src.inner,
                     static_cast<Reduction>(reduction));
}

void _mlir_ciface_tp_rt_all_to_all(UnrankedMemRefType<float> *in,
                                   UnrankedMemRefType<float> *out,
                                   int64_t split, int64_t concat) {
  Communicator &comm = requireCommunicator("tp.all_to_all");
  // Views around the lower of the two dims: [outer x first x rest], where
  // rest is [middle x second x inner].
  int64_t lo = std::min(split, concat), hi = std::max(split, concat);
  View src(in, lo, /*isOutput=*/false);
  View dst(out, lo, /*isOutput=*/true);
  DynamicMemRefType<float> inRef(*in), outRef(*out);
  AllToAllShape shape;
  shape.concatFirst = concat == lo;
  shape.outer = src.outer;
  shape.first = shape.concatFirst ? dst.extent : src.extent;
  shape.second = shape.concatFirst ? inRef.sizes[hi] : outRef.sizes[hi];
  shape.middle = 1;
  for (int64_t d = lo + 1; d < hi; ++d)
    shape.middle *= inRef.sizes[d];
  shape.inner = 1;
  for (int64_t d = hi + 1; d < inRef.rank; ++d)
    shape.inner *= inRef.sizes[d];
  // Both buffers must be this rank's shards of the one tensor: the input
  // of the concat dim, the output of the split dim, everything else equal
  // (the concat extent may come from a `size` operand at run time).
  bool fits = inRef.rank == outRef.rank && split != concat &&
              inRef.sizes[concat] == getShardSize(outRef.sizes[concat],
                                                  comm.size(), comm.rank()) &&
              outRef.sizes[split] ==
                  getShardSize(inRef.sizes[split], comm.size(), comm.rank());
  for (int64_t d = 0; fits && d < inRef.rank; ++d)
    fits = d == split || d == concat || inRef.sizes[d] == outRef.sizes[d];
  if (!fits)
    return failCall(comm, "tp.all_to_all",
                    "the input and output are not this rank's shards of one "
                    "tensor (split " +
                        std::to_string(split) + ", concat " +
                        std::to_string(concat) + ")");
  comm.allToAll(src.data, dst.data, shape);
}

void tp_rt_timer_begin(int64_t id) {
  if (!currentProfile || id < 0)
    return;
  if (static_cast<int64_t>(timerStarts.size()) <= id)
    timerStarts.resize(id + 1);
  timerStarts[id] = std::chrono::steady_clock::now();
}

void tp_rt_timer_end(int64_t id) {
  if (!currentProfile || id < 0 ||
      static_cast<int64_t>(timerStarts.size()) <= id)
    return;
  tp_rt_timer_add(id, std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - timerStarts[id])
                          .count());
}

int tp_rt_retain_freed_memory(void) {
#if defined(__GLIBC__)
  // No block is mapped on its own: glibc would unmap it on free, so that
  // each run faulted it in again (blocks over 32 MiB, the largest mmap
  // threshold it accepts, always were). One arena: the others are heaps of
  // at most 64 MiB, and a larger block in one is mapped on its own even
  // so. The compiled code allocates a few large blocks per layer, so the
  // ranks' threads hardly contend for the arena's lock. No trimming.
  if (!mallopt(M_MMAP_MAX, 0) || !mallopt(M_ARENA_MAX, 1) ||
      !mallopt(M_TRIM_THRESHOLD, INT_MAX))
    return 0;
  hugePageHeap = true;
  adviseHugePages();
  return 1;
#else
  return 0;
#endif
}

void tp_rt_trim_heap(void) {
#if defined(__GLIBC__)
  malloc_trim(0);
  if (hugePageHeap)
    adviseHugePages();
#endif
}

void tp_rt_timer_add(int64_t id, double seconds) {
  if (!currentProfile || id < 0)
    return;
  Profile &p = *currentProfile;
  if (static_cast<int64_t>(p.seconds.size()) <= id) {
    p.seconds.resize(id + 1, 0.0);
    p.counts.resize(id + 1, 0);
  }
  p.seconds[id] += seconds;
  ++p.counts[id];
}
}

std::vector<RuntimeSymbol> mlir::tp::rt::getRuntimeSymbols() {
  std::string ciface = entry::kCInterfacePrefix;
  return {
      {entry::kRank, reinterpret_cast<void *>(&tp_rt_rank)},
      {ciface + entry::kAllGather,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_all_gather)},
      {ciface + entry::kAllReduce,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_all_reduce)},
      {ciface + entry::kReduceScatter,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_reduce_scatter)},
      {ciface + entry::kAllToAll,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_all_to_all)},
      {ciface + entry::kAllReduceStart,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_all_reduce_start)},
      {ciface + entry::kAllGatherStart,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_all_gather_start)},
      {ciface + entry::kWait,
       reinterpret_cast<void *>(&_mlir_ciface_tp_rt_wait)},
      {entry::kTimerBegin, reinterpret_cast<void *>(&tp_rt_timer_begin)},
      {entry::kTimerEnd, reinterpret_cast<void *>(&tp_rt_timer_end)},
  };
}
