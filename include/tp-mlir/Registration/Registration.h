//===- Registration.h - register tp with a context or tool ------*- C++ -*-===//
//
// Entry points for tools and for compilers that embed tp-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_REGISTRATION_REGISTRATION_H
#define TP_MLIR_REGISTRATION_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace tp {

/// The tp dialect plus the upstream dialects a model-level file uses (func,
/// arith). Enough to parse, verify and evaluate a model.
void registerModelDialects(DialectRegistry &registry);

/// Every tp pass and pipeline, for command-line tools.
void registerTPPassesAndPipelines();

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_REGISTRATION_REGISTRATION_H
