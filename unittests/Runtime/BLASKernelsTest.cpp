//===- BLASKernelsTest.cpp - the BLAS matmul entry points -----------------===//
//
// y = x w^T through the runtime's BLAS entry points, against a plain loop:
// one row of x (the sgemv path) and several (sgemm), accumulating and
// overwriting, with x a slice of a wider buffer as a column split passes it.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/BLASKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {
StridedMemRefType<float, 2> view(std::vector<float> &data, int64_t rows,
                                 int64_t cols, int64_t rowStride,
                                 int64_t offset = 0) {
  StridedMemRefType<float, 2> m;
  m.basePtr = m.data = data.data();
  m.offset = offset;
  m.sizes[0] = rows;
  m.sizes[1] = cols;
  m.strides[0] = rowStride;
  m.strides[1] = 1;
  return m;
}

void checkMatmul(int64_t m, int64_t n, int64_t k, bool overwrite) {
  SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k
                                    << (overwrite ? " overwrite" : " += "));
  std::mt19937 rng(unsigned(m * 131 + n * 7 + k));
  std::uniform_real_distribution<float> dist(-1, 1);
  // x is columns [3, 3 + k) of an m x (k + 5) buffer.
  const int64_t xStride = k + 5, xOffset = 3;
  std::vector<float> x(m * xStride), w(n * k), y(m * n);
  for (auto *v : {&x, &w, &y})
    for (float &e : *v)
      e = dist(rng);
  std::vector<float> expected(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = overwrite ? 0.0 : y[i * n + j];
      for (int64_t l = 0; l < k; ++l)
        sum += double(x[i * xStride + xOffset + l]) * w[j * k + l];
      expected[i * n + j] = float(sum);
    }
  auto xv = view(x, m, k, xStride, xOffset), wv = view(w, n, k, k),
       yv = view(y, m, n, n);
  if (overwrite)
    _mlir_ciface_tp_rt_matmul_nt_overwrite(&xv, &wv, &yv);
  else
    _mlir_ciface_tp_rt_matmul_nt(&xv, &wv, &yv);
  for (int64_t e = 0; e < m * n; ++e)
    ASSERT_NEAR(y[e], expected[e], 1e-4 * (1 + std::fabs(expected[e])))
        << "element " << e;
}

TEST(BLASKernelsTest, OneRowGoesThroughMatrixVector) {
  for (bool overwrite : {false, true}) {
    checkMatmul(1, 37, 53, overwrite);
    checkMatmul(1, 1, 1, overwrite);
    checkMatmul(1, 300, 7, overwrite);
    // No columns (a rank's empty share of a column split): y is zero, or
    // left as it was.
    checkMatmul(1, 5, 0, overwrite);
  }
}

TEST(BLASKernelsTest, SeveralRowsGoThroughMatrixMatrix) {
  for (bool overwrite : {false, true}) {
    checkMatmul(2, 37, 53, overwrite);
    checkMatmul(17, 64, 33, overwrite);
  }
}

TEST(BLASKernelsTest, EmptyOperandsLeaveTheOutput) {
  std::vector<float> x(4, 1.0f), w(4, 1.0f), y(4, 7.0f);
  auto xv = view(x, 0, 4, 4), wv = view(w, 1, 4, 4), yv = view(y, 0, 1, 1);
  _mlir_ciface_tp_rt_matmul_nt_overwrite(&xv, &wv, &yv);
  EXPECT_EQ(y[0], 7.0f);
}
} // namespace
