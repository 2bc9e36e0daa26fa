//===- OptionErrors.h - pass option errors that say something ---*- C++ -*-===//
//
// When a pass option does not parse (`--tp-set-mesh=devices=abc`), llvm::cl
// prints why to stderr and MLIR then reports an error with an empty message.
// Passes with options derive from WithOptionErrors so that the error names
// the pass and the options instead.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_OPTIONERRORS_H
#define TP_MLIR_SUPPORT_OPTIONERRORS_H

#include "mlir/Pass/Pass.h"

namespace mlir::tp {

/// A generated pass base whose option errors name the pass and the
/// options: a pass derives from WithOptionErrors<impl::XBase<XPass>> instead
/// of impl::XBase<XPass>.
template <typename GeneratedBase>
class WithOptionErrors : public GeneratedBase {
public:
  using GeneratedBase::GeneratedBase;

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    return GeneratedBase::initializeOptions(options, [&](const Twine &message) {
      std::string text = message.str();
      if (!text.empty())
        return errorHandler(text);
      return errorHandler(this->getArgument() + ": invalid options '" +
                          options + "' (llvm::cl says why above)");
    });
  }
};

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_OPTIONERRORS_H
