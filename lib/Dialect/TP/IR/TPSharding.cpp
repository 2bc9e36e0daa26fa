//===- TPSharding.cpp - shards in IR types --------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

std::optional<int64_t> mlir::tp::getWeightSplitDim(ShardingKind kind) {
  switch (kind) {
  case ShardingKind::row:
    return 0;
  case ShardingKind::column:
    return 1;
  case ShardingKind::replicated:
  case ShardingKind::batch:
    return std::nullopt;
  }
  llvm_unreachable("unknown sharding");
}

std::optional<int64_t> mlir::tp::getBiasSplitDim(ShardingKind kind) {
  return kind == ShardingKind::row ? std::optional<int64_t>(0) : std::nullopt;
}

OpOperand *mlir::tp::findNonParameterUse(BlockArgument arg) {
  for (OpOperand &use : arg.getUses()) {
    auto user = dyn_cast<LinearOp>(use.getOwner());
    if (!user || use.get() == user.getInput())
      return &use;
  }
  return nullptr;
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

std::pair<Value, Value> mlir::tp::buildBalancedShard(OpBuilder &b, Location loc,
                                                     Value extent,
                                                     int64_t parts,
                                                     Value index) {
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value d = constant(parts);
  Value q = arith::DivUIOp::create(b, loc, extent, d);
  Value rem = arith::RemUIOp::create(b, loc, extent, d);
  Value hasExtra =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, rem);
  Value size = arith::AddIOp::create(
      b, loc, q,
      arith::SelectOp::create(b, loc, hasExtra, constant(1), constant(0)));
  Value offset =
      arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, index, q),
                            arith::MinUIOp::create(b, loc, index, rem));
  return {offset, size};
}
