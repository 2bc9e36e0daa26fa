//===- BLASKernels.cpp - local matmuls through BLAS -----------------------===//

#include "tp-mlir/Runtime/BLASKernels.h"

#include "tp-mlir/Runtime/EntryPoints.h"

#include <cblas.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

/// y = x w^T + beta y with sgemm.
static void matmulNT(StridedMemRefType<float, 2> *x,
                     StridedMemRefType<float, 2> *w,
                     StridedMemRefType<float, 2> *y, float beta) {
  int64_t m = x->sizes[0], k = x->sizes[1], n = w->sizes[0];
  if (m == 0 || n == 0)
    return;
  // Each rank is one thread (or process): parallelism comes from the ranks,
  // so BLAS must not start threads of its own inside every rank.
  static std::once_flag singleThreaded;
  std::call_once(singleThreaded, [] { openblas_set_num_threads(1); });
  // sgemm needs unit stride along rows; tp's buffers have it (a slice along
  // dim 1 keeps it, with a row stride larger than its width).
  auto ld = [](StridedMemRefType<float, 2> *a) {
    return std::max<int64_t>(a->strides[0], std::max<int64_t>(a->sizes[1], 1));
  };
  if (x->strides[1] != 1 || w->strides[1] != 1 || y->strides[1] != 1) {
    std::fprintf(stderr, "tp runtime: matmul operands need unit stride along "
                         "rows\n");
    std::abort();
  }
  // One row of x (a batch of 1) is a matrix-vector product: sgemv streams
  // W once, where sgemm packs it first: with OpenBLAS 0.3.21 about 3.5
  // times faster at 2048 x 4096 (docs/design.md), and level at 256 x 256,
  // which fits the caches. sgemv leaves y alone when k is 0 (a rank with
  // no columns of a narrow column split), where beta = 0 must zero it:
  // sgemm does.
  if (m == 1 && k > 0) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w->data + w->offset,
                ld(w), x->data + x->offset, 1, beta, y->data + y->offset, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
              x->data + x->offset, ld(x), w->data + w->offset, ld(w), beta,
              y->data + y->offset, ld(y));
}

extern "C" void _mlir_ciface_tp_rt_matmul_nt(StridedMemRefType<float, 2> *x,
                                             StridedMemRefType<float, 2> *w,
                                             StridedMemRefType<float, 2> *y) {
  matmulNT(x, w, y, 1.0f);
}

extern "C" void
_mlir_ciface_tp_rt_matmul_nt_overwrite(StridedMemRefType<float, 2> *x,
                                       StridedMemRefType<float, 2> *w,
                                       StridedMemRefType<float, 2> *y) {
  matmulNT(x, w, y, 0.0f);
}

std::vector<mlir::tp::rt::RuntimeSymbol> mlir::tp::rt::getBLASRuntimeSymbols() {
  using namespace mlir::tp::rt::entry;
  return {{std::string(kCInterfacePrefix) + kMatmulNT,
           reinterpret_cast<void *>(&_mlir_ciface_tp_rt_matmul_nt)},
          {std::string(kCInterfacePrefix) + kMatmulNTOverwrite,
           reinterpret_cast<void *>(&_mlir_ciface_tp_rt_matmul_nt_overwrite)}};
}
