//===- TPPlugin.cpp - tp as an mlir-opt dialect and pass plugin -----------===//

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {
      MLIR_PLUGIN_API_VERSION, "TP", LLVM_VERSION_STRING,
      [](DialectRegistry *registry) { tp::registerModelDialects(*registry); }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "TPPasses", LLVM_VERSION_STRING,
          []() { tp::registerTPPassesAndPipelines(); }};
}
