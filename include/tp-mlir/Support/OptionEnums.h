//===- OptionEnums.h - enumerated options of passes and tools ---*- C++ -*-===//
//
// PartitionStrategy, MatmulLowering, Backend and RuntimeTarget
// (OptionEnums.td), each with the command-line parser of EnumOption.h, so
// that pass options, pipeline options and tool flags of these types accept
// exactly their keywords.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_OPTIONENUMS_H
#define TP_MLIR_SUPPORT_OPTIONENUMS_H

#include "tp-mlir/Support/EnumOption.h"

#include "mlir/Support/LLVM.h"

#include "llvm/ADT/DenseMapInfo.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>

#include "tp-mlir/Support/OptionEnums.h.inc"

TP_ENUM_OPTION_PARSER(mlir::tp, PartitionStrategy)
TP_ENUM_OPTION_PARSER(mlir::tp, MatmulLowering)
TP_ENUM_OPTION_PARSER(mlir::tp, Backend)
TP_ENUM_OPTION_PARSER(mlir::tp, RuntimeTarget)

#endif // TP_MLIR_SUPPORT_OPTIONENUMS_H
