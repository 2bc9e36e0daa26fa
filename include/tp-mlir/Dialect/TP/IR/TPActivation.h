//===- TPActivation.h - an activation kind and its parameters ---*- C++ -*-===//
//
// Some activation kinds take parameters (leaky_relu's negative_slope,
// hardtanh's bounds, ...). An op holds its kind as an enum attribute and,
// for those kinds, the parameters as written (`activation(leaky_relu(0.2))`,
// a DenseF32ArrayAttr); omitted, they are PyTorch's defaults. Activation is
// the two resolved into one value: what sigma computes, for the evaluator,
// the lowerings and the planner.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPACTIVATION_H
#define TP_MLIR_DIALECT_TP_IR_TPACTIVATION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LLVM.h"

#include <array>

namespace mlir {
class OpBuilder;
} // namespace mlir

namespace mlir::tp {
enum class ActivationKind : uint32_t;

/// SELU's constants, PyTorch's (torch.nn.SELU): selu(x) = kSeluScale x for
/// x > 0, kSeluScale kSeluAlpha (exp(x) - 1) otherwise.
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
/// Mish is x tanh(softplus(x)) with softplus's default beta and threshold.
constexpr float kMishSoftplusBeta = 1.0f, kMishSoftplusThreshold = 20.0f;

/// The most parameters an activation kind takes.
constexpr unsigned kMaxActivationParams = 2;

/// How many parameters `kind` takes (0 to kMaxActivationParams).
unsigned getNumActivationParams(ActivationKind kind);

/// The name of parameter `i` of `kind`, as PyTorch calls it.
StringRef getActivationParamName(ActivationKind kind, unsigned i);

/// An activation kind with every parameter it takes: written ones, and
/// PyTorch's defaults for the rest. Not convertible from a bare kind, so that
/// code which passes a kind along must say where its parameters come from.
struct Activation {
  ActivationKind kind;
  std::array<float, kMaxActivationParams> params{};

  /// `kind` with its default parameters.
  static Activation withDefaults(ActivationKind kind);
  /// `kind` with `params` (null: the defaults); the op verifiers have
  /// checked them (verifyActivationParams).
  static Activation get(ActivationKind kind, DenseF32ArrayAttr params);

  bool operator==(const Activation &other) const {
    return kind == other.kind && params == other.params;
  }
  bool operator!=(const Activation &other) const { return !(*this == other); }
};

/// The parameters of `activation` as an op stores them
/// (`activation_params`): null for a kind without parameters, all of them
/// otherwise.
DenseF32ArrayAttr getActivationParamsAttr(OpBuilder &builder,
                                          const Activation &activation);

/// Checks the parameters written for `kind` (null: none): their count, that
/// each is finite, and each kind's own conditions (hardtanh's min_val below
/// max_val, softplus's beta positive). `emitError` reports the first
/// problem.
LogicalResult
verifyActivationParams(function_ref<InFlightDiagnostic()> emitError,
                       ActivationKind kind, DenseF32ArrayAttr params);

} // namespace mlir::tp

#endif // TP_MLIR_DIALECT_TP_IR_TPACTIVATION_H
