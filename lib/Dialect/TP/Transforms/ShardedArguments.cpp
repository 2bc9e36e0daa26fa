//===- ShardedArguments.cpp - weight arguments and their manifest ---------===//

#include "ShardedArguments.h"

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::tp;

void mlir::tp::setArgumentSplit(FunctionOpInterface fn, BlockArgument arg,
                                std::optional<int64_t> dim,
                                int64_t numDevices) {
  auto full = cast<RankedTensorType>(arg.getType());
  SmallVector<int64_t> offsets, sizes;
  if (dim) {
    int64_t extent = full.getDimSize(*dim);
    for (int64_t r = 0; r < numDevices; ++r) {
      offsets.push_back(getShardOffset(extent, numDevices, r));
      sizes.push_back(getShardSize(extent, numDevices, r));
    }
    arg.setType(getLocalType(full, *dim, numDevices));
  }
  fn.setArgAttr(
      arg.getArgNumber(), TPDialect::kShardAttrName,
      ShardAttr::get(fn.getContext(), full.getShape(), dim, offsets, sizes));
}

void mlir::tp::updateFunctionArgumentTypes(FunctionOpInterface fn) {
  SmallVector<Type> argTypes;
  for (BlockArgument arg : fn.getArguments())
    argTypes.push_back(arg.getType());
  fn.setType(FunctionType::get(fn.getContext(), argTypes, fn.getResultTypes()));
}
