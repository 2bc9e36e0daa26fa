//===- TPFolds.cpp - tp dialect folders -----------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"

using namespace mlir;
using namespace mlir::tp;

/// The activation already applied to `value` by its producer, if any.
static std::optional<ActivationKind> producerActivation(Value value) {
  if (auto act = value.getDefiningOp<ActivationOp>())
    return act.getKind();
  if (auto linear = value.getDefiningOp<LinearOp>())
    return linear.getActivation();
  return std::nullopt;
}

OpFoldResult ActivationOp::fold(FoldAdaptor) {
  // identity(x) = x.
  if (getKind() == ActivationKind::identity)
    return getInput();
  // relu is idempotent: relu(relu(x)) = relu(x), also when the inner relu is
  // fused into a linear op.
  if (getKind() == ActivationKind::relu &&
      producerActivation(getInput()) == ActivationKind::relu)
    return getInput();
  return {};
}
