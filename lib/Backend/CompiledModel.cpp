//===- CompiledModel.cpp - what every backend's compiled model shares -----===//

#include "tp-mlir/Backend/CompiledModel.h"

#include "tp-mlir/Backend/CPUBackend.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Runtime/EntryPoints.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>
#include <mutex>

using namespace mlir;
using namespace mlir::tp;

CompiledModel::CompiledModel() = default;
CompiledModel::~CompiledModel() = default;
CompiledModel::RankState::~RankState() = default;

MemRefDescriptor::MemRefDescriptor(float *data, ArrayRef<int64_t> shape)
    : MemRefDescriptor(static_cast<int64_t>(shape.size())) {
  words[0] = reinterpret_cast<int64_t>(data);
  words[1] = reinterpret_cast<int64_t>(data);
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    words[3 + d] = shape[d];
    words[3 + rank + d] = stride;
    stride *= shape[d];
  }
}

/// The words of tp_rt_check_entry's spec (EntryPoints.h's kCheckEntry) for
/// `fn`, and its arguments' names, from the manifest the C header prints.
static void describeArguments(FunctionOpInterface fn, int64_t devices,
                              SmallVectorImpl<int64_t> &spec,
                              std::string &names) {
  spec.assign({devices, static_cast<int64_t>(fn.getNumArguments()),
               cast<RankedTensorType>(fn.getResultTypes()[0]).getRank()});
  for (const ArgumentManifest &arg : getArgumentManifest(fn, devices)) {
    spec.append({arg.rank, static_cast<int64_t>(names.size()),
                 static_cast<int64_t>(arg.name.size())});
    names += arg.name.str();
    for (int64_t v : arg.shape)
      spec.push_back(ShapedType::isDynamic(v) ? -1 : v);
    spec.push_back(arg.splitDim);
    if (arg.splitDim >= 0)
      llvm::append_range(spec, arg.sizes);
  }
}

/// Has the C interface of an object's entry check the caller's descriptors
/// before anything reads them (tp_rt_check_entry). The compiled code trusts
/// them: a shard of the wrong size, a batch that differs between
/// arguments, or strides it does not expect would give wrong output or
/// read out of bounds, with nothing said. On a mismatch the entry returns
/// at once, the job failed and the result's descriptor cleared.
static LogicalResult guardCInterface(ModuleOp module, StringRef cInterface,
                                     FunctionOpInterface fn, int64_t devices) {
  auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(cInterface);
  if (!ciface || ciface.isExternal() ||
      ciface.getNumArguments() != fn.getNumArguments() + 1 ||
      !isa<LLVM::LLVMVoidType>(ciface.getFunctionType().getReturnType()))
    return fn.emitError() << "internal error: no C interface '" << cInterface
                          << "' that takes the result and "
                          << fn.getNumArguments()
                          << " argument(s) and returns nothing";
  SmallVector<int64_t> spec;
  std::string names;
  describeArguments(fn, devices, spec, names);

  MLIRContext *context = module.getContext();
  Location loc = ciface.getLoc();
  OpBuilder b(context);
  auto i8 = IntegerType::get(context, 8);
  auto i32 = IntegerType::get(context, 32);
  auto i64 = IntegerType::get(context, 64);
  auto ptr = LLVM::LLVMPointerType::get(context);
  SymbolTable symbols(module);
  b.setInsertionPointToStart(module.getBody());
  std::string prefix = ("__tp_check." + fn.getName()).str();
  auto specGlobal = LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(i64, spec.size()),
      /*isConstant=*/true, LLVM::Linkage::Internal, prefix + ".spec",
      DenseIntElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(spec.size())}, i64),
          ArrayRef<int64_t>(spec)));
  // NUL-terminated, so that the entry's name can be printed as it is and
  // an empty blob is still an array.
  auto stringGlobal = [&](StringRef suffix, StringRef text) {
    std::string value = text.str();
    value.push_back('\0');
    return LLVM::GlobalOp::create(
        b, loc, LLVM::LLVMArrayType::get(i8, value.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal, prefix + suffix.str(),
        b.getStringAttr(value));
  };
  auto namesGlobal = stringGlobal(".names", names);
  auto entryGlobal = stringGlobal(".entry", fn.getName());
  // Renamed if the module held those names already.
  for (Operation *global : {specGlobal, namesGlobal, entryGlobal})
    symbols.insert(global);
  auto check = module.lookupSymbol<LLVM::LLVMFuncOp>(rt::entry::kCheckEntry);
  if (!check)
    check = LLVM::LLVMFuncOp::create(
        b, loc, rt::entry::kCheckEntry,
        LLVM::LLVMFunctionType::get(i32, {ptr, ptr, ptr, ptr}));

  // The array of descriptors: a cut entry's C interface fills one for the
  // body (tp-outline-segments), and the check goes right before that call,
  // so that only the array's pointer is used past the branch. Otherwise
  // one is filled first. Either way every argument is read in the entry
  // block: used in another block, each would be kept in a register or
  // spilled, and LLVM's scheduler would compare every pair of those at
  // depth (1,000 layers: 2 s more).
  Block *entryBlock = &ciface.getBody().front();
  std::string packedName = (fn.getName() + rt::entry::kPackedSuffix).str();
  LLVM::CallOp packedCall;
  for (auto call : entryBlock->getOps<LLVM::CallOp>())
    if (call.getCallee() == packedName && call.getNumOperands() == 1)
      packedCall = call;
  Value array;
  if (packedCall) {
    b.setInsertionPoint(packedCall);
    array = packedCall.getOperand(0);
  } else {
    b.setInsertionPointToStart(entryBlock);
    int64_t slots = fn.getNumArguments() + 1;
    Value count =
        LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(slots));
    array = LLVM::AllocaOp::create(b, loc, ptr, ptr, count);
    for (int64_t i = 0; i < slots; ++i) {
      Value slot =
          LLVM::GEPOp::create(b, loc, ptr, ptr, array,
                              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(b, loc, ciface.getArgument(i), slot);
    }
  }
  Value ok =
      LLVM::CallOp::create(
          b, loc, check,
          ValueRange{LLVM::AddressOfOp::create(b, loc, entryGlobal),
                     LLVM::AddressOfOp::create(b, loc, specGlobal),
                     LLVM::AddressOfOp::create(b, loc, namesGlobal), array})
          .getResult();
  Value zero = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0));
  Value fits = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, ok, zero);
  Block *body = entryBlock->splitBlock(b.getInsertionPoint());
  Block *fail = b.createBlock(body);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  b.setInsertionPointToEnd(entryBlock);
  LLVM::CondBrOp::create(b, loc, fits, body, fail);
  return success();
}

LogicalResult CompiledModel::compile(ModuleOp spmdModule, StringRef entry,
                                     const Target &target) {
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
  for (Type type :
       llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.getElementType().isF32())
      return fn.emitError() << "compiled functions take and return f32 "
                               "tensors, found "
                            << type;
  }

  numDevices = lookupMesh(fn).getNumDevices();
  numArgs = fn.getNumArguments();
  resultRank = cast<RankedTensorType>(fn.getResultTypes()[0]).getRank();
  for (Type t : fn.getArgumentTypes())
    argShapes.push_back(
        SmallVector<int64_t>(cast<RankedTensorType>(t).getShape()));

  OwningOpRef<ModuleOp> module = spmdModule.clone();
  PassManager pm(spmdModule.getContext());
  // Verifying the module after each of the lowering's forty-odd passes
  // costs as much as running them (measured: 1.0 of 2.3 s at 400 layers);
  // the result is verified once, at the end.
  pm.enableVerifier(false);
  target.addPipeline(pm);
  if (failed(pm.run(*module)))
    return failure();
  if (failed(verify(*module)))
    return fn.emitError() << "the lowered module does not verify";
  // The profile names survive lowering on the function, or on the body
  // that tp-outline-segments makes of it.
  std::string cInterface = (rt::entry::kCInterfacePrefix + entry).str();
  std::string packedName = (entry + rt::entry::kPackedSuffix).str();
  // So do the weights it takes packed.
  module->walk([&](Operation *op) {
    auto name = op->getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!name || (name != entry && name != packedName))
      return;
    if (auto names = op->getAttrOfType<ArrayAttr>(TPDialect::kProfileAttrName))
      for (Attribute name : names)
        profileNames.push_back(cast<StringAttr>(name).str());
    if (packedWeights.empty())
      packedWeights = mlir::tp::getPackedWeights(op);
  });
  for (const PackedWeight &w : packedWeights)
    if (w.argument >= numArgs ||
        ArrayRef<int64_t>(argShapes[w.argument]) != ArrayRef<int64_t>(w.shape))
      return fn.emitError() << "internal error: the lowering packed argument #"
                            << w.argument << " as a weight of another shape";

  // Hosts call the C interface (_mlir_ciface_<entry>). The function behind
  // it takes every memref argument expanded into scalars, about 14 per
  // weight; kept external, it would be called with all of them at once, by
  // the wrapper and by the ExecutionEngine's packed wrapper, and LLVM's
  // scheduler compares every pair of those argument stores. Internal, it is
  // inlined into the wrapper, which reads each field where it is used.
  if (auto lowered = module->lookupSymbol<LLVM::LLVMFuncOp>(entry))
    lowered.setLinkage(LLVM::Linkage::Internal);
  // A cut entry takes its arguments as one array (rt::entry::kPackedSuffix);
  // the JIT calls it so, and its C interface, a call of every argument
  // at once, is only for objects that applications link.
  bool packedEntry = module->lookupSymbol<LLVM::LLVMFuncOp>(packedName) &&
                     module->lookupSymbol<LLVM::LLVMFuncOp>(cInterface);
  if (packedEntry && !target.forLinking)
    module->lookupSymbol<LLVM::LLVMFuncOp>(cInterface).erase();
  if (target.forLinking) {
    if (failed(guardCInterface(*module, cInterface, fn, numDevices)))
      return failure();
    return emitObject(*module, fn, target.optLevel);
  }
  auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!host)
    return fn.emitError() << "cannot target this host: "
                          << llvm::toString(host.takeError());
  auto hostMachine = host->createTargetMachine();
  if (!hostMachine)
    return fn.emitError() << "cannot create a target machine: "
                          << llvm::toString(hostMachine.takeError());
  // LLVM optimizes for this host: without its target machine the cost
  // models see no vector registers, and the loop vectorizer leaves every
  // epilogue scalar. ExecutionEngineOptions::transformer is a
  // function_ref: the transformer must outlive create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(target.optLevel, 0, hostMachine->get());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  static constexpr llvm::CodeGenOptLevel codeGenLevels[] = {
      llvm::CodeGenOptLevel::None, llvm::CodeGenOptLevel::Less,
      llvm::CodeGenOptLevel::Default, llvm::CodeGenOptLevel::Aggressive};
  engineOptions.jitCodeGenOptLevel =
      codeGenLevels[std::min(target.optLevel, 3u)];
  auto created = ExecutionEngine::create(*module, engineOptions);
  if (!created)
    return fn.emitError() << "JIT compilation failed: "
                          << llvm::toString(created.takeError());
  engine = std::move(*created);
  std::vector<rt::RuntimeSymbol> symbols = target.symbols;
  engine->registerSymbols([&symbols](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    for (auto &[name, address] : symbols)
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                             llvm::JITSymbolFlags::Exported};
    return map;
  });
  // Runs the module's constructors: a GPU module loads its kernels.
  engine->initialize();
  if (packedEntry) {
    auto address = engine->lookup(packedName);
    if (!address)
      return fn.emitError() << "cannot find the compiled entry point: "
                            << llvm::toString(address.takeError());
    arrayFunction = reinterpret_cast<void (*)(void **)>(*address);
    return success();
  }
  auto packed = engine->lookupPacked(cInterface);
  if (!packed)
    return fn.emitError() << "cannot find the compiled entry point: "
                          << llvm::toString(packed.takeError());
  function = *packed;
  return success();
}

LogicalResult CompiledModel::emitObject(ModuleOp module, FunctionOpInterface fn,
                                        unsigned optLevel) {
  // Not through the JIT: ORC turns the module's constructors (a GPU
  // module's kernel loading) into its own initializers, which an
  // application linking the object would never run. A plain object keeps
  // them in .init_array.
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return fn.emitError() << "cannot target this host: "
                          << llvm::toString(builder.takeError());
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeModel(llvm::CodeModel::Small);
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = builder->createTargetMachine();
  if (!tm)
    return fn.emitError() << "cannot create a target machine: "
                          << llvm::toString(tm.takeError());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return fn.emitError() << "cannot translate the lowered module to LLVM IR";
  llvmModule->setTargetTriple((*tm)->getTargetTriple());
  llvmModule->setDataLayout((*tm)->createDataLayout());
  if (llvm::Error e =
          makeOptimizingTransformer(optLevel, 0, tm->get())(llvmModule.get()))
    return fn.emitError() << "LLVM optimization failed: "
                          << llvm::toString(std::move(e));
  llvm::SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, os, nullptr,
                                 llvm::CodeGenFileType::ObjectFile))
    return fn.emitError() << "this host's target cannot emit object files";
  codegen.run(*llvmModule);
  objectCode.assign(bytes.begin(), bytes.end());
  return success();
}

bool CompiledModel::checkArguments(
    size_t count, llvm::function_ref<ArrayRef<int64_t>(size_t)> shapeOf,
    std::string &error) const {
  if (count != numArgs) {
    error = "the compiled function takes " + std::to_string(numArgs) +
            " arguments, " + std::to_string(count) + " were given";
    return false;
  }
  for (size_t i = 0; i < count; ++i) {
    ArrayRef<int64_t> expected = argShapes[i], shape = shapeOf(i);
    bool fits = shape.size() == expected.size();
    for (size_t d = 0; fits && d < expected.size(); ++d)
      fits = ShapedType::isDynamic(expected[d]) || expected[d] == shape[d];
    if (!fits) {
      std::string message;
      llvm::raw_string_ostream os(message);
      os << "argument #" << i << " has shape " << formatShape(shape)
         << ", the compiled function takes ";
      llvm::interleave(
          expected, os,
          [&](int64_t d) {
            if (ShapedType::isDynamic(d))
              os << "?";
            else
              os << d;
          },
          "x");
      error = message;
      return false;
    }
  }
  return true;
}

namespace {
/// Calls JIT-compiled `fn`. UBSan's -fsanitize=function checks an indirect
/// call by reading the bytes just before the callee, where compiled C++
/// functions keep a type signature; code the JIT placed at the start of a
/// page has unmapped memory there, and the check itself faults.
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
__attribute__((noinline)) void
callCompiled(void (*fn)(void **), void **args) {
  fn(args);
}
} // namespace

void CompiledModel::call(void *resultDescriptor,
                         ArrayRef<void *> argDescriptors) const {
  if (arrayFunction) {
    std::vector<void *> array{resultDescriptor};
    array.insert(array.end(), argDescriptors.begin(), argDescriptors.end());
    callCompiled(arrayFunction, array.data());
    return;
  }
  if (!function) {
    llvm::errs() << "tp-mlir: a model compiled for linking cannot run; "
                    "compile it without forLinking\n";
    std::abort();
  }
  std::vector<void *> pointers(argDescriptors.begin(), argDescriptors.end());
  std::vector<void *> packed{&resultDescriptor};
  for (void *&p : pointers)
    packed.push_back(&p);
  callCompiled(function, packed.data());
}

llvm::Expected<StringRef> CompiledModel::getObjectFile() const {
  if (objectCode.empty())
    return llvm::createStringError(std::errc::invalid_argument,
                                   "the model was not compiled for linking");
  return StringRef(objectCode.data(), objectCode.size());
}
