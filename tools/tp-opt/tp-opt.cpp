//===- tp-opt.cpp - the tp-mlir optimizer driver --------------------------===//

#include "tp-mlir/Registration/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  // Every upstream dialect, extension and pass, so that files mixing tp with
  // the linalg/tensor/gpu/LLVM levels of the pipelines can be processed.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  mlir::tp::registerModelDialects(registry);
  mlir::tp::registerTPPassesAndPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tp-mlir optimizer driver\n", registry));
}
