/*===- tp-mlir-c/Dialects.h - the tp dialect and passes, from C -----------===*\
|*                                                                            *|
|* MLIR's C API conventions (mlir-c/IR.h): the dialect handle for            *|
|* registration, pass and pipeline registration for textual pipelines, and  *|
|* builders and accessors of tp's attributes. Builders verify: an invalid    *|
|* attribute is a null MlirAttribute, with the reason reported to the        *|
|* context's diagnostic handlers. The tests (tpAttributeIsA*) are false for  *|
|* a null attribute, and the getters of a null attribute, or of one of      *|
|* another kind, return -1 (TP_SHARDING_INVALID for the sharding).          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TP_MLIR_C_DIALECTS_H
#define TP_MLIR_C_DIALECTS_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// mlirGetDialectHandle__tp__(): the tp dialect.
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(TP, tp);

/// Inserts into `registry` every dialect a tp model and its lowerings use:
/// tp, the upstream dialects and their interfaces, and the LLVM IR
/// translations (tp-opt's registry).
MLIR_CAPI_EXPORTED void tpRegisterAllDialects(MlirDialectRegistry registry);

/// Registers tp's passes and pipelines (tp-partition-pipeline,
/// tp-to-llvm-pipeline, tp-to-gpu-pipeline, ...) for
/// mlirParsePassPipeline and mlirOpPassManagerAddPipeline.
MLIR_CAPI_EXPORTED void tpRegisterPassesAndPipelines(void);

/// How a layer is split (`sharding(...)` of tp.linear).
typedef enum TpSharding {
  /// What tpShardingAttrGetValue gives for an attribute that is null or
  /// not a sharding.
  TP_SHARDING_INVALID = -1,
  TP_SHARDING_REPLICATED = 0,
  TP_SHARDING_ROW = 1,
  TP_SHARDING_COLUMN = 2,
  TP_SHARDING_BATCH = 3,
} TpSharding;

/// #tp.mesh<shape = [devices]>: null unless devices >= 1.
MLIR_CAPI_EXPORTED MlirAttribute tpMeshAttrGet(MlirContext ctx,
                                               int64_t devices);
MLIR_CAPI_EXPORTED bool tpAttributeIsAMesh(MlirAttribute attr);
/// The mesh's device count.
MLIR_CAPI_EXPORTED int64_t tpMeshAttrGetNumDevices(MlirAttribute attr);
/// The module's tp.mesh, or a null attribute (also for a null module).
MLIR_CAPI_EXPORTED MlirAttribute tpModuleGetMesh(MlirModule module);
/// Sets the module's tp.mesh; a null attribute removes it, and one that is
/// not a mesh is an error (reported to the context's diagnostic handlers)
/// that leaves the module as it is. A null module is left alone.
MLIR_CAPI_EXPORTED void tpModuleSetMesh(MlirModule module, MlirAttribute mesh);

/// A layer's sharding, for the `sharding` attribute of tp.linear
/// (mlirOperationSetAttributeByName(op, "sharding", ...)).
MLIR_CAPI_EXPORTED MlirAttribute tpShardingAttrGet(MlirContext ctx,
                                                   TpSharding sharding);
MLIR_CAPI_EXPORTED bool tpAttributeIsASharding(MlirAttribute attr);
MLIR_CAPI_EXPORTED TpSharding tpShardingAttrGetValue(MlirAttribute attr);

/// The weight manifest of one argument, #tp.shard: the full `shape`
/// (`rank` dims), split along `dim` with one offset and size per rank
/// (`numRanks` each); `dim` < 0 makes it replicated (offsets and sizes are
/// then unused). Null when the slices do not cover the dimension in rank
/// order, or when a count is negative or a non-empty array null.
MLIR_CAPI_EXPORTED MlirAttribute tpShardAttrGet(MlirContext ctx, intptr_t rank,
                                                const int64_t *shape,
                                                int64_t dim, intptr_t numRanks,
                                                const int64_t *offsets,
                                                const int64_t *sizes);
MLIR_CAPI_EXPORTED bool tpAttributeIsAShard(MlirAttribute attr);
/// The split dimension, or -1 when replicated.
MLIR_CAPI_EXPORTED int64_t tpShardAttrGetDim(MlirAttribute attr);
/// The number of ranks the manifest lists (0 when replicated).
MLIR_CAPI_EXPORTED intptr_t tpShardAttrGetNumRanks(MlirAttribute attr);
/// Rank `rank`'s offset and size along the split dimension; -1 for a rank
/// the manifest does not list.
MLIR_CAPI_EXPORTED int64_t tpShardAttrGetOffset(MlirAttribute attr,
                                                intptr_t rank);
MLIR_CAPI_EXPORTED int64_t tpShardAttrGetSize(MlirAttribute attr,
                                              intptr_t rank);

#ifdef __cplusplus
}
#endif

#endif // TP_MLIR_C_DIALECTS_H
