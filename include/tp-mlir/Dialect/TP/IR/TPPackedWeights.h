//===- TPPackedWeights.h - weights the caller passes packed ----*- C++ -*-===//
//
// tp-tile-matmuls with pack-weights-ahead turns a public function's weight
// argument that only generated matmuls read into the panels those matmuls
// read, so that a caller packs it once (where it places the weights) and no
// call packs it again. The function's `tp.packed_weights` attribute lists
// such arguments:
//
//   tp.packed_weights = [{argument = 1 : i64, rows = 16 : i64,
//                         k_major = false, shape = array<i64: 512, 1024>}]
//
// `shape` is the weight the function took before (W, N x K, as y = x W^T
// reads it; K x N when `k_major`, a plain y = x B), with
// ShapedType::kDynamic (printed -9223372036854775808) for a dynamic size,
// such as an uneven shard's. The argument's type is now
// [ceil(N / rows)][K][rows][1], zero-padded, with element
// [n1][k][n0][0] = W[n1 * rows + n0][k]: the layout linalg.pack gives with
// inner tiles [rows, 1]; a dynamic N or K makes its dimension dynamic, and
// the caller packs the weight it has.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPPACKEDWEIGHTS_H
#define TP_MLIR_DIALECT_TP_IR_TPPACKEDWEIGHTS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <array>
#include <cstdint>
#include <optional>

namespace mlir::tp {

/// The generated matmul's register tile for registers of `lanes` f32
/// lanes: `rows` rows of x (the panels of x, each element broadcast) by
/// `cols` outputs (the panels of W, `cols / lanes` vector loads), so
/// `rows * cols / lanes` accumulator registers. With 32 registers
/// (AVX-512) a square 16 x 16 tile; with 16 (AVX2, SSE) 6 rows by two
/// registers, 12 accumulators, so that each step of K issues 8 loads for
/// 12 FMAs where the square 8 x 8 tile issued 9 for 8, and the FMA units,
/// not the loads, bound it. Packed weights' `rows` is `cols`.
struct MatmulRegisterTile {
  int64_t rows = 0;
  int64_t cols = 0;
};
inline MatmulRegisterTile matmulRegisterTile(int64_t lanes) {
  if (lanes >= 16)
    return {lanes, lanes};
  return {6, 2 * lanes};
}

/// One argument the caller passes packed (see the file comment).
struct PackedWeight {
  unsigned argument = 0;
  int64_t rows = 0;
  bool kMajor = false;
  /// The unpacked weight: N x K, or K x N when kMajor; either may be
  /// ShapedType::kDynamic.
  std::array<int64_t, 2> shape = {0, 0};

  int64_t outFeatures() const { return shape[kMajor ? 1 : 0]; }
  int64_t inFeatures() const { return shape[kMajor ? 0 : 1]; }
  /// [ceil(N / rows)][K][rows][1]; dynamic where N or K is.
  std::array<int64_t, 4> packedShape() const;
  /// This packing of a weight of static `weightShape`, which fits `shape`.
  PackedWeight of(ArrayRef<int64_t> weightShape) const;
  /// Writes row-major `src` (`shape`, static) into `dst` (`packedShape()`),
  /// the padding included.
  void pack(const float *src, float *dst) const;
};

/// The function attribute that lists them.
inline constexpr llvm::StringLiteral kPackedWeightsAttrName =
    "tp.packed_weights";

/// The attribute's value for `weights`.
Attribute buildPackedWeightsAttr(MLIRContext *context,
                                 ArrayRef<PackedWeight> weights);

/// The packed weights `op`'s attribute `value` describes; without `emit`,
/// nothing is reported. Checks each entry's fields and, where `op` is a
/// function, that its argument exists and has the packed type.
FailureOr<SmallVector<PackedWeight>>
parsePackedWeights(Operation *op, Attribute value, bool emit);

/// The former shape of argument `argument` of function `op` when its
/// tp.packed_weights lists it, without checking the rest of the attribute
/// (the dialect's verifier does, once per function).
std::optional<std::array<int64_t, 2>> getPackedWeightShape(Operation *op,
                                                           unsigned argument);

/// The packed weights of function `op` (none without the attribute).
SmallVector<PackedWeight> getPackedWeights(Operation *op);

} // namespace mlir::tp

#endif // TP_MLIR_DIALECT_TP_IR_TPPACKEDWEIGHTS_H
