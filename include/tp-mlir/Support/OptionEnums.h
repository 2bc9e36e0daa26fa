//===- OptionEnums.h - enumerated options of passes and tools ---*- C++ -*-===//
//
// PartitionStrategy, MatmulLowering, Backend and RuntimeTarget
// (OptionEnums.td), each with the command-line parser of EnumOption.h, so
// that pass options, pipeline options and tool flags of these types accept
// exactly their keywords.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_OPTIONENUMS_H
#define TP_MLIR_SUPPORT_OPTIONENUMS_H

#include "tp-mlir/Support/EnumOption.h"

#include "mlir/Support/LLVM.h"

#include "llvm/ADT/DenseMapInfo.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>

#include "tp-mlir/Support/OptionEnums.h.inc"

TP_ENUM_OPTION_PARSER(mlir::tp, PartitionStrategy)
TP_ENUM_OPTION_PARSER(mlir::tp, MatmulLowering)
TP_ENUM_OPTION_PARSER(mlir::tp, Backend)
TP_ENUM_OPTION_PARSER(mlir::tp, RuntimeTarget)

namespace mlir::tp {
/// The batch --strategy auto plans a dynamic batch dimension for, unless
/// told (tp-set-strategy's and tp-partition-pipeline's `batch`).
inline constexpr int64_t kDefaultPlannedBatch = 8;
} // namespace mlir::tp

namespace mlir::tp {
/// matmul=auto: the CPU's local matmuls whose in- and out-features are both
/// at least this many (or not known statically: an uneven shard) run as
/// generated code, the others through BLAS. On the development machine the
/// generated matmul ran at 0.9x OpenBLAS's rate at 128 x 128 weights, at
/// par at 256, and ahead in nearly every chain of 1024 and 4096 features;
/// narrower GEMMs pay its packing and padding (docs/performance.md). The
/// planner's memory model reads it too: generated matmuls allocate packed
/// copies of their operands and result.
inline constexpr int64_t kAutoCodegenMinFeatures = 256;

/// matmul=auto: the CPU's local matmuls whose result, times the devices
/// (the ranks that share the host's caches), has at least this many
/// elements (8 MiB of f32) run through BLAS. The generated matmul writes a
/// packed result and unpacks it, and beyond the cache those passes cost:
/// at D = 2 it ran at 0.67-0.95x OpenBLAS from 1M outputs per rank (one
/// shape at 1.02), at 0.94-1.14x below; at D = 1 at 0.93-0.95x from 2M,
/// 1.00-1.12x below (bench/matmul-outputs.sh, docs/performance.md).
inline constexpr int64_t kAutoCodegenMaxOutputs = int64_t(1) << 21;
} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_OPTIONENUMS_H
