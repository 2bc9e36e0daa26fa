/*===- tp-mlir-c/Driver.h - compile and run a tp model, from C ------------===*\
|*                                                                            *|
|* The driver (tp-mlir/Driver/Driver.h) for C callers: partition a          *|
|* model-level module for D devices and compile it for a backend, then run  *|
|* it with the full arguments in host memory (each rank takes only its      *|
|* shards) and get the output, optionally checked against the unpartitioned *|
|* model. Errors are returned, never printed or fatal: a function that      *|
|* fails writes why into the caller's `error` buffer (NUL-terminated,       *|
|* truncated to `errorSize`) and returns a null handle or a non-zero value. *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TP_MLIR_C_DRIVER_H
#define TP_MLIR_C_DRIVER_H

#include "mlir-c/IR.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Where the ranks run.
typedef enum TpBackend {
  TP_BACKEND_THREADS = 0, ///< compiled code, one thread per rank
  TP_BACKEND_MPI = 1,     ///< this process is one rank of an MPI job
  TP_BACKEND_GPU = 3,     ///< one thread per rank, each on a GPU
  TP_BACKEND_GPU_MPI = 4, ///< this process is one rank, on its GPU
} TpBackend;

/// The sharding of layers the model does not annotate.
typedef enum TpStrategy {
  TP_STRATEGY_ROW = 0,
  TP_STRATEGY_COLUMN = 1,
  TP_STRATEGY_ALTERNATE = 2,
  TP_STRATEGY_REPLICATED = 3,
  TP_STRATEGY_AUTO = 4,  ///< the planner: each layer by the cost model
  TP_STRATEGY_BATCH = 5, ///< data parallelism: the batch split, W whole
} TpStrategy;

/// A model partitioned and compiled for a backend, with its ranks.
typedef struct TpCompiledModel {
  void *ptr;
} TpCompiledModel;

static inline bool tpCompiledModelIsNull(TpCompiledModel model) {
  return !model.ptr;
}

/// Partitions function `entry` of the model-level `module` (empty: its only
/// public function) for `devices` (0: the module's tp.mesh, else 1) with
/// `strategy`, compiles it for `backend` and starts its ranks. The module
/// is copied; the caller keeps it. The context must hold the dialects of
/// tpRegisterAllDialects, and outlive the compiled model (destroy the
/// model first: it holds its copy of the module in the context).
MLIR_CAPI_EXPORTED TpCompiledModel tpCompile(
    MlirModule module, MlirStringRef entry, int64_t devices,
    TpStrategy strategy, TpBackend backend, char *error, size_t errorSize);

/// The devices and the arguments of a compiled model; -1 for a null one.
MLIR_CAPI_EXPORTED int64_t tpCompiledModelGetNumDevices(TpCompiledModel model);
MLIR_CAPI_EXPORTED intptr_t
tpCompiledModelGetNumArguments(TpCompiledModel model);

/// One full argument in host memory: row-major f32 of `rank` dims.
typedef struct TpHostTensor {
  const float *data;
  intptr_t rank;
  const int64_t *shape;
} TpHostTensor;

/// Runs the model once on every rank with `args` (one per argument of the
/// function, in order; a dynamic batch takes the buffers' size). Each rank
/// gets only its shards. The output (rank 0's, the full result) is
/// written row-major to `output`, which holds `outputCapacity` floats; its
/// shape goes to `outputShape`, which holds `outputRank` entries (those past
/// the output's rank are set to 0). With `check`,
/// every rank's output is compared with the unpartitioned model, each
/// element within its f32 rounding bound. Returns 0, or 1 with the error
/// (a count of buffers other than the model's arguments, a null output
/// buffer, ...). Runs of one model from several threads take turns.
MLIR_CAPI_EXPORTED int tpRun(TpCompiledModel model, intptr_t numArgs,
                             const TpHostTensor *args, float *output,
                             int64_t outputCapacity, int64_t *outputShape,
                             intptr_t outputRank, bool check, char *error,
                             size_t errorSize);

/// Frees the model (a null one is ignored). Like free(), once per model:
/// every copy of the handle is then dangling, and destroying or running
/// one is undefined.
MLIR_CAPI_EXPORTED void tpCompiledModelDestroy(TpCompiledModel model);

#ifdef __cplusplus
}
#endif

#endif // TP_MLIR_C_DRIVER_H
