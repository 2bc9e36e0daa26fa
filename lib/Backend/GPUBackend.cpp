//===- GPUBackend.cpp - compile partitioned tp IR for NVIDIA GPUs ---------===//

#include "tp-mlir/Backend/GPUBackend.h"

#include "tp-mlir/Backend/CPUBackend.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Runtime/GPU.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <optional>

using namespace mlir;
using namespace mlir::tp;

void mlir::tp::registerGPUBackendDialects(DialectRegistry &registry) {
  registerCPUBackendDialects(registry);
  // gpu.binary, gpu.launch_func and the NVVM target's translations.
  registerAllToLLVMIRTranslations(registry);
}

GPUModel::~GPUModel() = default;

namespace {
/// A rank's arguments in its device memory, and its last result there.
struct GPURankState final : CompiledModel::RankState {
  struct Buffer {
    float *data = nullptr;
    SmallVector<int64_t> shape;
  };
  SmallVector<Buffer> args;
  std::optional<MemRefDescriptor> result;

  void dropResult() {
    if (result)
      rt::freeOnDevice(result->getAllocated());
    result.reset();
  }
  ~GPURankState() override {
    dropResult();
    for (Buffer &b : args)
      rt::freeOnDevice(b.data);
  }
};
} // namespace

FailureOr<std::unique_ptr<GPUModel>>
GPUModel::compile(ModuleOp spmdModule, StringRef entry,
                  const GPUCompileOptions &options) {
  DialectRegistry registry;
  registerGPUBackendDialects(registry);
  spmdModule.getContext()->appendDialectRegistry(registry);

  auto model = std::unique_ptr<GPUModel>(new GPUModel());
  model->chip = options.chip;
  Target target;
  target.addPipeline = [&](OpPassManager &pm) {
    TPToGPUOptions lowering;
    lowering.matmul = options.matmul;
    lowering.profile = options.profile;
    lowering.chip = options.chip;
    addTPToGPUPipeline(pm, lowering);
  };
  for (auto symbolSet : {rt::getRuntimeSymbols(), rt::getGPURuntimeSymbols()})
    target.symbols.insert(target.symbols.end(), symbolSet.begin(),
                          symbolSet.end());
  // The module's constructor loads the cubin: in the JIT now, or, in an
  // object for linking, when the application starts.
  target.forLinking = options.forLinking;
  target.optLevel = options.optLevel;
  if (failed(model->CompiledModel::compile(spmdModule, entry, target)))
    return failure();
  return model;
}

std::string GPUModel::describeTarget() const {
  return "the GPU (" + chip + ")";
}

std::unique_ptr<CompiledModel::RankState>
GPUModel::placeArguments(ArrayRef<ArgumentWriter> args,
                         std::string &error) const {
  if (!checkArguments(args, error))
    return nullptr;
  auto state = std::make_unique<GPURankState>();
  for (const ArgumentWriter &arg : args) {
    int64_t bytes = 4 * numElements(arg.shape);
    auto *device = static_cast<float *>(rt::allocateOnDevice(bytes, error));
    if (!device)
      return nullptr;
    state->args.push_back({device, SmallVector<int64_t>(arg.shape)});
    bool copied = true;
    if (llvm::Error e =
            arg.write([&](int64_t at, const char *src, int64_t size) {
              if (copied)
                copied = rt::copyBytesToDevice(
                    reinterpret_cast<char *>(device) + at, src, size, error);
            })) {
      error = llvm::toString(std::move(e));
      return nullptr;
    }
    if (!copied)
      return nullptr;
  }
  // The copies are in flight until the stream reaches them.
  if (!rt::synchronizeRank(error))
    return nullptr;
  return state;
}

LogicalResult GPUModel::run(RankState &rankState, std::string &error) const {
  auto &state = static_cast<GPURankState &>(rankState);
  state.dropResult();
  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(state.args.size());
  std::vector<void *> pointers;
  for (GPURankState::Buffer &b : state.args) {
    descriptors.emplace_back(b.data, b.shape);
    pointers.push_back(descriptors.back().get());
  }
  MemRefDescriptor result(resultRank);
  call(result.get(), pointers);
  state.result = std::move(result);
  // The run is complete, and its errors known, when the stream is idle.
  return success(rt::synchronizeRank(error));
}

FailureOr<Tensor> GPUModel::takeResult(RankState &rankState,
                                       std::string &error) const {
  auto &state = static_cast<GPURankState &>(rankState);
  if (!state.result) {
    error = "the model has not run";
    return failure();
  }
  const MemRefDescriptor &d = *state.result;
  ArrayRef<int64_t> sizes = d.getSizes(), strides = d.getStrides();
  int64_t rank = d.getRank();
  // Rows of the last dimension, `ld` apart: every layout compiled code
  // returns (a fresh buffer, or a slice of one along the last dimension).
  int64_t cols = rank ? sizes[rank - 1] : 1;
  int64_t rows = 1;
  for (int64_t k = 0; k + 1 < rank; ++k)
    rows *= sizes[k];
  // A dimension of size 1 may have any stride: the row pitch is that of
  // the innermost leading dimension with more than one row.
  int64_t ld = cols;
  for (int64_t k = rank - 2; k >= 0; --k)
    if (sizes[k] > 1) {
      ld = strides[k];
      break;
    }
  bool plain = (rank == 0 || cols <= 1 || strides[rank - 1] == 1) &&
               (rows <= 1 || ld >= cols);
  for (int64_t k = 0; plain && k + 2 < rank; ++k)
    plain = sizes[k] <= 1 || strides[k] == strides[k + 1] * sizes[k + 1];
  if (!plain) {
    error = "the compiled function returned a strided layout the GPU backend "
            "cannot copy back";
    return failure();
  }
  Tensor t(SmallVector<int64_t>(sizes.begin(), sizes.end()));
  if (!rt::copyToHost(t.data.data(), d.getData(), rows, cols, ld, error))
    return failure();
  state.dropResult();
  return t;
}
