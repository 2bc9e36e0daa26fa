//===- CPUBackend.cpp - compile partitioned tp IR and run it on threads ---===//

#include "tp-mlir/Backend/CPUBackend.h"

#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Runtime/BLASKernels.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::tp;

void mlir::tp::registerCPUBackendDialects(DialectRegistry &registry) {
  // The lowering touches many upstream dialects through their interfaces
  // (bufferization, tiling, value bounds, transform-dialect extensions, LLVM
  // IR translation); registering them all keeps the list from going stale
  // as the pipeline changes.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

CPUModel::~CPUModel() = default;

namespace {
/// A CPU rank's arguments in host memory, and its last result as compiled
/// code allocated it: copied out only when asked for, and freed before the
/// next run, so that no run holds an older result beside its own tensors.
struct CPURankState final : CompiledModel::RankState {
  SmallVector<Tensor> args;
  std::optional<MemRefDescriptor> result;

  void dropResult() {
    if (result)
      std::free(result->getAllocated());
    result.reset();
  }
  ~CPURankState() override { dropResult(); }
};

/// Copies the data a descriptor describes into a tensor and frees its
/// allocation, which compiled code made with malloc and handed over.
Tensor takeTensor(const MemRefDescriptor &d) {
  SmallVector<int64_t> shape(d.getSizes());
  Tensor t(shape);
  const float *base = d.getData();
  ArrayRef<int64_t> strides = d.getStrides();
  int64_t rank = d.getRank();
  SmallVector<int64_t> index(rank, 0);
  for (size_t i = 0; i < t.data.size(); ++i) {
    int64_t offset = 0;
    for (int64_t k = 0; k < rank; ++k)
      offset += index[k] * strides[k];
    t.data[i] = base[offset];
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++index[k] < shape[k])
        break;
      index[k] = 0;
    }
  }
  std::free(d.getAllocated());
  return t;
}
} // namespace

const PackedWeight *CPUModel::packedWeight(size_t argument) const {
  for (const PackedWeight &w : packedWeights)
    if (w.argument == argument)
      return &w;
  return nullptr;
}

Tensor CPUModel::packWeight(const PackedWeight &w, const Tensor &weight) {
  // A dynamic size (an uneven shard's) is this weight's.
  PackedWeight concrete = w.of(weight.shape);
  std::array<int64_t, 4> shape = concrete.packedShape();
  Tensor packed(SmallVector<int64_t>(shape.begin(), shape.end()));
  concrete.pack(weight.data.data(), packed.data.data());
  return packed;
}

FailureOr<std::unique_ptr<CPUModel>>
CPUModel::compile(ModuleOp spmdModule, StringRef entry,
                  const CPUCompileOptions &options) {
  MLIRContext *ctx = spmdModule.getContext();
  DialectRegistry registry;
  registerCPUBackendDialects(registry);
  ctx->appendDialectRegistry(registry);

  if (options.packWeightsAhead && options.forLinking) {
    emitError(spmdModule.getLoc())
        << "weights packed ahead are for models that place their arguments; "
           "an object for linking takes them as they are";
    return failure();
  }
  auto model = std::unique_ptr<CPUModel>(new CPUModel());
  Target target;
  target.addPipeline = [&](OpPassManager &pm) {
    TPToLLVMOptions lowering;
    lowering.matmul = options.matmul;
    lowering.overlapChunks = options.overlapChunks;
    lowering.approximateMath = options.approximateMath;
    lowering.matmulVectorLanes = options.matmulVectorLanes;
    lowering.profile = options.profile;
    lowering.packWeightsAhead = options.packWeightsAhead;
    addTPToLLVMPipeline(pm, lowering);
  };
  for (auto symbolSet : {rt::getRuntimeSymbols(), rt::getBLASRuntimeSymbols()})
    target.symbols.insert(target.symbols.end(), symbolSet.begin(),
                          symbolSet.end());
  target.forLinking = options.forLinking;
  target.optLevel = options.optLevel;
  if (failed(model->CompiledModel::compile(spmdModule, entry, target)))
    return failure();
  return model;
}

std::unique_ptr<CompiledModel::RankState>
CPUModel::placeArguments(ArrayRef<ArgumentWriter> args,
                         std::string &error) const {
  if (!checkArguments(args, error))
    return nullptr;
  auto state = std::make_unique<CPURankState>();
  for (auto [i, arg] : llvm::enumerate(args)) {
    Tensor t(arg.shape);
    char *dst = reinterpret_cast<char *>(t.data.data());
    if (llvm::Error e =
            arg.write([&](int64_t at, const char *bytes, int64_t size) {
              if (size > 0) // an empty shard has no buffer
                std::memcpy(dst + at, bytes, size);
            })) {
      error = llvm::toString(std::move(e));
      return nullptr;
    }
    if (const PackedWeight *w = packedWeight(i))
      t = packWeight(*w, t);
    state->args.push_back(std::move(t));
  }
  return state;
}

LogicalResult CPUModel::run(RankState &rankState, std::string &error) const {
  auto &state = static_cast<CPURankState &>(rankState);
  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(state.args.size());
  std::vector<void *> pointers;
  for (Tensor &t : state.args) {
    descriptors.emplace_back(t.data.data(), t.shape);
    pointers.push_back(descriptors.back().get());
  }
  state.dropResult();
  state.result.emplace(resultRank);
  call(state.result->get(), pointers);
  return success();
}

FailureOr<Tensor> CPUModel::takeResult(RankState &rankState,
                                       std::string &error) const {
  auto &state = static_cast<CPURankState &>(rankState);
  if (!state.result) {
    error = "the model has not run";
    return failure();
  }
  Tensor t = takeTensor(*state.result); // frees the allocation
  state.result.reset();
  return t;
}

std::optional<MemRefDescriptor>
CPUModel::callInPlace(ArrayRef<const Tensor *> args, std::string &error) const {
  if (!checkArguments(
          args.size(),
          [&](size_t i) { return ArrayRef<int64_t>(args[i]->shape); }, error))
    return std::nullopt;
  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(args.size());
  std::vector<void *> pointers;
  // Weights the entry takes packed are packed for this call alone.
  std::vector<Tensor> packed;
  packed.reserve(packedWeights.size());
  for (auto [i, arg] : llvm::enumerate(args)) {
    const Tensor *t = arg;
    if (const PackedWeight *w = packedWeight(i)) {
      packed.push_back(packWeight(*w, *t));
      t = &packed.back();
    }
    descriptors.emplace_back(const_cast<float *>(t->data.data()), t->shape);
    pointers.push_back(descriptors.back().get());
  }
  MemRefDescriptor result(resultRank);
  call(result.get(), pointers);
  return result;
}

FailureOr<Tensor> CPUModel::invoke(ArrayRef<Tensor> args,
                                   std::string &error) const {
  // The tensors are passed in place, not copied.
  SmallVector<const Tensor *> pointers;
  for (const Tensor &t : args)
    pointers.push_back(&t);
  std::optional<MemRefDescriptor> result = callInPlace(pointers, error);
  if (!result)
    return failure();
  return takeTensor(*result);
}

LogicalResult CPUModel::invokeDiscardingResult(ArrayRef<const Tensor *> args,
                                               std::string &error) const {
  std::optional<MemRefDescriptor> result = callInPlace(args, error);
  if (!result)
    return failure();
  std::free(result->getAllocated());
  return success();
}
