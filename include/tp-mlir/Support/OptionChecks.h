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
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <string>

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
    auto [name, value] = arg.split('=');
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

/// "" when none of the file `options` was given an empty value; else the
/// error, for `tool`.
inline std::string
checkFileOptions(llvm::StringRef tool,
                 llvm::ArrayRef<const llvm::cl::opt<std::string> *> options) {
  for (const llvm::cl::opt<std::string> *option : options)
    if (option->getNumOccurrences() && option->getValue().empty())
      return (tool + ": error: " +
              (option->ArgStr.empty() ? llvm::Twine("the model argument")
                                      : llvm::Twine("--") + option->ArgStr) +
              " needs a file name, and was given an empty one")
          .str();
  return "";
}

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_OPTIONCHECKS_H
