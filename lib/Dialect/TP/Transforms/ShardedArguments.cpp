//===- ShardedArguments.cpp - weight arguments and their manifest ---------===//

#include "ShardedArguments.h"

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::tp;

ShardAttr mlir::tp::splitArgument(BlockArgument arg, std::optional<int64_t> dim,
                                  int64_t numDevices) {
  auto full = cast<RankedTensorType>(arg.getType());
  if (dim)
    arg.setType(getLocalType(full, *dim, numDevices));
  return getBalancedShard(arg.getContext(), full.getShape(), dim, numDevices);
}

void mlir::tp::setManifest(FunctionOpInterface fn,
                           ArrayRef<std::pair<unsigned, ShardAttr>> entries) {
  if (entries.empty())
    return;
  MLIRContext *ctx = fn.getContext();
  SmallVector<Attribute> argAttrs;
  if (ArrayAttr all = fn.getAllArgAttrs())
    argAttrs.assign(all.begin(), all.end());
  argAttrs.resize(fn.getNumArguments(), DictionaryAttr::get(ctx));
  for (auto [index, shard] : entries) {
    NamedAttrList attrs(cast<DictionaryAttr>(argAttrs[index]));
    attrs.set(TPDialect::kShardAttrName, shard);
    argAttrs[index] = attrs.getDictionary(ctx);
  }
  fn.setAllArgAttrs(argAttrs);
  SmallVector<Type> argTypes;
  for (BlockArgument arg : fn.getArguments())
    argTypes.push_back(arg.getType());
  fn.setType(FunctionType::get(fn.getContext(), argTypes, fn.getResultTypes()));
}
