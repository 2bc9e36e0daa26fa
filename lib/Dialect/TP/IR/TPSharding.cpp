//===- TPSharding.cpp - the balanced split rule ---------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

#include <algorithm>

using namespace mlir;

int64_t mlir::tp::getShardSize(int64_t size, int64_t numDevices, int64_t rank) {
  return size / numDevices + (rank < size % numDevices ? 1 : 0);
}

int64_t mlir::tp::getShardOffset(int64_t size, int64_t numDevices,
                                 int64_t rank) {
  return rank * (size / numDevices) + std::min(rank, size % numDevices);
}

int64_t mlir::tp::getLocalDimSize(int64_t size, int64_t numDevices) {
  if (ShapedType::isDynamic(size) || size % numDevices != 0)
    return ShapedType::kDynamic;
  return size / numDevices;
}

RankedTensorType mlir::tp::getLocalType(RankedTensorType full, int64_t dim,
                                        int64_t numDevices) {
  SmallVector<int64_t> shape(full.getShape());
  shape[dim] = getLocalDimSize(shape[dim], numDevices);
  return full.clone(shape);
}
