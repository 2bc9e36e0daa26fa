//===- InputGuards.cpp - checks on IR text before it is parsed ------------===//

#include "tp-mlir/Support/InputGuards.h"

#include "tp-mlir/Support/Limits.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <vector>

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

std::optional<std::pair<std::string, std::string>>
mlir::tp::findRepeatedJSONKey(llvm::StringRef json) {
  struct Frame {
    bool object;
    std::string name; // this object's key in its parent
    llvm::StringSet<> keys;
    bool expectKey;
  };
  std::vector<Frame> frames;
  std::string lastKey; // the key whose value comes next
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '"') {
      size_t start = i++;
      while (i < json.size() && json[i] != '"')
        i += json[i] == '\\' ? 2 : 1;
      if (frames.empty() || !frames.back().object || !frames.back().expectKey)
        continue;
      // Compare keys as the parser decodes them (escapes included).
      llvm::StringRef token = json.slice(start, std::min(i + 1, json.size()));
      llvm::Expected<llvm::json::Value> key = llvm::json::parse(token);
      std::string text =
          key && key->getAsString() ? key->getAsString()->str() : token.str();
      if (!key)
        llvm::consumeError(key.takeError());
      Frame &frame = frames.back();
      if (!frame.keys.insert(text).second)
        return std::make_pair(text, frame.name);
      frame.expectKey = false;
      lastKey = text;
      continue;
    }
    if (c == '{' || c == '[') {
      frames.push_back({c == '{', lastKey, {}, c == '{'});
      lastKey.clear();
    } else if (c == '}' || c == ']') {
      if (!frames.empty())
        frames.pop_back();
    } else if (c == ',' && !frames.empty() && frames.back().object) {
      frames.back().expectKey = true;
    }
  }
  return std::nullopt;
}
