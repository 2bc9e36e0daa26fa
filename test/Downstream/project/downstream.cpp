//===- downstream.cpp - a client of the installed tp-mlir package ---------===//
//
// Builds a one-layer chain with the C++ builders, runs tp-fuse-activations
// through a PassManager, prints the IR and evaluates it.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Runtime/ThreadGroup.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int main() {
  DialectRegistry registry;
  tp::registerModelDialects(registry);
  tp::registerCPUBackendDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  OpBuilder b(&context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  (*module)->setAttr("tp.mesh", tp::MeshAttr::get(&context, {2}));
  b.setInsertionPointToEnd(module->getBody());
  auto f32 = b.getF32Type();
  auto xT = RankedTensorType::get({1, 2}, f32);
  auto wT = RankedTensorType::get({2, 2}, f32);
  auto yT = RankedTensorType::get({1, 2}, f32);
  auto fn =
      func::FuncOp::create(b, loc, "layer", b.getFunctionType({xT, wT}, {yT}));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  Value y = tp::LinearOp::create(b, loc, entry->getArgument(0),
                                 entry->getArgument(1), Value());
  Value act = tp::ActivationOp::create(b, loc, tp::ActivationKind::relu, y);
  func::ReturnOp::create(b, loc, act);

  PassManager pm(&context);
  pm.addPass(tp::createFuseActivations());
  if (failed(verify(*module)) || failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());

  // [1, -1] x [[2, 1], [1, 3]]^T = [1, -2]; relu -> [1, 0].
  auto out = tp::evaluate(
      fn, {tp::Tensor({1, 2}, {1, -1}), tp::Tensor({2, 2}, {2, 1, 1, 3})});
  if (failed(out))
    return 1;
  llvm::outs() << llvm::format("result: %g %g\n", (*out)[0].data[0],
                               (*out)[0].data[1]);

  // The same layer split over 2 devices, compiled and run on 2 threads.
  PassManager partition(&context);
  tp::PartitionPipelineOptions options;
  options.devices = 2;
  options.strategy = mlir::tp::PartitionStrategy::row;
  tp::addTPPartitionPipeline(partition, options);
  if (failed(partition.run(*module)))
    return 1;
  auto compiled = tp::CPUModel::compile(*module, "layer", {});
  if (failed(compiled))
    return 1;
  tp::RankTensors rankArgs = {
      {tp::Tensor({1, 2}, {1, -1}), tp::Tensor({1, 2}, {2, 1})},
      {tp::Tensor({1, 2}, {1, -1}), tp::Tensor({1, 2}, {1, 3})}};
  // Each rank runs on a thread of its own; the compiled code's collectives
  // go to the thread's communicator.
  auto group = tp::rt::ThreadGroup::create(2);
  std::vector<tp::Tensor> outputs(2);
  bool ran = group->run([&](tp::rt::Communicator &comm) {
    std::string error;
    auto out = (*compiled)->invoke(rankArgs[comm.rank()], error);
    if (failed(out))
      return comm.abort(error);
    outputs[comm.rank()] = std::move(*out);
  });
  if (!ran) {
    llvm::errs() << group->error() << "\n";
    return 1;
  }
  for (const tp::Tensor &out : outputs)
    llvm::outs() << llvm::format("compiled rank: %g %g\n", out.data[0],
                                 out.data[1]);
  return 0;
}
