//===- tp-opt.cpp - the tp-mlir optimizer driver --------------------------===//
//
// mlir-opt with tp registered, and one guard in front: the input must be a
// regular file (or stdin) whose brackets nest at most kMaxNestingDepth deep,
// so that no input hangs reading or overflows the parser's stack. The
// output is written only when the run succeeds.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/IO/SafeTensors.h"
#include "tp-mlir/Registration/Registration.h"
#include "tp-mlir/Support/InputGuards.h"
#include "tp-mlir/Support/OptionChecks.h"
#include "tp-mlir/Support/StackGuard.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"

static int toolMain(int argc, char **argv) {
  mlir::DialectRegistry registry;
  // Every upstream dialect, extension and pass, so that files mixing tp with
  // the linalg/tensor/gpu/LLVM levels of the pipelines can be processed.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR on the way to PTX.
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::registerAllPasses();
  mlir::tp::registerModelDialects(registry);
  mlir::tp::registerTPPassesAndPipelines();
  if (std::string error = mlir::tp::checkResponseFiles("tp-opt", argc, argv);
      !error.empty()) {
    llvm::errs() << error << "\n";
    return EXIT_FAILURE;
  }
  auto [input, output] = mlir::registerAndParseCLIOptions(
      argc, argv, "tp-mlir optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  // Listing dialects or passes reads no input.
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, input, output, registry));

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  if (input == "-") {
    buffer = mlir::openInputFile(input, &error);
  } else {
    auto file = mlir::tp::openRegularFile(input, /*isText=*/true);
    if (file)
      buffer = std::move(*file);
    else
      error = "cannot open input file '" + input +
              "': " + llvm::toString(file.takeError());
  }
  if (buffer)
    error = mlir::tp::checkNestingDepth(buffer->getBuffer());
  if (!buffer || !error.empty()) {
    llvm::errs() << "tp-opt: error: " << (buffer ? input + ": " + error : error)
                 << "\n";
    return EXIT_FAILURE;
  }
  // An output that cannot be written is the error, before the passes run.
  if (std::string why = mlir::tp::checkOutputWritable(output, "-o");
      !why.empty()) {
    llvm::errs() << "tp-opt: error: " << why << "\n";
    return EXIT_FAILURE;
  }
  // The output is held until the passes succeed, then written whole: a
  // failure leaves an earlier file as it was (the input itself, when -o
  // names it), and a symbolic link stays a link.
  std::string text;
  llvm::raw_string_ostream os(text);
  if (mlir::failed(mlir::MlirOptMain(os, std::move(buffer), registry, config)))
    return EXIT_FAILURE;
  if (llvm::Error e = mlir::tp::writeFileWhole(
          output, [&](llvm::raw_ostream &file) { file << text; })) {
    llvm::errs() << "tp-opt: error: " << llvm::toString(std::move(e)) << "\n";
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
  // A crash (in an upstream pass, say) prints its stack.
  llvm::InitLLVM init(argc, argv);
  return mlir::tp::runWithStackGuard("tp-opt",
                                     [&] { return toolMain(argc, argv); });
}
