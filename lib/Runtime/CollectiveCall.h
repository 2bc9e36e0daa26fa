//===- CollectiveCall.h - one rank's collective call, for checking -*- C++
//-*-===//
//
// What each backend records of a rank's call so that it can check that all
// ranks made the same one, and the words its errors use, so that the threads
// and MPI backends report misuse identically. Private to the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_RUNTIME_COLLECTIVECALL_H
#define TP_MLIR_LIB_RUNTIME_COLLECTIVECALL_H

#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Support/BalancedSplit.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

namespace mlir::tp::rt {

enum class CollectiveOp : int64_t {
  AllGather,
  AllReduce,
  ReduceScatter,
  Broadcast,
  Barrier,
  AllToAll
};

inline const char *stringifyCollectiveOp(CollectiveOp op) {
  switch (op) {
  case CollectiveOp::AllGather:
    return "all_gather";
  case CollectiveOp::AllReduce:
    return "all_reduce";
  case CollectiveOp::ReduceScatter:
    return "reduce_scatter";
  case CollectiveOp::Broadcast:
    return "broadcast";
  case CollectiveOp::Barrier:
    return "barrier";
  case CollectiveOp::AllToAll:
    return "all_to_all";
  }
  return "?";
}

/// One call: the op, its 1-based number among this rank's calls, and its
/// sizes (all_gather: outer, extent, inner, and the extent of the output in
/// `d`, -1 where the caller did not give it; all_reduce: count;
/// reduce_scatter: outer, total, inner; broadcast: count, root;
/// all_to_all: outer, first, middle, second, inner, and concatFirst in
/// `reduction`).
struct CollectiveCall {
  CollectiveOp op = CollectiveOp::Barrier;
  uint64_t call = 0;
  int64_t a = 0, b = 0, c = 0, d = 0, e = 0;
  int32_t reduction = 0;

  static CollectiveCall of(CollectiveOp op, int64_t a, int64_t b, int64_t c,
                           Reduction red) {
    CollectiveCall call;
    call.op = op;
    call.a = a;
    call.b = b;
    call.c = c;
    call.reduction = static_cast<int32_t>(red);
    return call;
  }
  static CollectiveCall allGather(int64_t outer, int64_t extent, int64_t inner,
                                  int64_t total) {
    CollectiveCall call =
        of(CollectiveOp::AllGather, outer, extent, inner, Reduction::Sum);
    call.d = total < 0 ? -1 : total;
    return call;
  }
  static CollectiveCall allToAll(const AllToAllShape &s) {
    CollectiveCall call;
    call.op = CollectiveOp::AllToAll;
    call.a = s.outer;
    call.b = s.first;
    call.c = s.middle;
    call.d = s.second;
    call.e = s.inner;
    call.reduction = s.concatFirst ? 1 : 0;
    return call;
  }

  /// "all_reduce (call #3, 4096 elements, sum)".
  std::string describe() const {
    std::ostringstream os;
    os << stringifyCollectiveOp(op) << " (call #" << call;
    switch (op) {
    case CollectiveOp::AllGather:
      os << ", shard " << a << "x" << b << "x" << c;
      if (d >= 0)
        os << " of " << a << "x" << d << "x" << c;
      break;
    case CollectiveOp::AllReduce:
      os << ", " << a << " elements, "
         << stringifyReduction(static_cast<Reduction>(reduction));
      break;
    case CollectiveOp::ReduceScatter:
      os << ", " << a << "x" << b << "x" << c << ", "
         << stringifyReduction(static_cast<Reduction>(reduction));
      break;
    case CollectiveOp::Broadcast:
      os << ", " << a << " elements from rank " << b;
      break;
    case CollectiveOp::Barrier:
      break;
    case CollectiveOp::AllToAll:
      os << ", " << a << "x" << b << "x" << c << "x" << d << "x" << e
         << ", concat " << (reduction ? "first" : "second");
      break;
    }
    os << ")";
    return os.str();
  }

  /// Whether another rank's call is the same collective with sizes that fit.
  bool matches(const CollectiveCall &o) const {
    if (op != o.op || call != o.call)
      return false;
    switch (op) {
    case CollectiveOp::AllGather:
      return a == o.a && c == o.c && d == o.d; // extents may differ
    case CollectiveOp::AllReduce:
      return a == o.a && reduction == o.reduction;
    case CollectiveOp::ReduceScatter:
      return a == o.a && b == o.b && c == o.c && reduction == o.reduction;
    case CollectiveOp::Broadcast:
      return a == o.a && b == o.b;
    case CollectiveOp::Barrier:
      return true;
    case CollectiveOp::AllToAll:
      return a == o.a && b == o.b && c == o.c && d == o.d && e == o.e &&
             reduction == o.reduction;
    }
    return false;
  }
};

/// Calls fn(inOffset, outOffset, count) for every contiguous run of the
/// block that rank `src` sends rank `dst` in an all_to_all of `shape` over
/// `size` ranks: offsets into src's input and dst's output, in elements.
/// Both ends walk the runs in the same order, so a sender can pack them
/// into one message that the receiver unpacks. With `begin` and `end`,
/// only elements [begin, end) of the block in that order (runs cut at the
/// ends), so that a block can move in pieces.
template <typename Fn>
void forEachAllToAllRun(const AllToAllShape &shape, int64_t size, int64_t src,
                        int64_t dst, Fn fn, int64_t begin = 0,
                        int64_t end = INT64_MAX) {
  // The concat dimension is split by the sender's shard on the input side;
  // the split dimension by the receiver's shard on the output side.
  bool cf = shape.concatFirst;
  int64_t a = shape.first, b = shape.second;
  int64_t aIn = cf ? getShardSize(a, size, src) : a;
  int64_t bIn = cf ? b : getShardSize(b, size, src);
  int64_t aOut = cf ? a : getShardSize(a, size, dst);
  int64_t bOut = cf ? getShardSize(b, size, dst) : b;
  // The block: rows of `first` and columns of `second` that both own.
  int64_t rows = cf ? aIn : aOut;
  int64_t cols = cf ? bOut : bIn;
  int64_t rowInOff = cf ? 0 : getShardOffset(a, size, dst);
  int64_t rowOutOff = cf ? getShardOffset(a, size, src) : 0;
  int64_t colInOff = cf ? getShardOffset(b, size, dst) : 0;
  int64_t colOutOff = cf ? 0 : getShardOffset(b, size, src);
  int64_t inner = shape.inner, middle = shape.middle;
  int64_t count = cols * inner;
  if (count == 0 || rows == 0 || middle == 0 || begin >= end)
    return;
  // Run k is (o, r, m) in row-major order over [outer x rows x middle].
  int64_t runs = shape.outer * rows * middle;
  for (int64_t k = begin / count; k < runs && k * count < end; ++k) {
    int64_t m = k % middle, r = (k / middle) % rows, o = k / (middle * rows);
    int64_t in =
        (((o * aIn + rowInOff + r) * middle + m) * bIn + colInOff) * inner;
    int64_t out =
        (((o * aOut + rowOutOff + r) * middle + m) * bOut + colOutOff) * inner;
    int64_t lo = std::max(begin - k * count, int64_t(0));
    int64_t hi = std::min(end - k * count, count);
    fn(in + lo, out + lo, hi - lo);
  }
}

/// The number of elements rank `src` sends rank `dst` in an all_to_all.
inline int64_t allToAllBlockSize(const AllToAllShape &shape, int64_t size,
                                 int64_t src, int64_t dst) {
  bool cf = shape.concatFirst;
  int64_t rows = getShardSize(shape.first, size, cf ? src : dst);
  int64_t cols = getShardSize(shape.second, size, cf ? dst : src);
  return shape.outer * rows * shape.middle * cols * shape.inner;
}

/// acc[i] = op(a[i], b[i]); written as plain loops so they vectorize. `acc`
/// may be `a` or `b`. Every backend reduces with this, left to right in
/// rank order, so their results agree bit for bit.
inline void combineTwo(Reduction op, float *acc, const float *a, const float *b,
                       int64_t n) {
  switch (op) {
  case Reduction::Sum:
    for (int64_t i = 0; i < n; ++i)
      acc[i] = a[i] + b[i];
    return;
  case Reduction::Prod:
    for (int64_t i = 0; i < n; ++i)
      acc[i] = a[i] * b[i];
    return;
  case Reduction::Max:
    for (int64_t i = 0; i < n; ++i)
      acc[i] = std::max(a[i], b[i]);
    return;
  case Reduction::Min:
    for (int64_t i = 0; i < n; ++i)
      acc[i] = std::min(a[i], b[i]);
    return;
  }
}

/// acc[i] = op(acc[i], src[i]).
inline void combineInto(Reduction op, float *acc, const float *src, int64_t n) {
  combineTwo(op, acc, acc, src, n);
}

/// acc[i] = op(src(0)[i], ..., src(ranks - 1)[i]), left to right, as
/// combineInto would: the first two ranks in one pass, not a copy of the
/// first and a pass over it for the second. `acc` may be `src(0)`.
template <typename Src>
void reduceInto(Reduction op, float *acc, int64_t ranks, Src src, int64_t n) {
  if (n <= 0 || ranks <= 0)
    return;
  if (ranks == 1) {
    if (acc != src(0))
      std::memcpy(acc, src(0), sizeof(float) * n);
    return;
  }
  combineTwo(op, acc, src(0), src(1), n);
  for (int64_t q = 2; q < ranks; ++q)
    combineInto(op, acc, src(q), n);
}

/// The error for calls `calls(0) .. calls(size - 1)` of one collective step,
/// or "" when they all match rank 0's and make sense in a job of `size`.
/// Every rank that sees the same calls words it the same way.
template <typename CallOf>
std::string checkCollectiveCalls(int64_t size, CallOf calls) {
  const CollectiveCall &first = calls(0);
  for (int64_t q = 1; q < size; ++q)
    if (!calls(q).matches(first))
      return "collective mismatch: rank 0 called " + first.describe() +
             " but rank " + std::to_string(q) + " called " +
             calls(q).describe();
  if (first.op == CollectiveOp::AllGather && first.d >= 0) {
    int64_t sum = 0;
    std::string shards;
    for (int64_t q = 0; q < size; ++q) {
      sum += calls(q).b;
      shards += (q ? ", " : "") + std::to_string(calls(q).b);
    }
    if (sum != first.d)
      return "collective mismatch: the shards of " + first.describe() +
             " add up to " + std::to_string(sum) + " (" + shards +
             " on the ranks in order), not " + std::to_string(first.d);
  }
  if (first.op == CollectiveOp::Broadcast && (first.b < 0 || first.b >= size))
    return first.describe() + ": there is no rank " + std::to_string(first.b) +
           " in a job of " + std::to_string(size);
  return "";
}

/// "rank 1 finished after 3 collective calls while rank 0 waits in ...".
inline std::string finishedWhileWaiting(int64_t finishedRank, uint64_t calls,
                                        int64_t waitingRank,
                                        const CollectiveCall &waitingIn) {
  return "rank " + std::to_string(finishedRank) + " finished after " +
         std::to_string(calls) + " collective calls while rank " +
         std::to_string(waitingRank) + " waits in " + waitingIn.describe();
}

/// "rank 0 timed out after 100 ms in ... waiting for rank(s) 1".
inline std::string timedOut(int64_t rank, std::chrono::milliseconds timeout,
                            const CollectiveCall &in,
                            const std::string &missing) {
  return "rank " + std::to_string(rank) + " timed out after " +
         std::to_string(timeout.count()) + " ms in " + in.describe() +
         " waiting for rank(s) " + missing;
}

} // namespace mlir::tp::rt

#endif // TP_MLIR_LIB_RUNTIME_COLLECTIVECALL_H
