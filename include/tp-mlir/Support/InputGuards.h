//===- InputGuards.h - checks on IR text before it is parsed ----*- C++ -*-===//
//
// MLIR's parser recurses once per level of brackets, so a file of a few
// hundred thousand nested `[` overflows the stack. The tools measure the
// nesting first (a linear scan that skips strings and comments) and refuse
// a file past kMaxNestingDepth with an error naming the line.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_INPUTGUARDS_H
#define TP_MLIR_SUPPORT_INPUTGUARDS_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <utility>

namespace mlir::tp {

/// "" when `text` nests brackets ((, [, {, <) at most kMaxNestingDepth deep;
/// otherwise an error that names the line where the limit is passed, and
/// ends with `usual`, how deep such files nest.
std::string checkNestingDepth(llvm::StringRef text,
                              llvm::StringRef usual = "models nest a few");

/// A key that an object of `json` (whose nesting is already bounded) holds
/// twice, and the key of that object in its parent ("" for the root);
/// nullopt when no object repeats a key. LLVM's parser keeps the last of
/// repeated keys without a word.
std::optional<std::pair<std::string, std::string>>
findRepeatedJSONKey(llvm::StringRef json);

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_INPUTGUARDS_H
