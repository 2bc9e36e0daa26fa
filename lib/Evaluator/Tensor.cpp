//===- Tensor.cpp - dense f32 host tensor ---------------------------------===//

#include "tp-mlir/Evaluator/Tensor.h"

#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir::tp;

int64_t mlir::tp::numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Tensor::Tensor(llvm::ArrayRef<int64_t> shape)
    : shape(shape.begin(), shape.end()),
      data(static_cast<size_t>(numElements(shape)), 0.0f) {}

Tensor::Tensor(llvm::ArrayRef<int64_t> shape, std::vector<float> values)
    : shape(shape.begin(), shape.end()), data(std::move(values)) {
  assert(static_cast<int64_t>(data.size()) == numElements(shape) &&
         "value count does not match the shape");
}

std::string mlir::tp::formatShape(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += 'x';
    s += std::to_string(d);
  }
  return s;
}

std::string Tensor::shapeString() const { return formatShape(shape); }

static uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

float mlir::tp::randomUniform(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t h = splitMix64(splitMix64(splitMix64(seed) ^ stream) ^ index);
  // 24 random bits -> [0, 1) exactly representable in f32, then [-1, 1).
  float unit = static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
  return 2.0f * unit - 1.0f;
}

Tensor Tensor::random(llvm::ArrayRef<int64_t> shape, uint64_t seed,
                      uint64_t stream, float scale) {
  Tensor t(shape);
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = scale * randomUniform(seed, stream, i);
  return t;
}

Tensor Tensor::randomSlice(llvm::ArrayRef<int64_t> fullShape, int64_t dim,
                           int64_t offset, int64_t size, uint64_t seed,
                           uint64_t stream, float scale) {
  llvm::SmallVector<int64_t> shape(fullShape.begin(), fullShape.end());
  shape[dim] = size;
  Tensor t(shape);
  int64_t inner = numElements(fullShape.drop_front(dim + 1));
  int64_t extent = fullShape[dim];
  int64_t outer = numElements(fullShape.take_front(dim));
  size_t i = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < size; ++j)
      for (int64_t k = 0; k < inner; ++k, ++i)
        t.data[i] =
            scale *
            randomUniform(seed, stream, (o * extent + offset + j) * inner + k);
  return t;
}

double mlir::tp::maxRelativeError(const Tensor &a, const Tensor &b,
                                  double floor) {
  assert(a.shape == b.shape && "comparing tensors of different shapes");
  double worst = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    double denom = std::max<double>(std::fabs(b.data[i]), floor);
    double err = std::fabs(double(a.data[i]) - double(b.data[i])) / denom;
    if (std::isnan(err))
      return err;
    worst = std::max(worst, err);
  }
  return worst;
}

double mlir::tp::outputRelativeError(const Tensor &out, const Tensor &ref) {
  assert(out.shape == ref.shape && "comparing tensors of different shapes");
  double scale = 0.0;
  for (float v : ref.data)
    if (std::isfinite(v))
      scale = std::max(scale, double(std::fabs(v)));
  double floor = std::max(0.1 * scale, 1e-30);
  double worst = 0.0;
  for (size_t i = 0; i < out.data.size(); ++i) {
    float a = out.data[i], b = ref.data[i];
    if (!std::isfinite(a) || !std::isfinite(b)) {
      // A NaN or infinity agrees only with the same one.
      bool same = (std::isnan(a) && std::isnan(b)) || a == b;
      if (!same)
        return std::numeric_limits<double>::infinity();
      continue;
    }
    double denom = std::max<double>(std::fabs(b), floor);
    worst = std::max(worst, std::fabs(double(a) - double(b)) / denom);
  }
  return worst;
}
