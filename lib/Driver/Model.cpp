//===- Model.cpp - a verified model-level module and its entry ------------===//

#include "tp-mlir/Driver/Driver.h"

#ifdef TP_ENABLE_GPU
#include "tp-mlir/Backend/GPUBackend.h"
#endif

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/Transforms/Passes.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::tp;

void mlir::tp::registerDriverDialects(DialectRegistry &registry) {
  registerModelDialects(registry);
  registerCPUBackendDialects(registry);
#ifdef TP_ENABLE_GPU
  registerGPUBackendDialects(registry);
#endif
}

FailureOr<Model> Model::load(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                             StringRef sourceName, StringRef entry) {
  OwningOpRef<ModuleOp> module = parseModel(context, sourceMgr);
  if (!module)
    return failure();
  return adopt(std::move(module), sourceName, entry);
}

FailureOr<Model> Model::adopt(OwningOpRef<ModuleOp> module,
                              StringRef sourceName, StringRef entry) {
  if (!module || failed(verify(*module)))
    return failure();
  // The driver compiles the top-level module's functions; a nested module
  // would be carried along unpartitioned, and fail deep in the lowering.
  if (auto nested = module->getOps<ModuleOp>(); !nested.empty())
    return (*nested.begin()).emitError()
           << "is a nested module; tp-mlir compiles the functions of the "
              "top-level module: move them up";
  FunctionOpInterface fn = lookupEntry(*module, entry);
  if (!fn)
    return failure();
  if (fn.isExternal())
    return fn.emitError() << "the entry @" << fn.getName()
                          << " is a declaration; it needs a body";
  if (fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "is already partitioned; the driver takes a "
                             "model-level function";
  // A shard program's helper functions become part of the entry, as the
  // shard pipeline would make them: the reference evaluator, like
  // upstream's propagation, runs one function. A call that stays is
  // refused by the pipeline.
  if (!module->getOps<shard::GridOp>().empty()) {
    PassManager inliner(module->getContext());
    inliner.addPass(createInlinerPass());
    if (failed(inliner.run(*module)))
      return failure();
  }
  // Only the entry and what it calls (a shard program's helpers; a tp
  // model calls nothing) are partitioned, compiled and run: the module's
  // other functions go, so that what they hold (another element type, ops
  // tp does not lower) is neither compiled nor reported.
  llvm::SmallPtrSet<Operation *, 8> reached = {fn.getOperation()};
  SmallVector<FunctionOpInterface> work = {fn};
  while (!work.empty()) {
    FunctionOpInterface caller = work.pop_back_val();
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(caller.getOperation());
    if (!uses)
      continue;
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<FunctionOpInterface>(
          caller.getOperation(), use.getSymbolRef());
      if (callee && reached.insert(callee.getOperation()).second)
        work.push_back(callee);
    }
  }
  for (FunctionOpInterface other :
       llvm::make_early_inc_range(module->getOps<FunctionOpInterface>()))
    if (!reached.contains(other.getOperation()))
      other.erase();
  // The compiled code calls the runtime, BLAS and the C library by name: an
  // entry of the same name would be linked in their place, or clash with
  // their declarations.
  StringRef name = fn.getName();
  static const char *const kLibraryNames[] = {
      "malloc", "free",    "calloc", "realloc", "aligned_alloc",
      "memcpy", "memmove", "memset", "abort",   "exit",
      "erff",   "expf",    "exp2f",  "expm1f",  "tanhf",
      "logf",   "log1pf",  "sqrtf",  "powf",    "fmaf"};
  for (StringRef prefix :
       {"tp_rt_", "_mlir", "cblas_", "mgpu", "cublas", "nccl"})
    if (name.starts_with(prefix))
      return fn.emitError()
             << "the entry's name @" << name << " begins with '" << prefix
             << "', which names symbols of tp-mlir's compiled code and of "
                "the libraries it links (the runtime, the C interface, BLAS, "
                "CUDA); rename the function";
  // CUDA's driver and runtime APIs: cuLaunchKernel, cudaMalloc.
  for (StringRef prefix : {"cu", "cuda"})
    if (name.size() > prefix.size() && name.starts_with(prefix) &&
        llvm::isUpper(name[prefix.size()]))
      return fn.emitError()
             << "the entry's name @" << name
             << " looks like a function of CUDA's API, which the GPU "
                "runtime links; rename the function";
  if (llvm::is_contained(kLibraryNames, name))
    return fn.emitError() << "the entry's name @" << name
                          << " is a C library function that the compiled "
                             "code calls; rename the function";
  // A private function named by --entry is the entry all the same: public,
  // it keeps its C interface, where the lowering dropped it as unused (an
  // empty object, or a JIT without the symbol).
  if (auto symbol = dyn_cast<SymbolOpInterface>(fn.getOperation()))
    symbol.setPublic();
  // The driver sizes dimension 0 (the batch) from --batch or --input, and
  // checks each output against that; any other dimension must be known.
  auto checkSized = [&](StringRef what, TypeRange types) -> LogicalResult {
    for (auto [i, type] : llvm::enumerate(types))
      if (auto tensor = dyn_cast<RankedTensorType>(type))
        for (int64_t d = 1; d < tensor.getRank(); ++d)
          if (tensor.isDynamicDim(d))
            return fn.emitError()
                   << what << " #" << i << " has type " << type
                   << ": dimension " << d
                   << " is dynamic, and the driver sizes only dimension 0 "
                      "(the batch) at run time; give the others static "
                      "sizes";
    return success();
  };
  if (failed(checkSized("argument", fn.getArgumentTypes())) ||
      failed(checkSized("result", fn.getResultTypes())))
    return failure();
  Model model;
  auto grids = module->getOps<shard::GridOp>();
  if (!grids.empty()) {
    // Upstream shard IR: its annotations say how to partition it, and
    // tp-prepare-shard checks them; the grid sizes the mesh.
    ArrayRef<int64_t> shape = (*grids.begin()).getShape();
    model.shardGridDevices = shape.size() == 1 && shape[0] > 0 ? shape[0] : 1;
    // Before sharding propagation, which reports a tp layer in upstream's
    // words.
    if (failed(verifyNoTPLayersInShardProgram(*module)))
      return failure();
    // The driver makes, shards and compares f32 tensors.
    auto isF32Tensor = [](Type type) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      return tensor && tensor.getElementType().isF32();
    };
    for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes()))
      if (!isF32Tensor(type))
        return fn.emitError() << "argument #" << i << " has type " << type
                              << "; the driver passes f32 tensors only";
    for (auto [i, type] : llvm::enumerate(fn.getResultTypes()))
      if (!isF32Tensor(type))
        return fn.emitError() << "result #" << i << " has type " << type
                              << "; the driver compares f32 tensors only";
  } else if (failed(verifyModelFunction(fn))) {
    // What cannot be partitioned and compiled is said here, at the front,
    // rather than deep in bufferization.
    return failure();
  }
  model.module = std::move(module);
  model.entry = fn;
  model.sourceName = sourceName.str();
  return model;
}

bool Model::isWeight(unsigned index) const {
  return bool(entry.getArgAttr(index, TPDialect::kNameAttrName));
}

std::optional<StringRef> Model::getCheckpointName(unsigned index) const {
  if (auto name =
          entry.getArgAttrOfType<StringAttr>(index, TPDialect::kNameAttrName))
    return name.getValue();
  return std::nullopt;
}

unsigned Model::getNumInputs() const {
  unsigned inputs = 0;
  for (unsigned i = 0; i < getNumArguments(); ++i)
    inputs += !isWeight(i);
  return inputs;
}

int64_t Model::getNumLayers() const {
  int64_t layers = 0;
  entry.walk([&](LinearOp) { ++layers; });
  return layers;
}

int64_t Model::getMeshDevices() const {
  if (isShardProgram())
    return shardGridDevices;
  MeshAttr mesh = lookupMesh(entry);
  return mesh ? mesh.getNumDevices() : 0;
}
