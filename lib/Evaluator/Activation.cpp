//===- Activation.cpp - scalar definitions of the activation kinds --------===//
//
// The single source of truth for what each ActivationKind computes. Backends
// are checked against these definitions through the evaluator. The kinds
// after silu follow PyTorch's formulas; those built on exp or log are
// computed in double and rounded once, so that the reference is more
// accurate than the f32 code it judges.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Evaluator/Evaluator.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace {
/// log(1 + exp(beta x)) / beta, or x where beta x (in f32, as PyTorch
/// compares it) is above the threshold; infinite where exp(beta x)
/// overflows f32 below a threshold that high (beyond about 88.7), as in
/// PyTorch and in compiled code.
double softplus(float x, float beta, float threshold) {
  float scaled = x * beta;
  if (scaled > threshold)
    return x;
  double e = std::exp(double(scaled));
  if (e > std::numeric_limits<float>::max())
    return std::numeric_limits<double>::infinity();
  return std::log1p(e) / beta;
}
} // namespace

float mlir::tp::applyActivation(const Activation &act, float x) {
  auto [p0, p1] = act.params;
  switch (act.kind) {
  case ActivationKind::identity:
    return x;
  case ActivationKind::relu:
    // NaN stays NaN, as in PyTorch and as arith.maximumf computes it.
    return std::isnan(x) || x > 0.0f ? x : 0.0f;
  case ActivationKind::gelu:
    return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2)));
  case ActivationKind::gelu_tanh: {
    const float k = 0.7978845608028654f; // sqrt(2 / pi)
    return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
  }
  case ActivationKind::sigmoid:
    return 1.0f / (1.0f + std::exp(-x));
  case ActivationKind::tanh:
    return std::tanh(x);
  case ActivationKind::silu:
    return x / (1.0f + std::exp(-x));
  case ActivationKind::leaky_relu:
    return x > 0.0f ? x : x * p0;
  case ActivationKind::elu:
    return x > 0.0f ? x : static_cast<float>(p0 * std::expm1(double(x)));
  case ActivationKind::selu:
    return static_cast<float>(x > 0.0f ? kSeluScale * x
                                       : kSeluScale * kSeluAlpha *
                                             std::expm1(double(x)));
  case ActivationKind::softplus:
    return static_cast<float>(softplus(x, p0, p1));
  case ActivationKind::mish:
    return static_cast<float>(
        x * std::tanh(softplus(x, kMishSoftplusBeta, kMishSoftplusThreshold)));
  case ActivationKind::hardtanh:
    // NaN stays NaN, as arith.maximumf and minimumf compute it.
    return std::isnan(x) ? x : std::min(std::max(x, p0), p1);
  case ActivationKind::hardsigmoid:
    return std::isnan(x) ? x
                         : static_cast<float>(
                               std::min(std::max(double(x) + 3, 0.0), 6.0) / 6);
  case ActivationKind::hardswish:
    return std::isnan(x)
               ? x
               : static_cast<float>(
                     x * std::min(std::max(double(x) + 3, 0.0), 6.0) / 6);
  }
  llvm_unreachable("unknown activation kind");
}

mlir::tp::ActivationErrorModel
mlir::tp::getActivationErrorModel(const Activation &act) {
  // Lipschitz constants: the largest |sigma'|; GELU's is 1.129 (at x =
  // 2.45), SiLU's 1.0998 (at x = 2.40), Mish's 1.0885 (at x = 1.49),
  // hardswish's 1.5 (at x = 3).
  switch (act.kind) {
  case ActivationKind::identity:
  case ActivationKind::relu:
  case ActivationKind::hardtanh:
    return {1.0, 0.0}; // exact in f32
  case ActivationKind::leaky_relu:
    return {std::max(1.0, std::fabs(double(act.params[0]))), 0.0};
  case ActivationKind::gelu:
  case ActivationKind::gelu_tanh:
    return {1.13, 16.0};
  case ActivationKind::sigmoid:
    return {0.25, 16.0};
  case ActivationKind::tanh:
  case ActivationKind::softplus:
    return {1.0, 16.0};
  case ActivationKind::silu:
    return {1.1, 16.0};
  case ActivationKind::elu:
    return {std::max(1.0, std::fabs(double(act.params[0]))), 16.0};
  case ActivationKind::selu:
    return {kSeluScale * kSeluAlpha, 16.0};
  case ActivationKind::mish:
    return {1.09, 16.0};
  // x + 3, its clamp, (times x,) over 6: a few roundings of the result.
  case ActivationKind::hardsigmoid:
    return {1.0 / 6, 4.0};
  case ActivationKind::hardswish:
    return {1.5, 4.0};
  }
  llvm_unreachable("unknown activation kind");
}
