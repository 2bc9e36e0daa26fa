//===- Registration.cpp - register tp with a context or tool --------------===//

#include "tp-mlir/Registration/Registration.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

void mlir::tp::registerModelDialects(DialectRegistry &registry) {
  registry.insert<TPDialect, func::FuncDialect, arith::ArithDialect>();
}

void mlir::tp::registerTPPassesAndPipelines() {
  registerTPPasses();
  registerTPConversionPasses();
  registerTPPipelines();
}
