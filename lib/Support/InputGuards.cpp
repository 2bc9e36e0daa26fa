//===- InputGuards.cpp - checks on IR text before it is parsed ------------===//

#include "tp-mlir/Support/InputGuards.h"

#include "tp-mlir/Support/Limits.h"

using namespace mlir::tp;

std::string mlir::tp::checkNestingDepth(llvm::StringRef text,
                                        llvm::StringRef usual) {
  int64_t depth = 0, line = 1;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    switch (c) {
    case '\n':
      ++line;
      break;
    case '"': // a string: brackets inside do not count
      for (++i; i < e && text[i] != '"'; ++i) {
        if (text[i] == '\\')
          ++i;
        else if (text[i] == '\n')
          ++line;
      }
      break;
    case '/': // a comment runs to the end of the line
      if (i + 1 < e && text[i + 1] == '/')
        while (i + 1 < e && text[i + 1] != '\n')
          ++i;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (++depth > kMaxNestingDepth)
        return "line " + std::to_string(line) + " nests brackets more than " +
               std::to_string(kMaxNestingDepth) + " deep (tp-mlir's limit; " +
               usual.str() + " levels)";
      break;
    case ')':
    case ']':
    case '}':
      depth = depth > 0 ? depth - 1 : 0;
      break;
    case '>':
      // `->` is an arrow, not a closing bracket.
      if (i == 0 || text[i - 1] != '-')
        depth = depth > 0 ? depth - 1 : 0;
      break;
    default:
      break;
    }
  }
  return "";
}
