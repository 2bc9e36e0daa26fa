//===- TPSharding.cpp - shards in IR types --------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

using namespace mlir;

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

tp::ShardAttr mlir::tp::getBalancedShard(MLIRContext *context,
                                         ArrayRef<int64_t> shape,
                                         std::optional<int64_t> dim,
                                         int64_t numDevices) {
  SmallVector<int64_t> offsets, sizes;
  if (dim) {
    int64_t extent = shape[*dim];
    for (int64_t r = 0; r < numDevices; ++r) {
      offsets.push_back(getShardOffset(extent, numDevices, r));
      sizes.push_back(getShardSize(extent, numDevices, r));
    }
  }
  return ShardAttr::get(context, shape, dim, offsets, sizes);
}
