//===- OptionChecks.h - what llvm::cl lets through in tool options -*- C++
//-*-===//
//
// Integer options: llvm::cl reads an integer in the base its prefix names:
// "010" is eight and "0x10" sixteen. A device count, batch or memory limit
// written with a leading zero would silently become another number, so the
// tools check that their integer options are written in decimal digits:
//
//   tp-run: for the --memory-limit option: '010' is not a whole number
//   written in decimal digits without a leading zero (LLVM's option parser
//   reads 010 as octal)
//
// llvm::cl::parser<T> is final and cl::opt needs it for printing, so the
// check reads the command line beside llvm::cl rather than replacing its
// parser.
//
// Response files: llvm::cl expands @file arguments, but on one that names
// itself or cannot be read it drops the command line and goes on, and it
// reads @/dev/zero without end; the tools check them first.
//
// File options: llvm::cl takes an empty value (`--weights "$W"` with W
// unset), which reads as the option left out: random weights, the
// built-in profile, no output written. A file option given must name a
// file.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_OPTIONCHECKS_H
#define TP_MLIR_SUPPORT_OPTIONCHECKS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/StringSaver.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>

namespace mlir::tp {

/// "" when every occurrence in `argv` of the integer `options` has a value
/// in decimal digits, with an optional minus sign and no leading zero; else
/// the error, for `tool`. The forms are llvm::cl's: -name=V, --name=V,
/// -name V and --name V, up to "--".
inline std::string
checkDecimalOptions(llvm::StringRef tool, int argc, char **argv,
                    llvm::ArrayRef<const llvm::cl::Option *> options) {
  // As llvm::cl reads them: @file arguments expanded (an error there was
  // llvm::cl's to report).
  llvm::BumpPtrAllocator allocator;
  llvm::SmallVector<const char *> args(argv, argv + argc);
  llvm::consumeError(
      llvm::cl::ExpansionContext(allocator, llvm::cl::TokenizeGNUCommandLine)
          .expandResponseFiles(args));
  argc = static_cast<int>(args.size());
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(args[i]);
    if (arg == "--")
      break;
    if (!arg.consume_front("-"))
      continue;
    arg.consume_front("-");
    // Not a structured binding: the lambda below captures `name`.
    llvm::StringRef name, value;
    std::tie(name, value) = arg.split('=');
    if (llvm::none_of(options, [&](const llvm::cl::Option *option) {
          return option->ArgStr == name;
        }))
      continue;
    if (!arg.contains('=')) {
      if (i + 1 >= argc)
        continue; // llvm::cl reported the missing value
      value = args[++i];
    }
    llvm::StringRef digits = value;
    digits.consume_front("-");
    bool decimal = !digits.empty() && llvm::all_of(digits, llvm::isDigit) &&
                   (digits.size() == 1 || digits.front() != '0');
    if (!decimal)
      return (tool + ": for the --" + name + " option: '" + value +
              "' is not a whole number written in decimal digits without a "
              "leading zero (LLVM's option parser reads 010 as octal and "
              "0x10 as hexadecimal)")
          .str();
  }
  return "";
}

/// "" when every @file argument in `argv`, and in the files they name, names
/// a regular file (or a pipe) that llvm::cl can expand; else the error, for
/// `tool`. llvm::cl reads @/dev/zero without end, and on a response file that
/// names itself or cannot be read it prints a line and drops the whole command
/// line: the tool would run its defaults. A missing file is left to it (it
/// keeps the argument, which then names no file).
inline std::string checkResponseFiles(llvm::StringRef tool, int argc,
                                      char **argv) {
  constexpr int kMaxDepth = 16;
  // llvm::cl expands a file each time it is named: a few files that name
  // each other three times over make millions of arguments.
  constexpr uint64_t kMaxArguments = 100000;
  llvm::BumpPtrAllocator allocator;
  llvm::StringSaver saver(allocator);
  llvm::SmallVector<std::string> chain;
  // The arguments each checked file expands to: a file named many times is
  // read once.
  llvm::StringMap<uint64_t> expanded;
  std::string error;
  std::function<uint64_t(llvm::ArrayRef<const char *>)> visit =
      [&](llvm::ArrayRef<const char *> args) -> uint64_t {
    uint64_t count = 0;
    for (const char *arg : args) {
      llvm::StringRef path(arg);
      count = std::min(count + 1, kMaxArguments + 1);
      if (!path.consume_front("@") || path.empty())
        continue;
      std::string named = ("response file '@" + path + "'").str();
      llvm::sys::fs::file_status status;
      if (llvm::sys::fs::status(path, status))
        continue;
      // A pipe (@<(...)) ends when its writer does; reading it here would
      // leave nothing for llvm::cl.
      if (status.type() == llvm::sys::fs::file_type::fifo_file)
        continue;
      if (status.type() != llvm::sys::fs::file_type::regular_file) {
        error = (tool + ": error: " + named +
                 " is not a regular file or a pipe (a directory or a device)")
                    .str();
        return 0;
      }
      llvm::SmallString<256> real;
      if (llvm::sys::fs::real_path(path, real))
        real = path;
      auto known = expanded.find(real);
      if (known == expanded.end()) {
        if (llvm::is_contained(chain, std::string(real))) {
          error = (tool + ": error: " + named + " includes itself").str();
          return 0;
        }
        if (chain.size() >= kMaxDepth) {
          error = (tool + ": error: " + named + " nests response files more " +
                   "than " + llvm::Twine(kMaxDepth) + " deep")
                      .str();
          return 0;
        }
        auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
        if (!buffer) {
          error = (tool + ": error: cannot read " + named + ": " +
                   buffer.getError().message())
                      .str();
          return 0;
        }
        llvm::SmallVector<const char *> inner;
        llvm::cl::TokenizeGNUCommandLine((*buffer)->getBuffer(), saver, inner);
        chain.push_back(std::string(real));
        uint64_t size = visit(inner);
        chain.pop_back();
        if (!error.empty())
          return 0;
        known = expanded.insert({real, size}).first;
      }
      count = std::min(count - 1 + known->second, kMaxArguments + 1);
      if (count > kMaxArguments) {
        error = (tool + ": error: the response files expand to more than " +
                 llvm::Twine(kMaxArguments) + " arguments (" + named +
                 " and the files it names)")
                    .str();
        return 0;
      }
    }
    return count;
  };
  visit(llvm::ArrayRef<const char *>(argv, argc).drop_front());
  return error;
}

/// checkResponseFiles, then llvm::cl's parse of `argv`; false, with the
/// error printed, when either fails (llvm::cl then parsed nothing).
inline bool parseToolOptions(llvm::StringRef tool, int argc, char **argv,
                             llvm::StringRef overview) {
  if (std::string error = checkResponseFiles(tool, argc, argv);
      !error.empty()) {
    llvm::errs() << error << "\n";
    return false;
  }
  return llvm::cl::ParseCommandLineOptions(argc, argv, overview);
}

/// "" when none of `options` was given an empty value; else the error, for
/// `tool`, saying that the option needs `noun` ("a file name").
inline std::string
checkNonEmptyOptions(llvm::StringRef tool,
                     llvm::ArrayRef<const llvm::cl::opt<std::string> *> options,
                     llvm::StringRef noun) {
  for (const llvm::cl::opt<std::string> *option : options)
    if (option->getNumOccurrences() && option->getValue().empty())
      return (tool + ": error: " +
              (option->ArgStr.empty()
                   ? llvm::Twine("the model argument")
                   : llvm::Twine(option->ArgStr.size() == 1 ? "-" : "--") +
                         option->ArgStr) +
              " needs " + noun + ", and was given an empty one")
          .str();
  return "";
}

/// "" when none of the file `options` was given an empty value; else the
/// error, for `tool`.
inline std::string
checkFileOptions(llvm::StringRef tool,
                 llvm::ArrayRef<const llvm::cl::opt<std::string> *> options) {
  return checkNonEmptyOptions(tool, options, "a file name");
}

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_OPTIONCHECKS_H
