//===- DecimalOption.h - integer options written in decimal -----*- C++ -*-===//
//
// llvm::cl reads an integer option in the base its prefix names: "010" is
// eight and "0x10" sixteen. A device count, batch or memory limit written
// with a leading zero would silently become another number, so the tools
// check that their integer options are written in decimal digits:
//
//   tp-run: for the --memory-limit option: '010' is not a whole number
//   written in decimal digits without a leading zero (LLVM's option parser
//   reads 010 as octal)
//
// llvm::cl::parser<T> is final and cl::opt needs it for printing, so the
// check reads the command line beside llvm::cl rather than replacing its
// parser.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_DECIMALOPTION_H
#define TP_MLIR_SUPPORT_DECIMALOPTION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace mlir::tp {

/// "" when every occurrence in `argv` of the integer `options` has a value
/// in decimal digits, with an optional minus sign and no leading zero; else
/// the error, for `tool`. The forms are llvm::cl's: -name=V, --name=V,
/// -name V and --name V, up to "--".
inline std::string
checkDecimalOptions(llvm::StringRef tool, int argc, char **argv,
                    llvm::ArrayRef<const llvm::cl::Option *> options) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
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
      value = argv[++i];
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

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_DECIMALOPTION_H
