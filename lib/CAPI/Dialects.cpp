//===- Dialects.cpp - the tp dialect and passes, from C -------------------===//

#include "tp-mlir-c/Dialects.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Driver/Driver.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::tp;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(TP, tp, mlir::tp::TPDialect)

void tpRegisterAllDialects(MlirDialectRegistry registry) {
  registerDriverDialects(*unwrap(registry));
}

void tpRegisterPassesAndPipelines(void) { registerTPPassesAndPipelines(); }

MlirAttribute tpMeshAttrGet(MlirContext ctx, int64_t devices) {
  MLIRContext *context = unwrap(ctx);
  int64_t extents[] = {devices};
  ArrayRef<int64_t> shape(extents);
  return wrap(MeshAttr::getChecked(
      [&] { return emitError(UnknownLoc::get(context)); }, context, shape));
}

bool tpAttributeIsAMesh(MlirAttribute attr) {
  return isa_and_present<MeshAttr>(unwrap(attr));
}

int64_t tpMeshAttrGetNumDevices(MlirAttribute attr) {
  auto mesh = dyn_cast_if_present<MeshAttr>(unwrap(attr));
  return mesh ? mesh.getNumDevices() : -1;
}

MlirAttribute tpModuleGetMesh(MlirModule module) {
  if (mlirModuleIsNull(module))
    return MlirAttribute{nullptr};
  return wrap(static_cast<Attribute>(
      unwrap(module)->getAttrOfType<MeshAttr>(TPDialect::kMeshAttrName)));
}

void tpModuleSetMesh(MlirModule module, MlirAttribute mesh) {
  // A null module has no context to report to.
  if (mlirModuleIsNull(module))
    return;
  Operation *op = unwrap(module);
  Attribute attr = unwrap(mesh);
  if (!attr) {
    op->removeAttr(TPDialect::kMeshAttrName);
    return;
  }
  if (!isa<MeshAttr>(attr)) {
    op->emitError() << "tpModuleSetMesh: " << attr
                    << " is not a #tp.mesh; the module is left as it is";
    return;
  }
  op->setAttr(TPDialect::kMeshAttrName, attr);
}

MlirAttribute tpShardingAttrGet(MlirContext ctx, TpSharding sharding) {
  std::optional<ShardingKind> kind =
      symbolizeShardingKind(static_cast<uint32_t>(sharding));
  if (!kind) {
    emitError(UnknownLoc::get(unwrap(ctx)))
        << "unknown sharding " << static_cast<int>(sharding)
        << "; expected replicated (0), row (1), column (2) or batch (3)";
    return MlirAttribute{nullptr};
  }
  return wrap(ShardingKindAttr::get(unwrap(ctx), *kind));
}

bool tpAttributeIsASharding(MlirAttribute attr) {
  return isa_and_present<ShardingKindAttr>(unwrap(attr));
}

TpSharding tpShardingAttrGetValue(MlirAttribute attr) {
  auto sharding = dyn_cast_if_present<ShardingKindAttr>(unwrap(attr));
  return sharding ? static_cast<TpSharding>(sharding.getValue())
                  : TP_SHARDING_INVALID;
}

MlirAttribute tpShardAttrGet(MlirContext ctx, intptr_t rank,
                             const int64_t *shape, int64_t dim,
                             intptr_t numRanks, const int64_t *offsets,
                             const int64_t *sizes) {
  MLIRContext *context = unwrap(ctx);
  auto error = [&] { return emitError(UnknownLoc::get(context)); };
  // The arrays are the caller's: their lengths must be counts, and a
  // non-empty one must be there.
  if (rank < 0 || (rank > 0 && !shape) ||
      (dim >= 0 && (numRanks < 0 || (numRanks > 0 && (!offsets || !sizes))))) {
    error() << "tpShardAttrGet: a negative count or a null array (rank " << rank
            << ", numRanks " << numRanks << ")";
    return MlirAttribute{nullptr};
  }
  ArrayRef<int64_t> full(shape, rank);
  std::optional<int64_t> split;
  ArrayRef<int64_t> starts, extents;
  if (dim >= 0) {
    split = dim;
    starts = ArrayRef<int64_t>(offsets, numRanks);
    extents = ArrayRef<int64_t>(sizes, numRanks);
  }
  return wrap(
      ShardAttr::getChecked(error, context, full, split, starts, extents));
}

bool tpAttributeIsAShard(MlirAttribute attr) {
  return isa_and_present<ShardAttr>(unwrap(attr));
}

int64_t tpShardAttrGetDim(MlirAttribute attr) {
  auto shard = dyn_cast_if_present<ShardAttr>(unwrap(attr));
  std::optional<int64_t> dim = shard ? shard.getDim() : std::nullopt;
  return dim ? *dim : -1;
}

intptr_t tpShardAttrGetNumRanks(MlirAttribute attr) {
  auto shard = dyn_cast_if_present<ShardAttr>(unwrap(attr));
  return shard ? static_cast<intptr_t>(shard.getSizes().size()) : -1;
}

int64_t tpShardAttrGetOffset(MlirAttribute attr, intptr_t rank) {
  auto shard = dyn_cast_if_present<ShardAttr>(unwrap(attr));
  ArrayRef<int64_t> offsets = shard ? shard.getOffsets() : ArrayRef<int64_t>();
  return rank >= 0 && rank < static_cast<intptr_t>(offsets.size())
             ? offsets[rank]
             : -1;
}

int64_t tpShardAttrGetSize(MlirAttribute attr, intptr_t rank) {
  auto shard = dyn_cast_if_present<ShardAttr>(unwrap(attr));
  ArrayRef<int64_t> sizes = shard ? shard.getSizes() : ArrayRef<int64_t>();
  return rank >= 0 && rank < static_cast<intptr_t>(sizes.size()) ? sizes[rank]
                                                                 : -1;
}
