/* An application that embeds the example chain (examples/mlp.mlir)
   compiled ahead of time, with its ranks on threads:

     tp-compile examples/mlp.mlir --devices 2 -o mlp.o --header mlp.h
     cc -O2 -I. examples/aot/main.c mlp.o -Lbuild/lib -lTPMLIRRuntimeThreads \
        -lTPMLIRRuntimeBLAS -lTPMLIRRuntimeCore -lopenblas -lstdc++ -lm \
        -lpthread -o mlp-app && ./mlp-app

   or with one MPI process per rank:

     mpicc -O2 -DTP_AOT_MPI -I. examples/aot/main.c mlp.o -Lbuild/lib \
        -lTPMLIRRuntimeMPI -lTPMLIRRuntimeBLAS -lTPMLIRRuntimeCore \
        -lopenblas -lstdc++ -lm -lpthread -o mlp-mpi-app
     mpirun -np 2 ./mlp-mpi-app

   or with each rank on a GPU (all sharing one GPU if the machine has one):

     tp-compile examples/mlp.mlir --devices 2 --target gpu -o mlp.o \
        --header mlp.h
     cc -O2 -DTP_AOT_GPU -I. examples/aot/main.c mlp.o -Lbuild/lib \
        -lTPMLIRRuntimeGPU -lTPMLIRRuntimeThreads -lTPMLIRRuntimeCore \
        -L/usr/local/cuda/lib64 -lcudart -lcublasLt -lnccl -lstdc++ -lm \
        -lpthread -o mlp-gpu-app

   It makes deterministic weights and an input, gives every rank only its
   shards (as the manifest in mlp.h says), runs the ranks, and checks each
   rank's output that ran in this process against a plain C forward pass of
   the same chain: 784 -> 512 (gelu) -> 256 (relu) -> 10. */
#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 4, D = TP_MLP_NUM_DEVICES, NARGS = TP_MLP_NUM_ARGS };

/* A full tensor: its elements in row-major order and its 1 or 2 dims. */
typedef struct {
  float *data;
  int64_t dims[2];
  int rank;
} tensor;

static float value(uint64_t seed, uint64_t i, float scale) {
  uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 31;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 29;
  return scale * ((float)(x >> 40) / 16777216.0f * 2.0f - 1.0f);
}

static tensor full_tensor(int arg) {
  const tp_mlp_arg_info *info = &tp_mlp_args[arg];
  tensor t = {0, {1, 1}, info->rank};
  int64_t n = 1;
  for (int d = 0; d < info->rank; ++d) {
    t.dims[d] = info->shape[d] < 0 ? BATCH : info->shape[d];
    n *= t.dims[d];
  }
  /* nn.Linear's default scale, 1 / sqrt(in_features); a bias follows its
     weight in the argument list. */
  float scale = 1.0f;
  if (arg > 0)
    scale = 1.0f / sqrtf((float)tp_mlp_args[info->rank == 2 ? arg : arg - 1]
                             .shape[1]);
  t.data = malloc(sizeof(float) * (size_t)n);
  for (int64_t i = 0; i < n; ++i)
    t.data[i] = value((uint64_t)arg, (uint64_t)i, scale);
  return t;
}

/* Rank r's shard of argument `arg`, as a contiguous copy. */
static tensor shard(const tensor *full, int arg, int r) {
  const tp_mlp_arg_info *info = &tp_mlp_args[arg];
  tensor s = *full;
  if (info->split_dim < 0)
    return s; /* replicated: every rank reads the same buffer */
  int dim = info->split_dim;
  s.dims[dim] = info->sizes[r];
  int64_t rows = full->rank == 2 ? full->dims[0] : 1;
  int64_t cols = full->rank == 2 ? full->dims[1] : full->dims[0];
  int64_t srows = full->rank == 2 ? s.dims[0] : 1;
  int64_t scols = full->rank == 2 ? s.dims[1] : s.dims[0];
  s.data = malloc(sizeof(float) * (size_t)(srows * scols + 1));
  int64_t row0 = (full->rank == 2 && dim == 0) ? info->offsets[r] : 0;
  int64_t col0 = (full->rank == 1 || dim == 1) ? info->offsets[r] : 0;
  (void)rows;
  for (int64_t i = 0; i < srows; ++i)
    memcpy(s.data + i * scols, full->data + (row0 + i) * cols + col0,
           sizeof(float) * (size_t)scols);
  return s;
}

static tp_memref_2d memref2(const tensor *t) {
  tp_memref_2d m = {t->data, t->data, 0, {t->dims[0], t->dims[1]},
                    {t->dims[1], 1}};
  return m;
}
static tp_memref_1d memref1(const tensor *t) {
  tp_memref_1d m = {t->data, t->data, 0, {t->dims[0]}, {1}};
  return m;
}

typedef struct {
  tensor shards[D][NARGS];
  tp_memref_2d results[D];
  int ran[D];
} job;

#ifdef TP_AOT_GPU
/* The rank's copy of a shard in its GPU's memory (the runtime prints why
   when it cannot be made). */
static tensor on_device(const tensor *t) {
  tensor d = *t;
  d.data = tp_rt_gpu_copy_to_device(t->data, t->dims[0] * (t->rank == 2 ? t->dims[1] : 1));
  return d;
}
#endif

static void run_rank(int64_t r, void *user) {
  job *j = user;
  j->ran[r] = 1;
  tensor *a = j->shards[r];
#ifdef TP_AOT_GPU
  tensor device[NARGS];
  for (int i = 0; i < NARGS; ++i) {
    device[i] = on_device(&a[i]);
    if (!device[i].data)
      return; /* ran[r] stays set, results[r] empty: reported below */
  }
  a = device;
#endif
  tp_memref_2d x = memref2(&a[0]), w0 = memref2(&a[1]), w1 = memref2(&a[3]),
               w2 = memref2(&a[5]);
  tp_memref_1d b0 = memref1(&a[2]), b1 = memref1(&a[4]), b2 = memref1(&a[6]);
  _mlir_ciface_mlp(&j->results[r], &x, &w0, &b0, &w1, &b1, &w2, &b2);
#ifdef TP_AOT_GPU
  /* The result is in device memory: bring it to the host. */
  tp_memref_2d *out = &j->results[r];
  int64_t n = out->sizes[0] * out->sizes[1];
  float *host = malloc(sizeof(float) * (size_t)(n + 1));
  int copied = out->strides[1] == 1 && out->strides[0] == out->sizes[1] &&
               tp_rt_gpu_copy_to_host(host, out->aligned + out->offset, n);
  tp_rt_gpu_free(out->allocated);
  for (int i = 0; i < NARGS; ++i)
    tp_rt_gpu_free(device[i].data);
  if (!copied) {
    free(host);
    out->sizes[0] = out->sizes[1] = 0;
    out->allocated = out->aligned = 0;
    return;
  }
  out->allocated = out->aligned = host;
  out->offset = 0;
#endif
}

/* y = act(x W^T + b) on full tensors, accumulating in double. */
static float *layer(const float *x, const tensor *w, const tensor *b, int act) {
  int64_t n = w->dims[0], k = w->dims[1];
  float *y = malloc(sizeof(float) * (size_t)(BATCH * n));
  for (int64_t i = 0; i < BATCH; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = b->data[j];
      for (int64_t kk = 0; kk < k; ++kk)
        acc += (double)x[i * k + kk] * w->data[j * k + kk];
      float v = (float)acc;
      if (act == 1) /* gelu, exact */
        v = 0.5f * v * (1.0f + erff(v * 0.70710678f));
      else if (act == 2) /* relu */
        v = v > 0 ? v : 0;
      y[i * n + j] = v;
    }
  return y;
}

int main(void) {
  tensor full[NARGS];
  for (int i = 0; i < NARGS; ++i)
    full[i] = full_tensor(i);
  static job j;
  for (int r = 0; r < D; ++r)
    for (int i = 0; i < NARGS; ++i)
      j.shards[r][i] = shard(&full[i], i, r);

  char error[512];
#if defined(TP_AOT_MPI)
  /* This process runs one rank; mpirun starts the others. */
  int failed = tp_rt_run_on_mpi(D, run_rank, &j, error, sizeof error);
#elif defined(TP_AOT_GPU)
  /* Each rank on a thread, bound to a GPU. */
  int failed = tp_rt_run_on_gpus(D, run_rank, &j, error, sizeof error);
#else
  int failed = tp_rt_run_on_threads(D, run_rank, &j, error, sizeof error);
#endif
  if (failed) {
    fprintf(stderr, "mlp-app: %s\n", error);
    return 1;
  }

  float *h0 = layer(full[0].data, &full[1], &full[2], 1);
  float *h1 = layer(h0, &full[3], &full[4], 2);
  float *ref = layer(h1, &full[5], &full[6], 0);
  float scale = 0;
  for (int i = 0; i < BATCH * 10; ++i)
    scale = fmaxf(scale, fabsf(ref[i]));
  int ok = 1;
  for (int r = 0; r < D; ++r) {
    if (!j.ran[r])
      continue;
    tp_memref_2d *out = &j.results[r];
    float worst = 0;
    for (int64_t i = 0; i < out->sizes[0]; ++i)
      for (int64_t k = 0; k < out->sizes[1]; ++k) {
        float got = out->aligned[out->offset + i * out->strides[0] +
                                 k * out->strides[1]];
        float want = ref[i * 10 + k];
        float err = fabsf(got - want) / fmaxf(fabsf(want), 0.1f * scale);
        worst = fmaxf(worst, err);
      }
    printf("rank %d: output %lldx%lld, max relative error %.3g\n", r,
           (long long)out->sizes[0], (long long)out->sizes[1], worst);
    ok &= out->sizes[0] == BATCH && out->sizes[1] == 10 && worst < 1e-4f;
    free(out->allocated);
  }
  printf("%s\n", ok ? "ok" : "MISMATCH");
  free(h0);
  free(h1);
  free(ref);
  for (int i = 0; i < NARGS; ++i) {
    for (int r = 0; r < D; ++r)
      if (j.shards[r][i].data != full[i].data)
        free(j.shards[r][i].data);
    free(full[i].data);
  }
  return ok ? 0 : 1;
}
