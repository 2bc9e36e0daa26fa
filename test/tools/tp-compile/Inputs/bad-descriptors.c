/* Calls the example chain compiled ahead of time (mlp.h, examples/mlp.mlir)
   with descriptors that are wrong in one way, named by argv[1]; "ok" passes
   them right. Every rank gets zeroed buffers of its shard's shape from the
   manifest. Prints the job's error and exits 1 when the run fails, prints
   the result's shape and exits 0 when it runs. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D = TP_MLP_NUM_DEVICES, NARGS = TP_MLP_NUM_ARGS, BATCH = 3 };

static const char *mode;

/* Argument `arg`'s descriptor on rank r, the right one. */
static tp_memref_2d descriptor(int arg, int64_t r) {
  const tp_mlp_arg_info *info = &tp_mlp_args[arg];
  int64_t dims[2] = {1, 1};
  for (int d = 0; d < info->rank; ++d) {
    dims[d] = info->shape[d] < 0 ? BATCH : info->shape[d];
    if (d == info->split_dim)
      dims[d] = info->sizes[r < D ? r : 0]; /* ranks past D: rank 0's */
  }
  float *data = calloc((size_t)(dims[0] * dims[1] + 1), sizeof(float));
  tp_memref_2d m = {data, data, 0, {dims[0], dims[1]}, {dims[1], 1}};
  if (info->rank == 1)
    m.sizes[1] = 1; /* a 1-D descriptor's stride follows its size */
  return m;
}

static void run_rank(int64_t r, void *user) {
  tp_memref_2d *result = user;
  tp_memref_2d a[NARGS];
  void *p[NARGS];
  for (int i = 0; i < NARGS; ++i) {
    a[i] = descriptor(i, r);
    p[i] = &a[i];
  }
  if (!strcmp(mode, "shard") && r == 1)
    a[1].sizes[1] += 1; /* fc0.weight, split along dim 1 */
  if (!strcmp(mode, "batch"))
    a[0].sizes[0] = -2;
  if (!strcmp(mode, "huge")) {
    a[0].sizes[0] = (int64_t)1 << 50;
    a[0].strides[0] = 784;
  }
  if (!strcmp(mode, "rankbatch") && r == 1)
    a[0].sizes[0] -= 1; /* a batch of its own: fits this rank alone */
  if (!strcmp(mode, "strides")) {
    a[3].strides[0] = 1; /* fc1.weight read as if transposed */
    a[3].strides[1] = a[3].sizes[0];
  }
  if (!strcmp(mode, "null") && r == 0)
    p[6] = NULL;
  if (!strcmp(mode, "offset")) {
    a[2].offset = 1; /* fc0.bias, one float further on */
  }
  if (!strcmp(mode, "nodata"))
    a[5].aligned = NULL;
  tp_memref_2d *out = !strcmp(mode, "noresult") ? NULL : &result[r];
  _mlir_ciface_mlp(out, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
  for (int i = 0; i < NARGS; ++i)
    free(a[i].allocated);
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  mode = argv[1];
  static tp_memref_2d result[D + 3];
  char error[512];
  if (!strcmp(mode, "outside")) {
    run_rank(0, result);
    return 0;
  }
  /* "wide": a job of more ranks than the entry's, each running it whole
     (right only for a one-rank entry, which makes no collective). */
  /* "noranks": a job of -1 ranks; "noerror": the same with no buffer for
     the error, which the runtime then prints on stderr. */
  int bad = !strcmp(mode, "noranks") || !strcmp(mode, "noerror");
  int ranks = !strcmp(mode, "ranks")  ? D + 1
              : !strcmp(mode, "wide") ? D + 2
              : bad                   ? -1
                                      : D;
  /* "nobody": a null body, which the runtime refuses before any rank. */
  void (*body)(int64_t, void *) = !strcmp(mode, "nobody") ? NULL : run_rank;
  char *buffer = !strcmp(mode, "noerror") ? NULL : error;
#ifdef TP_AOT_MPI
  int failed = tp_rt_run_on_mpi(ranks, body, result, buffer, sizeof error);
#else
  int failed = tp_rt_run_on_threads(ranks, body, result, buffer, sizeof error);
#endif
  if (failed) {
    printf("failed: %s\n", buffer ? error : "(no buffer)");
    return 1;
  }
  for (int r = 0; r < ranks; ++r) {
    printf("rank %d: %lldx%lld\n", r, (long long)result[r].sizes[0],
           (long long)result[r].sizes[1]);
    free(result[r].allocated);
  }
  return 0;
}
