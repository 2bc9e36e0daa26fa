//===- Activation.cpp - scalar definitions of the activation kinds --------===//
//
// The single source of truth for what each ActivationKind computes. Backends
// are checked against these definitions through the evaluator.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Evaluator/Evaluator.h"

#include "llvm/Support/ErrorHandling.h"

#include <cmath>

float mlir::tp::applyActivation(ActivationKind kind, float x) {
  switch (kind) {
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
  }
  llvm_unreachable("unknown activation kind");
}

mlir::tp::ActivationErrorModel
mlir::tp::getActivationErrorModel(ActivationKind kind) {
  // Lipschitz constants: the largest |sigma'|; GELU's is 1.129 (at x =
  // 2.45), SiLU's 1.0998 (at x = 2.40).
  switch (kind) {
  case ActivationKind::identity:
  case ActivationKind::relu:
    return {1.0, 0.0}; // exact in f32
  case ActivationKind::gelu:
  case ActivationKind::gelu_tanh:
    return {1.13, 16.0};
  case ActivationKind::sigmoid:
    return {0.25, 16.0};
  case ActivationKind::tanh:
    return {1.0, 16.0};
  case ActivationKind::silu:
    return {1.1, 16.0};
  }
  llvm_unreachable("unknown activation kind");
}
