//===- TensorTest.cpp - host tensors and the counter-based generator ------===//

#include "tp-mlir/Evaluator/Tensor.h"

#include <gtest/gtest.h>

using namespace mlir::tp;

namespace {
TEST(TensorTest, ShapeStringAndCount) {
  Tensor t({4, 16});
  EXPECT_EQ(t.shapeString(), "4x16");
  EXPECT_EQ(t.getNumElements(), 64);
  EXPECT_EQ(Tensor().shapeString(), "scalar");
  EXPECT_EQ(numElements({}), 1);
  EXPECT_EQ(numElements({3, 0}), 0);
}

TEST(TensorTest, RandomIsAPureFunctionOfSeedStreamAndIndex) {
  Tensor a = Tensor::random({8, 8}, /*seed=*/7, /*stream=*/2, 1.0f);
  Tensor b = Tensor::random({8, 8}, 7, 2, 1.0f);
  EXPECT_EQ(a.data, b.data);
  // Any element can be produced alone: this is what lets a rank generate
  // only its own shard of a random weight.
  for (size_t i = 0; i < a.data.size(); ++i)
    EXPECT_EQ(a.data[i], randomUniform(7, 2, i));
  EXPECT_NE(a.data, Tensor::random({8, 8}, 8, 2, 1.0f).data);
  EXPECT_NE(a.data, Tensor::random({8, 8}, 7, 3, 1.0f).data);
}

TEST(TensorTest, RandomSliceEqualsSliceOfRandom) {
  Tensor full = Tensor::random({5, 7}, 3, 9, 0.5f);
  for (int64_t dim : {0, 1}) {
    Tensor slice = Tensor::randomSlice({5, 7}, dim, 2, 3, 3, 9, 0.5f);
    for (int64_t i = 0; i < slice.shape[0]; ++i)
      for (int64_t j = 0; j < slice.shape[1]; ++j) {
        int64_t fi = dim == 0 ? i + 2 : i, fj = dim == 1 ? j + 2 : j;
        EXPECT_EQ(slice.data[i * slice.shape[1] + j], full.data[fi * 7 + fj]);
      }
  }
}

TEST(TensorTest, RandomIsUniformInRange) {
  Tensor t = Tensor::random({100000}, 1, 0, 0.5f);
  double sum = 0;
  for (float v : t.data) {
    ASSERT_GE(v, -0.5f);
    ASSERT_LT(v, 0.5f);
    sum += v;
  }
  EXPECT_NEAR(sum / t.data.size(), 0.0, 0.01);
}

TEST(TensorTest, MaxRelativeError) {
  Tensor a({3}, {1.0f, 200.0f, 0.01f});
  Tensor b({3}, {1.0f, 201.0f, 0.0f});
  // |200-201|/201 = 0.004975 against |0.01-0|/max(0, 1) = 0.01: the floor
  // of 1 keeps the zero reference from making the last error infinite.
  EXPECT_NEAR(maxRelativeError(a, b), 0.01, 1e-7);
  EXPECT_NEAR(maxRelativeError(a, b, /*floor=*/1000.0), 1.0 / 1000.0, 1e-7);
}
} // namespace
