//===- EnumOption.h - command-line parsing of enumerated options -*- C++ -*-===//
//
// A parser for llvm::cl options (and MLIR pass options, which are llvm::cl
// options) whose value is one of the project's ODS enums. It knows every
// keyword of the enum without a cl::values list, and an unknown keyword is
// an error that lists the valid ones:
//
//   tp-run: for the --strategy option: unknown value 'diagonal'; expected
//   one of: row, column, alternate, replicated
//
// TP_ENUM_OPTION_PARSER(ns, Enum) makes it the llvm::cl::parser of the enum;
// it must follow the enum's declaration, before any option of that type.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_ENUMOPTION_H
#define TP_MLIR_SUPPORT_ENUMOPTION_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>

namespace mlir::tp {

/// The keywords of an ODS enum, for EnumOptionParser. Specialized by
/// TP_ENUM_OPTION_PARSER from the ODS-generated functions.
template <typename E>
struct EnumKeywords;

/// "a, b, c": the keywords of `E`, for messages.
template <typename E>
std::string listEnumKeywords() {
  std::string list;
  for (unsigned i = 0; i <= EnumKeywords<E>::max(); ++i)
    if (std::optional<E> value = EnumKeywords<E>::fromIndex(i))
      list += (list.empty() ? "" : ", ") +
              EnumKeywords<E>::keyword(*value).str();
  return list;
}

/// llvm::cl::parser<E> for an ODS enum: the same interface (MLIR's pass
/// options look up `Values` to print an option), with every keyword
/// registered up front and a parse error that lists them.
template <typename E>
class EnumOptionParser : public llvm::cl::generic_parser_base {
protected:
  class OptionInfo : public generic_parser_base::GenericOptionInfo {
  public:
    OptionInfo(llvm::StringRef name, E v, llvm::StringRef help)
        : GenericOptionInfo(name, help), V(v) {}
    llvm::cl::OptionValue<E> V;
  };
  llvm::SmallVector<OptionInfo, 8> Values;

public:
  using parser_data_type = E;

  EnumOptionParser(llvm::cl::Option &owner) : generic_parser_base(owner) {
    for (unsigned i = 0; i <= EnumKeywords<E>::max(); ++i)
      if (std::optional<E> value = EnumKeywords<E>::fromIndex(i))
        Values.emplace_back(EnumKeywords<E>::keyword(*value), *value, "");
  }

  unsigned getNumOptions() const override { return unsigned(Values.size()); }
  llvm::StringRef getOption(unsigned n) const override { return Values[n].Name; }
  llvm::StringRef getDescription(unsigned n) const override {
    return Values[n].HelpStr;
  }
  const llvm::cl::GenericOptionValue &
  getOptionValue(unsigned n) const override {
    return Values[n].V;
  }

  /// True on error, as llvm::cl parsers do.
  bool parse(llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
             E &value) {
    for (const OptionInfo &info : Values)
      if (info.Name == arg) {
        value = info.V.getValue();
        return false;
      }
    return option.error("unknown value '" + arg + "'; expected one of: " +
                        listEnumKeywords<E>());
  }

  /// For cl::values(): replaces the help text of a keyword (every keyword
  /// is registered already; an unknown one is a programming error).
  template <typename DT>
  void addLiteralOption(llvm::StringRef name, const DT &, llvm::StringRef help) {
    for (OptionInfo &info : Values)
      if (info.Name == name) {
        info.HelpStr = help;
        return;
      }
    llvm::report_fatal_error("'" + name + "' is not a keyword of this enum");
  }
  void removeLiteralOption(llvm::StringRef) {}
};

} // namespace mlir::tp

/// Makes EnumOptionParser the command-line parser of ODS enum `ns::E`.
#define TP_ENUM_OPTION_PARSER(ns, E)                                           \
  template <>                                                                  \
  struct mlir::tp::EnumKeywords<ns::E> {                                       \
    static unsigned max() { return ns::getMaxEnumValFor##E(); }                \
    static std::optional<ns::E> fromIndex(unsigned i) {                        \
      return ns::symbolize##E(i);                                              \
    }                                                                          \
    static llvm::StringRef keyword(ns::E value) {                              \
      return ns::stringify##E(value);                                          \
    }                                                                          \
  };                                                                           \
  template <>                                                                  \
  class llvm::cl::parser<ns::E> : public mlir::tp::EnumOptionParser<ns::E> {   \
  public:                                                                      \
    using EnumOptionParser::EnumOptionParser;                                  \
  };

#endif // TP_MLIR_SUPPORT_ENUMOPTION_H
