//===- TPDialect.cpp - tp dialect registration and attribute checks -------===//

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPPackedWeights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::tp;

#include "tp-mlir/Dialect/TP/IR/TPDialect.cpp.inc"

void TPDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tp-mlir/Dialect/TP/IR/TPOps.cpp.inc"
      >();
  registerAttributes();
  registerTypes();
}

void TPDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "tp-mlir/Dialect/TP/IR/TPTypes.cpp.inc"
      >();
}

#define GET_TYPEDEF_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPTypes.cpp.inc"

LogicalResult TPDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kMeshAttrName) {
    if (!isa<MeshAttr>(attr.getValue()))
      return op->emitError()
             << "expected '" << kMeshAttrName
             << "' to be a #tp.mesh attribute, found " << attr.getValue();
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << kMeshAttrName
                             << "' may only be attached to a builtin.module, "
                                "found on '"
                             << op->getName() << "'";
    return success();
  }
  if (name == kSPMDAttrName) {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<FunctionOpInterface>(op))
      return op->emitError() << "expected '" << kSPMDAttrName
                             << "' to be a unit attribute on a function";
    if (!lookupMesh(op))
      return op->emitError() << "a partitioned function needs an enclosing "
                                "module with a '"
                             << kMeshAttrName << "' attribute";
    return success();
  }
  if (name == kProfileAttrName) {
    auto names = dyn_cast<ArrayAttr>(attr.getValue());
    if (!names || !llvm::all_of(names, llvm::IsaPred<StringAttr>) ||
        !isa<FunctionOpInterface>(op))
      return op->emitError() << "expected '" << kProfileAttrName
                             << "' to be an array of strings on a function";
    return success();
  }
  if (name == kLeftToBLASAttrName) {
    if (!isa<UnitAttr>(attr.getValue()) ||
        op->getName().getStringRef() != "linalg.matmul")
      return op->emitError() << "expected '" << kLeftToBLASAttrName
                             << "' to be a unit attribute on a linalg.matmul";
    return success();
  }
  if (name == kMatmulCodegenAttrName) {
    if (!isa<UnitAttr>(attr.getValue()) ||
        !llvm::is_contained(
            {"linalg.pack", "linalg.mmt4d", "linalg.unpack", "linalg.fill"},
            op->getName().getStringRef()))
      return op->emitError()
             << "expected '" << kMatmulCodegenAttrName
             << "' to be a unit attribute on a linalg.pack, linalg.mmt4d, "
                "linalg.unpack or linalg.fill";
    return success();
  }
  if (name == kPackedWeightsAttrName)
    return success(succeeded(parsePackedWeights(op, attr.getValue(),
                                                /*emit=*/true)));
  return op->emitError() << "unknown tp attribute '" << name << "' on '"
                         << op->getName() << "'";
}

/// Checks that the `tp.name`s of `fn` are unique. Called once per function,
/// from the first named argument, so that verification stays linear in the
/// number of arguments.
static LogicalResult verifyUniqueNames(FunctionOpInterface fn,
                                       unsigned argIndex) {
  for (unsigned i = 0; i < argIndex; ++i)
    if (fn.getArgAttr(i, TPDialect::kNameAttrName))
      return success(); // an earlier argument runs the check
  llvm::DenseMap<Attribute, unsigned> seen;
  for (unsigned i = argIndex, e = fn.getNumArguments(); i < e; ++i) {
    Attribute name = fn.getArgAttr(i, TPDialect::kNameAttrName);
    if (!name)
      continue;
    auto [it, inserted] = seen.try_emplace(name, i);
    if (!inserted)
      return fn.emitError()
             << "duplicate " << TPDialect::kNameAttrName << " " << name
             << " on arguments #" << it->second << " and #" << i;
  }
  return success();
}

/// Checks a weight manifest entry against the argument's local type and the
/// mesh.
static LogicalResult verifyShardArg(FunctionOpInterface fn, unsigned argIndex,
                                    ShardAttr shard) {
  // The entry describes a tensor or, after bufferization, a memref: how the
  // checkpoint tensor is cut for this argument of a partitioned function.
  Type argType = fn.getArgumentTypes()[argIndex];
  if (!isa<TensorType, BaseMemRefType>(argType))
    return fn.emitError() << "argument #" << argIndex << " of type " << argType
                          << " has a " << TPDialect::kShardAttrName
                          << ", which describes tensors only";
  if (!fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "argument #" << argIndex << " has a "
                          << TPDialect::kShardAttrName
                          << ", the manifest of a partitioned function, but '"
                          << fn.getName() << "' is not marked '"
                          << TPDialect::kSPMDAttrName << "'";
  auto type = dyn_cast<ShapedType>(argType);
  // A weight the caller passes packed (tp-tile-matmuls' pack-weights-ahead)
  // is checked as the weight it was.
  if (std::optional<std::array<int64_t, 2>> packedFrom =
          getPackedWeightShape(fn, argIndex))
    type = RankedTensorType::get(*packedFrom, type.getElementType());
  if (!type.hasRank() ||
      type.getRank() != static_cast<int64_t>(shard.getShape().size()))
    return fn.emitError() << "argument #" << argIndex << " of type "
                          << fn.getArgumentTypes()[argIndex]
                          << " does not match the rank of its "
                          << TPDialect::kShardAttrName << " " << shard;
  MeshAttr mesh = lookupMesh(fn);
  if (!mesh)
    return fn.emitError() << "argument #" << argIndex << " has a "
                          << TPDialect::kShardAttrName
                          << " but no enclosing module carries a '"
                          << TPDialect::kMeshAttrName << "' attribute";
  std::optional<int64_t> dim = shard.getDim();
  if (dim &&
      static_cast<int64_t>(shard.getSizes().size()) != mesh.getNumDevices())
    return fn.emitError() << "argument #" << argIndex << ": expected "
                          << mesh.getNumDevices()
                          << " slices (one per device), found "
                          << shard.getSizes().size();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t local = type.getDimSize(d);
    if (ShapedType::isDynamic(local))
      continue;
    bool ok = true;
    if (dim && d == *dim) {
      for (int64_t size : shard.getSizes())
        ok &= size == local;
    } else {
      ok = local == shard.getShape()[d];
    }
    if (!ok)
      return fn.emitError() << "argument #" << argIndex << " of type " << type
                            << ": dim " << d << " does not match its "
                            << TPDialect::kShardAttrName << " " << shard;
  }
  return success();
}

LogicalResult TPDialect::verifyRegionResultAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned resultIndex,
                                                     NamedAttribute attr) {
  // Names and manifests describe inputs; nothing of tp applies to results.
  return op->emitError() << "unknown tp result attribute '"
                         << attr.getName().getValue() << "' on result #"
                         << resultIndex
                         << " (tp attributes apply to arguments only)";
}

LogicalResult TPDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  StringRef attrName = attr.getName().getValue();
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (attrName == kShardAttrName) {
    auto shard = dyn_cast<ShardAttr>(attr.getValue());
    if (!shard || !fn)
      return op->emitError()
             << "expected '" << kShardAttrName << "' of argument #" << argIndex
             << " to be a #tp.shard on a function argument";
    return verifyShardArg(fn, argIndex, shard);
  }
  if (attrName == kPendingShardAttrName) {
    // The manifest an argument will have once shard-partition makes its type
    // local: until then the type is the checkpoint tensor's.
    auto shard = dyn_cast<ShardAttr>(attr.getValue());
    auto type = fn ? dyn_cast<RankedTensorType>(fn.getArgumentTypes()[argIndex])
                   : RankedTensorType();
    if (!shard || !type)
      return op->emitError()
             << "expected '" << kPendingShardAttrName << "' of argument #"
             << argIndex << " to be a #tp.shard on a tensor argument";
    // shard-partition makes the type local; only the rank stays.
    if (fn->hasAttr(kSPMDAttrName) ||
        type.getRank() != static_cast<int64_t>(shard.getShape().size()))
      return op->emitError()
             << "argument #" << argIndex << " of type " << type << " has a '"
             << kPendingShardAttrName << "' " << shard
             << ": it describes an argument of that rank not yet converted "
                "to tp";
    return success();
  }
  if (attrName != kNameAttrName)
    return op->emitError() << "unknown tp argument attribute '" << attrName
                           << "' on argument #" << argIndex;
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name || name.getValue().empty())
    return op->emitError() << "expected '" << kNameAttrName << "' of argument #"
                           << argIndex << " to be a non-empty string, found "
                           << attr.getValue();
  // A safetensors file names its tensors in a JSON header, and keeps one
  // key for its own metadata.
  if (!llvm::json::isUTF8(name.getValue()))
    return op->emitError() << "expected '" << kNameAttrName << "' of argument #"
                           << argIndex
                           << " to be valid UTF-8, as the names in a "
                              "safetensors file are";
  if (name.getValue() == "__metadata__")
    return op->emitError() << "'" << kNameAttrName << "' of argument #"
                           << argIndex
                           << " is \"__metadata__\", the key a safetensors "
                              "file keeps for its metadata; choose another "
                              "name";
  // Checkpoint names identify tensors in a weights file, so they must be
  // unique within a function.
  return fn ? verifyUniqueNames(fn, argIndex) : success();
}
