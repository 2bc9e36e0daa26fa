//===- OptionEnums.cpp - enumerated options of passes and tools -----------===//

#include "tp-mlir/Support/OptionEnums.h"

#include "llvm/ADT/StringSwitch.h"

#include "tp-mlir/Support/OptionEnums.cpp.inc"
