//===- OptionErrors.h - pass option errors that say something ---*- C++ -*-===//
//
// When a pass option does not parse (`--tp-set-mesh=devices=abc`), llvm::cl
// prints why to stderr and MLIR then reports an error with an empty message.
// Passes with options route their option parsing through here so that the
// error names the pass and the options instead.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_OPTIONERRORS_H
#define TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_OPTIONERRORS_H

#include "mlir/Pass/Pass.h"

namespace mlir::tp {

/// Pass::initializeOptions of `pass`, with an empty error made to say which
/// pass and options failed.
inline LogicalResult
initializeOptionsWithContext(Pass &pass, StringRef options,
                             function_ref<LogicalResult(const Twine &)> error,
                             function_ref<LogicalResult(
                                 StringRef, function_ref<LogicalResult(
                                                const Twine &)>)>
                                 initialize) {
  return initialize(options, [&](const Twine &message) {
    std::string text = message.str();
    if (!text.empty())
      return error(text);
    return error(pass.getArgument() + ": invalid options '" + options +
                 "' (llvm::cl says why above)");
  });
}

} // namespace mlir::tp

#endif // TP_MLIR_LIB_DIALECT_TP_TRANSFORMS_OPTIONERRORS_H
