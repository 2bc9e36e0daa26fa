/* A C program that uses only tp-mlir's and MLIR's C APIs: it registers the
   dialects and passes, builds and inspects tp's attributes (and is refused
   invalid ones), parses a model, runs the partition pipeline from a
   textual description, then compiles the model for CPU threads and runs it
   with its arguments in host buffers, checking the output against a plain C
   forward pass and the driver's own check; bad calls are errors. Its output
   is checked by test/CAPI/capi.test. */
#include "tp-mlir-c/Dialects.h"
#include "tp-mlir-c/Driver.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 13 -> 7 (relu) -> 5: widths that 3 devices do not divide. */
static const char *kModel =
    "func.func @mlp(%x: tensor<?x13xf32>,\n"
    "    %w0: tensor<7x13xf32> {tp.name = \"fc0.weight\"},\n"
    "    %b0: tensor<7xf32> {tp.name = \"fc0.bias\"},\n"
    "    %w1: tensor<5x7xf32> {tp.name = \"fc1.weight\"},\n"
    "    %b1: tensor<5xf32> {tp.name = \"fc1.bias\"}) -> tensor<?x5xf32> {\n"
    "  %h = tp.linear %x, %w0, %b0 activation(relu) : tensor<?x13xf32>,"
    " tensor<7x13xf32>, tensor<7xf32> -> tensor<?x7xf32>\n"
    "  %y = tp.linear %h, %w1, %b1 : tensor<?x7xf32>, tensor<5x7xf32>,"
    " tensor<5xf32> -> tensor<?x5xf32>\n"
    "  return %y : tensor<?x5xf32>\n"
    "}\n";

enum { BATCH = 4 };

static void print(MlirStringRef text, void *user) {
  (void)user;
  fwrite(text.data, 1, text.length, stdout);
}

static MlirLogicalResult onDiagnostic(MlirDiagnostic diag, void *user) {
  (void)user;
  printf("diagnostic: ");
  mlirDiagnosticPrint(diag, print, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

static void fill(float *p, int n, float scale, int seed) {
  for (int i = 0; i < n; ++i)
    p[i] = scale * sinf(0.37f * (float)(i + 1) + (float)seed);
}

/* Runs a model 20 times from a thread of its own. */
struct Runner {
  TpCompiledModel model;
  const TpHostTensor *args;
  int failed;
};

static void *runRepeatedly(void *user) {
  struct Runner *runner = (struct Runner *)user;
  float y[BATCH * 5];
  int64_t shape[2];
  char error[256];
  runner->failed = 0;
  for (int i = 0; i < 20; ++i)
    runner->failed += tpRun(runner->model, 5, runner->args, y, BATCH * 5, shape,
                            2, false, error, sizeof error);
  return NULL;
}

/* The largest difference of y from the model computed here in double. */
static float maxDifference(const float *x, const float *w0, const float *b0,
                           const float *w1, const float *b1, const float *y) {
  float worst = 0;
  for (int i = 0; i < BATCH; ++i)
    for (int j = 0; j < 5; ++j) {
      double acc = b1[j];
      for (int k = 0; k < 7; ++k) {
        double h = b0[k];
        for (int l = 0; l < 13; ++l)
          h += (double)x[i * 13 + l] * w0[k * 13 + l];
        acc += (h > 0 ? h : 0) * w1[j * 7 + k];
      }
      worst = fmaxf(worst, fabsf((float)acc - y[i * 5 + j]));
    }
  return worst;
}

int main(void) {
  MlirContext ctx = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  tpRegisterAllDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  mlirContextAttachDiagnosticHandler(ctx, onDiagnostic, NULL, NULL);
  tpRegisterPassesAndPipelines();

  /* Attributes. */
  MlirAttribute mesh = tpMeshAttrGet(ctx, 3);
  printf("mesh: ");
  mlirAttributePrint(mesh, print, NULL);
  printf(" is a mesh: %d, devices: %lld\n", tpAttributeIsAMesh(mesh),
         (long long)tpMeshAttrGetNumDevices(mesh));
  printf("mesh of 0 devices is null: %d\n",
         mlirAttributeIsNull(tpMeshAttrGet(ctx, 0)));
  int64_t shape[] = {7, 13}, offsets[] = {0, 3, 5}, sizes[] = {3, 2, 2};
  MlirAttribute shard = tpShardAttrGet(ctx, 2, shape, 0, 3, offsets, sizes);
  printf("shard: ");
  mlirAttributePrint(shard, print, NULL);
  printf(" dim %lld, ranks %lld, rank 1 at %lld size %lld\n",
         (long long)tpShardAttrGetDim(shard),
         (long long)tpShardAttrGetNumRanks(shard),
         (long long)tpShardAttrGetOffset(shard, 1),
         (long long)tpShardAttrGetSize(shard, 1));
  int64_t gap[] = {0, 4, 5};
  printf("shard with a gap is null: %d\n",
         mlirAttributeIsNull(tpShardAttrGet(ctx, 2, shape, 0, 3, gap, sizes)));
  int64_t unevenOffsets[] = {0, 2, 4}, uneven[] = {2, 2, 3};
  printf("unbalanced shard is null: %d\n",
         mlirAttributeIsNull(
             tpShardAttrGet(ctx, 2, shape, 0, 3, unevenOffsets, uneven)));
  MlirAttribute replicated = tpShardAttrGet(ctx, 2, shape, -1, 0, NULL, NULL);
  printf("replicated: ");
  mlirAttributePrint(replicated, print, NULL);
  printf(" dim %lld\n", (long long)tpShardAttrGetDim(replicated));
  MlirAttribute column = tpShardingAttrGet(ctx, TP_SHARDING_COLUMN);
  printf("sharding: ");
  mlirAttributePrint(column, print, NULL);
  printf(" value %d\n", (int)tpShardingAttrGetValue(column));
  MlirAttribute batch = tpShardingAttrGet(ctx, TP_SHARDING_BATCH);
  printf("sharding: ");
  mlirAttributePrint(batch, print, NULL);
  printf(" value %d\n", (int)tpShardingAttrGetValue(batch));
  /* A null attribute (a refused builder's), and one of another kind. */
  MlirAttribute nullAttr = tpMeshAttrGet(ctx, 0);
  printf("null: is a mesh %d, sharding %d, shard %d; devices %lld, value %d, "
         "dim %lld, ranks %lld, offset %lld, size %lld\n",
         tpAttributeIsAMesh(nullAttr), tpAttributeIsASharding(nullAttr),
         tpAttributeIsAShard(nullAttr), (long long)tpMeshAttrGetNumDevices(nullAttr),
         (int)tpShardingAttrGetValue(nullAttr), (long long)tpShardAttrGetDim(nullAttr),
         (long long)tpShardAttrGetNumRanks(nullAttr),
         (long long)tpShardAttrGetOffset(nullAttr, 0),
         (long long)tpShardAttrGetSize(nullAttr, 0));
  printf("other kinds: devices of a sharding %lld, value of a mesh %d, dim "
         "of a mesh %lld, ranks of a sharding %lld\n",
         (long long)tpMeshAttrGetNumDevices(column),
         (int)tpShardingAttrGetValue(mesh), (long long)tpShardAttrGetDim(mesh),
         (long long)tpShardAttrGetNumRanks(column));

  /* A model, and the partition pipeline from its textual description. */
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kModel));
  if (mlirModuleIsNull(module))
    return 1;
  tpModuleSetMesh(module, column);
  printf("a sharding as the mesh: mesh still null %d\n",
         mlirAttributeIsNull(tpModuleGetMesh(module)));
  tpModuleSetMesh(module, mesh);
  tpModuleSetMesh(module, nullAttr);
  printf("a null mesh removes it: %d\n",
         mlirAttributeIsNull(tpModuleGetMesh(module)));
  MlirModule nullModule = {NULL};
  tpModuleSetMesh(nullModule, mesh);
  printf("a null module has no mesh: %d\n",
         mlirAttributeIsNull(tpModuleGetMesh(nullModule)));
  tpModuleSetMesh(module, mesh);
  MlirModule partitioned =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kModel));
  tpModuleSetMesh(partitioned, mesh);
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      opm,
      mlirStringRefCreateFromCString(
          "builtin.module(tp-partition-pipeline{strategy=alternate})"),
      print, NULL);
  if (mlirLogicalResultIsFailure(parsed))
    return 1;
  MlirLogicalResult ran =
      mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(partitioned));
  printf("partition pipeline: %s\n",
         mlirLogicalResultIsSuccess(ran) ? "ok" : "failed");
  mlirOperationPrint(mlirModuleGetOperation(partitioned), print, NULL);
  printf("\n");
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(partitioned);

  /* Compile for 3 threads and run with host buffers. */
  char error[1024];
  TpCompiledModel model =
      tpCompile(module, mlirStringRefCreateFromCString(""), 0,
                TP_STRATEGY_ALTERNATE, TP_BACKEND_THREADS, error, sizeof error);
  if (tpCompiledModelIsNull(model)) {
    printf("tpCompile failed: %s\n", error);
    return 1;
  }
  printf("compiled for %lld devices, %lld arguments\n",
         (long long)tpCompiledModelGetNumDevices(model),
         (long long)tpCompiledModelGetNumArguments(model));
  float x[BATCH * 13], w0[7 * 13], b0[7], w1[5 * 7], b1[5];
  fill(x, BATCH * 13, 1.0f, 1);
  fill(w0, 7 * 13, 0.3f, 2);
  fill(b0, 7, 0.1f, 3);
  fill(w1, 5 * 7, 0.4f, 4);
  fill(b1, 5, 0.1f, 5);
  int64_t xs[] = {BATCH, 13}, w0s[] = {7, 13}, b0s[] = {7}, w1s[] = {5, 7},
          b1s[] = {5};
  TpHostTensor args[] = {
      {x, 2, xs}, {w0, 2, w0s}, {b0, 1, b0s}, {w1, 2, w1s}, {b1, 1, b1s}};
  float y[BATCH * 5];
  int64_t yshape[2];
  if (tpRun(model, 5, args, y, BATCH * 5, yshape, 2, true, error,
            sizeof error)) {
    printf("tpRun failed: %s\n", error);
    return 1;
  }
  printf("output %lldx%lld, max abs difference from C %s\n",
         (long long)yshape[0], (long long)yshape[1],
         maxDifference(x, w0, b0, w1, b1, y) < 1e-5f ? "below 1e-5"
                                                     : "TOO LARGE");

  /* The planner's plan: it reads the function's ops by their traits, which
     a program with MLIR's static C API holds a second copy of. */
  TpCompiledModel planned =
      tpCompile(module, mlirStringRefCreateFromCString(""), 0, TP_STRATEGY_AUTO,
                TP_BACKEND_THREADS, error, sizeof error);
  if (tpCompiledModelIsNull(planned)) {
    printf("tpCompile (auto) failed: %s\n", error);
    return 1;
  }
  float yPlanned[BATCH * 5];
  if (tpRun(planned, 5, args, yPlanned, BATCH * 5, yshape, 2, true, error,
            sizeof error)) {
    printf("tpRun (auto) failed: %s\n", error);
    return 1;
  }
  printf("auto: output %lldx%lld, max abs difference from C %s\n",
         (long long)yshape[0], (long long)yshape[1],
         maxDifference(x, w0, b0, w1, b1, yPlanned) < 1e-5f ? "below 1e-5"
                                                            : "TOO LARGE");
  tpCompiledModelDestroy(planned);

  /* Mistakes are errors, with the reason. */
  int64_t bad[] = {BATCH, 12};
  args[0].shape = bad;
  if (tpRun(model, 5, args, y, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("wrong shape: %s\n", error);
  /* A batch whose activations cannot fit: refused before anything is
     allocated (the buffer is not read). */
  int64_t huge[] = {(int64_t)1 << 34, 13};
  args[0].shape = huge;
  if (tpRun(model, 5, args, y, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("huge batch: %s\n", error);
  int64_t empty[] = {0, 13};
  args[0].shape = empty;
  if (tpRun(model, 5, args, y, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("batch 0: %s\n", error);
  args[0].shape = xs;
  if (tpRun(model, 4, args, y, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("too few: %s\n", error);
  if (tpRun(model, 5, args, y, 3, yshape, 2, false, error, sizeof error))
    printf("small output: %s\n", error);
  TpCompiledModel none =
      tpCompile(module, mlirStringRefCreateFromCString(""), 2, TP_STRATEGY_ROW,
                (TpBackend)7, error, sizeof error);
  printf("unknown backend: %d %s\n", tpCompiledModelIsNull(none), error);
  none = tpCompile(module, mlirStringRefCreateFromCString("nope"), 2,
                   TP_STRATEGY_ROW, TP_BACKEND_THREADS, error, sizeof error);
  printf("unknown entry: %d %s\n", tpCompiledModelIsNull(none), error);
  MlirStringRef nullEntry = {NULL, 5};
  none = tpCompile(module, nullEntry, 2, TP_STRATEGY_ROW, TP_BACKEND_THREADS,
                   error, sizeof error);
  printf("null entry: %d %s\n", tpCompiledModelIsNull(none), error);

  /* A rank other than the argument's is refused before its shape is read;
     a larger shape array gets zeros past the output's dims. */
  args[0].rank = 1000000;
  if (tpRun(model, 5, args, y, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("wrong rank: %s\n", error);
  args[0].rank = 2;
  int64_t wide[4] = {77, 77, 77, 77};
  if (!tpRun(model, 5, args, y, BATCH * 5, wide, 4, false, error, sizeof error))
    printf("shape in 4: %lld %lld %lld %lld\n", (long long)wide[0],
           (long long)wide[1], (long long)wide[2], (long long)wide[3]);

  /* No buffers would have run on random arguments; null outputs and
     handles, and arrays a manifest cannot have, are errors. */
  if (tpRun(model, 0, NULL, y, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("no buffers: %s\n", error);
  if (tpRun(model, 5, args, NULL, BATCH * 5, yshape, 2, false, error,
            sizeof error))
    printf("null output: %s\n", error);
  if (tpRun(model, 5, args, y, BATCH * 5, NULL, 2, false, error, sizeof error))
    printf("null shape: %s\n", error);
  TpCompiledModel null = {NULL};
  printf("null model: %lld devices, %lld arguments\n",
         (long long)tpCompiledModelGetNumDevices(null),
         (long long)tpCompiledModelGetNumArguments(null));
  int64_t shape2[] = {7, 13};
  printf("shard with null offsets is null: %d\n",
         mlirAttributeIsNull(tpShardAttrGet(ctx, 2, shape2, 0, 3, NULL, NULL)));
  printf(
      "shard of rank -1 is null: %d\n",
      mlirAttributeIsNull(tpShardAttrGet(ctx, -1, shape2, -1, 0, NULL, NULL)));
  int64_t offsets3[] = {0, 3, 5}, sizes3[] = {3, 2, 2};
  MlirAttribute listed = tpShardAttrGet(ctx, 2, shape2, 0, 3, offsets3, sizes3);
  printf("rank 3 of 3: offset %lld size %lld\n",
         (long long)tpShardAttrGetOffset(listed, 3),
         (long long)tpShardAttrGetSize(listed, -1));

  /* Two threads running the same model take turns. */
  struct Runner runners[2];
  pthread_t threads[2];
  for (int t = 0; t < 2; ++t) {
    runners[t].model = model;
    runners[t].args = args;
    pthread_create(&threads[t], NULL, runRepeatedly, &runners[t]);
  }
  for (int t = 0; t < 2; ++t)
    pthread_join(threads[t], NULL);
  printf("two threads: %d and %d runs failed\n", runners[0].failed,
         runners[1].failed);
  tpCompiledModelDestroy(model);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);

  printf("done\n");
  return 0;
}
