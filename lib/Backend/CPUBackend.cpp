//===- CPUBackend.cpp - compile partitioned tp IR and run it on threads ---===//

#include "tp-mlir/Backend/CPUBackend.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Pipelines/Pipelines.h"
#include "tp-mlir/Runtime/BLASKernels.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <mutex>

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
/// A C-interface memref descriptor of any rank:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
class Descriptor {
public:
  Descriptor(int64_t rank) : words(3 + 2 * rank, 0), rank(rank) {}
  /// Describes the row-major data of `t` (not copied; `t` must outlive it).
  explicit Descriptor(const Tensor &t) : Descriptor(t.getRank()) {
    auto *data = const_cast<float *>(t.data.data());
    words[0] = reinterpret_cast<int64_t>(data);
    words[1] = reinterpret_cast<int64_t>(data);
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      words[3 + d] = t.shape[d];
      words[3 + rank + d] = stride;
      stride *= t.shape[d];
    }
  }
  void *get() { return words.data(); }

  /// Copies the described data into a tensor and frees its allocation,
  /// which compiled code made with malloc and handed to the caller.
  Tensor takeTensor() {
    SmallVector<int64_t> shape(words.begin() + 3, words.begin() + 3 + rank);
    Tensor t(shape);
    auto *base = reinterpret_cast<float *>(words[1]) + words[2];
    SmallVector<int64_t> index(rank, 0);
    for (size_t i = 0; i < t.data.size(); ++i) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += index[d] * words[3 + rank + d];
      t.data[i] = base[offset];
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < shape[d])
          break;
        index[d] = 0;
      }
    }
    std::free(reinterpret_cast<void *>(words[0]));
    return t;
  }

private:
  std::vector<int64_t> words;
  int64_t rank;
};
} // namespace

FailureOr<std::unique_ptr<CPUModel>>
CPUModel::compile(ModuleOp spmdModule, StringRef entry,
                  const CPUCompileOptions &options) {
  static std::once_flag initTarget;
  std::call_once(initTarget, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  auto fn =
      dyn_cast_or_null<FunctionOpInterface>(spmdModule.lookupSymbol(entry));
  if (!fn)
    return spmdModule.emitError()
           << "no function named '" << entry << "' to compile";
  if (!fn->hasAttr(TPDialect::kSPMDAttrName))
    return fn.emitError() << "is not partitioned; run tp-partition first";
  if (fn.getNumResults() != 1 || !isa<RankedTensorType>(fn.getResultTypes()[0]))
    return fn.emitError() << "compiled functions return exactly one tensor, "
                             "found "
                          << fn.getNumResults() << " results";
  // The host passes and reads f32 buffers; another element type would be
  // reinterpreted, not converted.
  for (Type type : llvm::concat<const Type>(fn.getArgumentTypes(),
                                            fn.getResultTypes())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.getElementType().isF32())
      return fn.emitError() << "compiled functions take and return f32 "
                               "tensors, found "
                            << type;
  }

  auto model = std::unique_ptr<CPUModel>(new CPUModel());
  model->numDevices = lookupMesh(fn).getNumDevices();
  model->numArgs = fn.getNumArguments();
  model->resultRank = cast<RankedTensorType>(fn.getResultTypes()[0]).getRank();
  for (Type t : fn.getArgumentTypes())
    model->argShapes.push_back(
        SmallVector<int64_t>(cast<RankedTensorType>(t).getShape()));

  MLIRContext *ctx = spmdModule.getContext();
  DialectRegistry registry;
  registerCPUBackendDialects(registry);
  ctx->appendDialectRegistry(registry);
  OwningOpRef<ModuleOp> module = spmdModule.clone();
  PassManager pm(ctx);
  TPToLLVMOptions lowering;
  lowering.matmul = options.matmul;
  lowering.profile = options.profile;
  addTPToLLVMPipeline(pm, lowering);
  if (failed(pm.run(*module)))
    return failure();
  // The profile names survive lowering on the function.
  module->walk([&](Operation *op) {
    if (auto names = op->getAttrOfType<ArrayAttr>(TPDialect::kProfileAttrName))
      if (SymbolTable::getSymbolName(op) == entry)
        for (Attribute name : names)
          model->profileNames.push_back(cast<StringAttr>(name).str());
  });

  auto transformer = makeOptimizingTransformer(options.optLevel, 0, nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // Only an object meant for linking needs to be kept for dumping.
  engineOptions.enableObjectDump = options.forLinking;
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  if (options.forLinking) {
    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!builder)
      return fn.emitError() << "cannot target this host: "
                            << llvm::toString(builder.takeError());
    builder->setRelocationModel(llvm::Reloc::PIC_);
    builder->setCodeModel(llvm::CodeModel::Small);
    auto tm = builder->createTargetMachine();
    if (!tm)
      return fn.emitError() << "cannot create a target machine: "
                            << llvm::toString(tm.takeError());
    targetMachine = std::move(*tm);
  }
  auto engine =
      ExecutionEngine::create(*module, engineOptions, std::move(targetMachine));
  if (!engine)
    return fn.emitError() << "JIT compilation failed: "
                          << llvm::toString(engine.takeError());
  model->engine = std::move(*engine);
  model->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    for (auto symbolSet : {rt::getRuntimeSymbols(), rt::getBLASRuntimeSymbols()})
      for (auto &[name, address] : symbolSet)
        symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                   llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  model->engine->initialize();
  auto function = model->engine->lookupPacked(("_mlir_ciface_" + entry).str());
  if (!function)
    return fn.emitError() << "cannot find the compiled entry point: "
                          << llvm::toString(function.takeError());
  model->function = *function;
  return model;
}

FailureOr<Tensor> CPUModel::invoke(ArrayRef<Tensor> args,
                                   std::string &error) const {
  if (args.size() != numArgs) {
    error = "the compiled function takes " + std::to_string(numArgs) +
            " arguments, " + std::to_string(args.size()) + " were given";
    return failure();
  }
  for (auto [i, t] : llvm::enumerate(args)) {
    ArrayRef<int64_t> expected = argShapes[i];
    bool fits = static_cast<size_t>(t.getRank()) == expected.size();
    for (size_t d = 0; fits && d < expected.size(); ++d)
      fits = ShapedType::isDynamic(expected[d]) || expected[d] == t.shape[d];
    if (!fits) {
      std::string type;
      llvm::raw_string_ostream os(type);
      llvm::interleave(expected, os, [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      }, "x");
      error = "argument #" + std::to_string(i) + " has shape " +
              t.shapeString() + ", the compiled function takes " + type;
      return failure();
    }
  }
  Descriptor result(resultRank);
  void *resultPtr = result.get();
  std::vector<Descriptor> descriptors;
  descriptors.reserve(numArgs);
  for (const Tensor &t : args)
    descriptors.emplace_back(t);
  std::vector<void *> pointers;
  for (Descriptor &d : descriptors)
    pointers.push_back(d.get());
  std::vector<void *> packed{&resultPtr};
  for (void *&p : pointers)
    packed.push_back(&p);
  function(packed.data());
  return result.takeTensor();
}

llvm::Error CPUModel::writeObjectFile(StringRef path) {
  // The engine dumps its object through a stream that aborts the process on
  // a write error (a full disk, /dev/full); it writes to a temporary file,
  // and the copy to `path` checks every write.
  SmallString<128> temporary;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("tp-compile", "o", temporary))
    return llvm::createStringError(ec, "cannot make a temporary file: %s",
                                   ec.message().c_str());
  llvm::FileRemover remover(temporary);
  engine->dumpToObjectFile(temporary);
  auto object = llvm::MemoryBuffer::getFile(temporary, /*IsText=*/false);
  if (!object || (*object)->getBufferSize() == 0)
    return llvm::createStringError(std::errc::io_error,
                                   "the JIT wrote no object code");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "%s", ec.message().c_str());
  os << (*object)->getBuffer();
  os.close();
  if (os.has_error()) {
    ec = os.error();
    os.clear_error();
    return llvm::createStringError(ec, "%s", ec.message().c_str());
  }
  return llvm::Error::success();
}
