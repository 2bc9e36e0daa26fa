//===- Tensor.h - a dense f32 host tensor -----------------------*- C++ -*-===//
//
// The value type of the reference evaluator and of the tools that feed it:
// a row-major f32 buffer with a static shape.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_EVALUATOR_TENSOR_H
#define TP_MLIR_EVALUATOR_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tp {

struct Tensor {
  llvm::SmallVector<int64_t, 2> shape;
  std::vector<float> data;

  Tensor() = default;
  /// A zero-filled tensor.
  explicit Tensor(llvm::ArrayRef<int64_t> shape);
  Tensor(llvm::ArrayRef<int64_t> shape, std::vector<float> values);

  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const { return data.size(); }
  /// The shape as "4x16" ("scalar" for rank 0).
  std::string shapeString() const;

  /// A tensor whose element i is uniform in [-scale, scale), a pure function
  /// of (seed, stream, i). Any slice can therefore be generated on its own,
  /// without producing the rest of the tensor.
  static Tensor random(llvm::ArrayRef<int64_t> shape, uint64_t seed,
                       uint64_t stream, float scale);

  /// The slice [offset, offset + size) along `dim` of
  /// random(fullShape, seed, stream, scale), made without the rest.
  static Tensor randomSlice(llvm::ArrayRef<int64_t> fullShape, int64_t dim,
                            int64_t offset, int64_t size, uint64_t seed,
                            uint64_t stream, float scale);
};

/// Element `index` of the counter-based uniform stream (seed, stream), in
/// [-1, 1). SplitMix64 finalizer over the three words.
float randomUniform(uint64_t seed, uint64_t stream, uint64_t index);

/// Product of the dims; 1 for rank 0. For shapes already checked against
/// the limits (Support/Limits.h); getCheckedNumElements checks.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

/// "4x16" ("scalar" for rank 0), without making a tensor of that shape.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Largest |a - b| / max(|b|, floor) over all elements; `a` and `b` must have
/// the same shape. The floor keeps near-zero references from dominating.
double maxRelativeError(const Tensor &a, const Tensor &b, double floor = 1.0);

/// The error measure of every equivalence check (docs/partitioning.md):
/// maxRelativeError with the floor at 10% of `ref`'s largest finite
/// magnitude, so that f32 sums cancelling near zero do not read as large
/// relative errors. A NaN or infinity agrees only with the same one in
/// `ref`; any other makes the error infinite.
double outputRelativeError(const Tensor &out, const Tensor &ref);

} // namespace mlir::tp

#endif // TP_MLIR_EVALUATOR_TENSOR_H
