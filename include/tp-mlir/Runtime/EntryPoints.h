//===- EntryPoints.h - names of the runtime functions compiled code calls -*-
// C++ -*-===//
//
// The one list of the tp runtime's entry points. The lowering
// (TPToRuntime.h's CollectiveABI, the BLAS matmul and the profile timers)
// declares calls to these names; the runtime libraries define them and
// register them with the JIT under the same names. Functions that take
// memrefs are called through MLIR's C interface: their symbol is the name
// with kCInterfacePrefix in front.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_ENTRYPOINTS_H
#define TP_MLIR_RUNTIME_ENTRYPOINTS_H

#include <cstdint>

namespace mlir::tp::rt::entry {

inline constexpr const char kCInterfacePrefix[] = "_mlir_ciface_";
/// void (void **args): a cut entry function (tp-outline-segments) that takes
/// an array of pointers to the result's descriptor, then to each argument's.
/// Its symbol is the function's name with this suffix.
inline constexpr const char kPackedSuffix[] = ".packed";

/// int64_t (): the calling thread's rank.
inline constexpr const char kRank[] = "tp_rt_rank";
/// (in, out: unranked f32 memrefs, dim: i64).
inline constexpr const char kAllGather[] = "tp_rt_all_gather";
/// (in, out: unranked f32 memrefs, reduction: i32).
inline constexpr const char kAllReduce[] = "tp_rt_all_reduce";
/// (in, out: unranked f32 memrefs, dim: i64, reduction: i32).
inline constexpr const char kReduceScatter[] = "tp_rt_reduce_scatter";

/// (in, out: unranked f32 memrefs, split: i64, concat: i64).
inline constexpr const char kAllToAll[] = "tp_rt_all_to_all";

/// i64 (in, out: unranked f32 memrefs, reduction: i32): starts an
/// all_reduce and returns its handle.
inline constexpr const char kAllReduceStart[] = "tp_rt_all_reduce_start";
/// i64 (in, out: unranked f32 memrefs, dim: i64).
inline constexpr const char kAllGatherStart[] = "tp_rt_all_gather_start";
/// (handle: i64, in, out: the buffers the start was given): completes it.
inline constexpr const char kWait[] = "tp_rt_wait";

/// (x, w, y: strided 2-D f32 memrefs): y += x w^T with BLAS sgemm.
inline constexpr const char kMatmulNT[] = "tp_rt_matmul_nt";
/// The same, y = x w^T (beta = 0): y's old contents are not read.
inline constexpr const char kMatmulNTOverwrite[] = "tp_rt_matmul_nt_overwrite";

/// i32 (entry, spec, names, descriptors: pointers): the prologue of an
/// ahead-of-time compiled entry, which checks the descriptors an
/// application passes against what the entry was compiled for before
/// anything reads them; 1 when they fit. `descriptors` is an array of
/// pointers: to the result's descriptor, then to each argument's (a cut
/// entry's array, kPackedSuffix). `spec` holds i64 words: the number of
/// ranks D, the number of arguments, the result's rank, then per argument
/// its rank R, the offset and length of its name in `names`, its full
/// shape (R words, -1 for the dynamic batch), its split dimension (-1:
/// replicated) and, when split, the D ranks' sizes along it.
inline constexpr const char kCheckEntry[] = "tp_rt_check_entry";

/// (id: i64): bracket profiled region `id`.
inline constexpr const char kTimerBegin[] = "tp_rt_timer_begin";
inline constexpr const char kTimerEnd[] = "tp_rt_timer_end";

// The GPU runtime (Runtime/GPU.h): the same signatures on device buffers.
inline constexpr const char kGPUAllGather[] = "tp_gpu_all_gather";
inline constexpr const char kGPUAllReduce[] = "tp_gpu_all_reduce";
inline constexpr const char kGPUReduceScatter[] = "tp_gpu_reduce_scatter";
/// (x, w, y: strided 2-D f32 memrefs, epilogue: i32).
inline constexpr const char kGPUMatmulNT[] = "tp_gpu_matmul_nt";
/// (x, w: strided 2-D, b: strided 1-D, y: strided 2-D, epilogue: i32).
inline constexpr const char kGPUMatmulNTBias[] = "tp_gpu_matmul_nt_bias";
/// The cuBLASLt epilogues the matmul applies.
enum class GPUEpilogue : int32_t { None = 0, Relu = 1, GeluTanh = 2 };
inline constexpr const char kGPUTimerBegin[] = "tp_rt_gpu_timer_begin";
inline constexpr const char kGPUTimerEnd[] = "tp_rt_gpu_timer_end";

} // namespace mlir::tp::rt::entry

#endif // TP_MLIR_RUNTIME_ENTRYPOINTS_H
