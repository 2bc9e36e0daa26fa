//===- TPToRuntime.h - collectives to runtime calls, per backend -*- C++
//-*-===//
//
// One set of patterns lowers tp.rank and the collectives to calls into a
// runtime; what differs between runtimes is described by a CollectiveABI:
// the entry points, the element types it implements, and where result
// buffers live. The host runtimes (threads and MPI) share one ABI, because
// the communicator that answers a call is chosen at run time, per thread:
// one compiled object runs on both. The GPU runtime (NCCL) has its own.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_CONVERSION_TPTORUNTIME_TPTORUNTIME_H
#define TP_MLIR_CONVERSION_TPTORUNTIME_TPTORUNTIME_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Types.h"

#include <functional>
#include <string>

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
namespace tp {

/// How compiled code reaches a runtime's collectives.
struct CollectiveABI {
  /// The runtime, for diagnostics ("host").
  std::string name;
  /// Entry points (see tp-mlir/Runtime/EntryPoints.h for the host's):
  /// `rank` takes nothing and returns i64; each collective takes its input
  /// and its freshly allocated output as unranked memrefs, then the split
  /// dim (i64, gather and scatter) and the reduction kind (i32, reductions),
  /// through MLIR's C interface (`_mlir_ciface_<name>`).
  std::string rank, allGather, allReduce, reduceScatter;
  /// The element types whose collectives the runtime implements.
  std::function<bool(Type)> supportsElementType;
  /// The memory space of the result buffers (null: the default, host
  /// memory).
  Attribute memorySpace;
  /// Inputs are passed with an identity layout, so a strided operand is
  /// copied by bufferization before the call (runtimes that hand buffers to
  /// a device library, which takes contiguous memory only).
  bool contiguousInputs = false;
  /// (in, out, split: i64, concat: i64). Empty: the runtime has none, and
  /// tp.all_to_all lowers to an all_gather and a slice (D times the
  /// traffic, the same values).
  std::string allToAll;
  /// Asynchronous collectives: i64 (in, out, then as allReduce or
  /// allGather) start one and return its handle; (handle: i64, in, out)
  /// completes it. Empty: the runtime has none, and tp.wait is an error.
  std::string allReduceStart, allGatherStart, wait;
};

/// The ABI of the threads and MPI runtimes: host buffers, f32.
const CollectiveABI &getHostCollectiveABI();
/// The ABI of the GPU runtime (tp-mlir/Runtime/GPU.h): device buffers, f32,
/// NCCL or the single-GPU communicator behind it.
const CollectiveABI &getGPUCollectiveABI();

/// Lowers tp.rank, tp.all_slice (a slice at the rank's balanced offset, no
/// call), tp.all_gather, tp.all_to_all, tp.all_reduce and tp.reduce_scatter
/// into calls of
/// `abi`, on buffers wrapped in to_buffer / to_tensor so that one-shot
/// bufferization handles the rest. A collective on an element type the ABI
/// lacks does not match.
void populateTPToRuntimePatterns(RewritePatternSet &patterns,
                                 const CollectiveABI &abi);

/// Marks what those patterns lower illegal; everything else stays legal.
void configureTPToRuntimeTarget(ConversionTarget &target);

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_CONVERSION_TPTORUNTIME_TPTORUNTIME_H
