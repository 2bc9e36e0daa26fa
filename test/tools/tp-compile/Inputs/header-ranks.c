/* Runs @ranks (header-ranks.mlir) compiled for 2 ranks: y = x W^T with W
   the identity, a 3-D and a 0-D argument passed along unused. */
#include "ranks.h"
#include <stdio.h>
#include <stdlib.h>
static float x[16], w[64], e[24], sv[1] = {2};
static tp_memref_2d y[2];
static void run(int64_t r, void *u) {
  (void)u;
  tp_memref_2d xd = {x, x, 0, {2, 8}, {8, 1}};
  tp_memref_2d wd = {w + 32 * r, w + 32 * r, 0, {4, 8}, {8, 1}};
  tp_memref_3d ed = {e, e, 0, {2, 3, 4}, {12, 4, 1}};
  tp_memref_0d sd = {sv, sv, 0};
  _mlir_ciface_ranks(&y[r], &xd, &wd, &ed, &sd);
}
int main(void) {
  for (int i = 0; i < 16; ++i)
    x[i] = i;
  for (int i = 0; i < 64; ++i)
    w[i] = (i % 9 == 0);
  char err[256];
  if (tp_rt_run_on_threads(2, run, 0, err, sizeof err)) {
    printf("failed %s\n", err);
    return 1;
  }
  printf("%g %g %g\n", y[0].aligned[0], y[0].aligned[9], y[1].aligned[15]);
  free(y[0].allocated);
  free(y[1].allocated);
  return 0;
}
