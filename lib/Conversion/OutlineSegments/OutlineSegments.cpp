//===- OutlineSegments.cpp - bounded functions for LLVM -------------------===//
//
// Cuts each function's body into runs of consecutive top-level ops and
// moves every run into a function of its own, so that no function that
// reaches LLVM grows with the depth of the chain.
//
//===----------------------------------------------------------------------===//

#include "RollRepeats.h"
#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Runtime/EntryPoints.h"
#include "tp-mlir/Support/OptionErrors.h"
#include "tp-mlir/Support/Terminators.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tp {
#define GEN_PASS_DEF_OUTLINESEGMENTS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {

using rt::entry::kCInterfacePrefix;
using rt::entry::kPackedSuffix;

/// What stays in the function besides constants (which are cloned into
/// every segment that uses them): the terminator, and stack allocations,
/// whose memory would not outlive a segment.
bool staysOutside(Operation &op) {
  return isBlockTerminator(op) || isa<memref::AllocaOp>(op);
}

/// Moves `ops` (consecutive in their block, in order) into a new private
/// function placed after `after`, calls it where the last of them was, and
/// returns it and the call. Constants, and the ops in `cloned`, are cloned
/// into the function where it uses them, and their operands captured
/// instead.
std::pair<func::FuncOp, func::CallOp>
outline(ArrayRef<Operation *> ops, func::FuncOp parent, Operation *after,
        StringRef name, SymbolTable &symbols,
        const llvm::SmallPtrSetImpl<Operation *> &cloned, bool optimize) {
  llvm::SmallPtrSet<Operation *, 32> inside(ops.begin(), ops.end());
  Block *block = ops.front()->getBlock();
  // Arguments: values from outside the segment (constants are cloned in);
  // results: values of the segment used after it.
  llvm::SetVector<Value> captured;
  SmallVector<Operation *> constants; // in order, operands first
  llvm::SmallPtrSet<Operation *, 8> seenConstants;
  std::function<void(Value)> capture = [&](Value value) {
    Operation *def = value.getDefiningOp();
    if (def && inside.contains(def))
      return;
    if (def &&
        (def->hasTrait<OpTrait::ConstantLike>() || cloned.contains(def))) {
      if (seenConstants.insert(def).second) {
        for (Value operand : def->getOperands())
          capture(operand);
        constants.push_back(def);
      }
      return;
    }
    captured.insert(value);
  };
  SmallVector<Value> results;
  for (Operation *op : ops) {
    for (Value operand : op->getOperands())
      capture(operand);
    llvm::SetVector<Value> above;
    for (Region &region : op->getRegions())
      getUsedValuesDefinedAbove(region, above);
    for (Value value : above)
      capture(value);
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !inside.contains(block->findAncestorOpInBlock(*user));
          }))
        results.push_back(result);
  }

  MLIRContext *context = parent.getContext();
  OpBuilder builder(context);
  builder.setInsertionPointAfter(after);
  Location loc = ops.front()->getLoc();
  auto type =
      FunctionType::get(context, ValueRange(captured.getArrayRef()).getTypes(),
                        ValueRange(results).getTypes());
  auto fn = func::FuncOp::create(builder, loc, name, type);
  fn.setPrivate();
  // LLVM would inline a private function called once straight back.
  SmallVector<Attribute> passthrough{builder.getStringAttr("noinline")};
  if (!optimize)
    passthrough.push_back(builder.getStringAttr("optnone"));
  fn->setAttr("passthrough", builder.getArrayAttr(passthrough));
  // Internal to the module: a JIT makes a packed wrapper for every
  // external function (compile time for nothing, and LLVM cannot select
  // one that loads vector<Nxi1> arguments for AVX-512).
  fn->setAttr("llvm.linkage",
              LLVM::LinkageAttr::get(context, LLVM::Linkage::Internal));
  symbols.insert(fn);

  Block *body = fn.addEntryBlock();
  builder.setInsertionPointToStart(body);
  IRMapping mapping;
  for (auto [outer, inner] : llvm::zip(captured, body->getArguments()))
    mapping.map(outer, inner);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  for (Operation *op : ops)
    builder.clone(*op, mapping);
  SmallVector<Value> returned;
  for (Value result : results)
    returned.push_back(mapping.lookup(result));
  func::ReturnOp::create(builder, loc, returned);

  builder.setInsertionPoint(ops.back());
  auto call = func::CallOp::create(builder, loc, fn, captured.getArrayRef());
  for (auto [result, replacement] : llvm::zip(results, call.getResults()))
    result.replaceAllUsesWith(replacement);
  for (Operation *op : llvm::reverse(ops))
    op->erase();
  return {fn, call};
}

struct OutlineSegments
    : WithOptionErrors<tp::impl::OutlineSegmentsBase<OutlineSegments>> {
  using WithOptionErrors::WithOptionErrors;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (segmentOps < 1 || rollOps < 0) {
      module.emitError() << "tp-outline-segments: ops must be at least 1 and "
                            "roll-ops at least 0 (0: never roll), got ops="
                         << static_cast<int64_t>(segmentOps)
                         << " roll-ops=" << static_cast<int64_t>(rollOps);
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : functions) {
      if (fn.isExternal() || !fn.getBody().hasOneBlock())
        continue;
      Block &block = fn.getBody().front();
      if (static_cast<int64_t>(block.getOperations().size()) <= segmentOps)
        continue;
      shareLoops(fn, symbols);
      llvm::SmallPtrSet<Operation *, 32> cloned;
      SmallVector<SmallVector<Operation *>> segments =
          findSegments(block, cloned);
      if (segments.empty())
        continue;
      std::string name = fn.getName().str();
      Operation *original = fn;
      // `fn` may be erased: only `top` from here on.
      func::FuncOp top = forwardDescriptors(fn, symbols, cloned);
      Block &body = top.getBody().front();
      Value args =
          top.getOperation() == original ? Value() : body.getArgument(0);
      SmallVector<scf::ForOp> loops = rollRepeats(body, args, cloned, rollOps);
      Operation *after = top;
      for (auto [index, loop] : llvm::enumerate(loops)) {
        // A function of its own: stack allocations in the body are freed
        // on every return, not when the whole chain returns.
        SmallVector<Operation *> repetition =
            llvm::map_to_vector(loop.getBody()->without_terminator(),
                                [](Operation &op) { return &op; });
        after = outline(repetition, top, after,
                        name + ".rep" + std::to_string(index), symbols, cloned,
                        /*optimize=*/false)
                    .first;
      }
      // A loop is one op whose results are ranked memrefs and scalars:
      // cutting anew finds cuts as before (or none, and the body stays
      // whole).
      if (!loops.empty())
        segments = findSegments(body, cloned);
      for (auto [index, segment] : llvm::enumerate(segments))
        after =
            outline(segment, top, after, name + ".part" + std::to_string(index),
                    symbols, cloned, /*optimize=*/false)
                .first;
      // Descriptor loads that no op left in the function uses.
      for (Operation &op :
           llvm::make_early_inc_range(llvm::reverse(top.getBody().front())))
        if (cloned.contains(&op) && op.use_empty())
          op.erase();
    }
  }

  /// Moves each top-level op of `fn` that holds regions (a loop nest: a
  /// layer's epilogue, a fill, a copy) into a function of its own, and
  /// calls one function for every nest that is the same op for op, values
  /// from outside aside. A chain repeats a few kinds of layer, so LLVM
  /// optimizes and vectorizes each kind of loop once, not once per layer;
  /// the price is one call per nest.
  void shareLoops(func::FuncOp fn, SymbolTable &symbols) {
    llvm::StringMap<func::FuncOp> byBody;
    SmallVector<Operation *> nests;
    for (Operation &op : fn.getBody().front())
      if (op.getNumRegions() > 0 && !staysOutside(op) &&
          op.getNumResults() == 0)
        nests.push_back(&op);
    llvm::SmallPtrSet<Operation *, 1> none;
    Operation *after = fn;
    for (Operation *nest : nests) {
      std::string name = (fn.getName() + ".loop" + Twine(byBody.size())).str();
      auto [outlined, call] = outline({nest}, fn, after, name, symbols, none,
                                      /*optimize=*/true);
      // The function, printed without its name (or locations), says what
      // it does.
      std::string body;
      llvm::raw_string_ostream os(body);
      outlined.print(os, OpPrintingFlags().useLocalScope());
      size_t at = body.find("@" + name + "(");
      if (at != std::string::npos)
        body.erase(at + 1, name.size());
      auto [it, inserted] = byBody.try_emplace(body, outlined);
      if (inserted) {
        after = outlined;
        continue;
      }
      // An identical function exists: call it instead.
      call.setCallee(it->second.getSymName());
      symbols.erase(outlined);
    }
  }

  /// Replaces the public function `fn`, marked for the C interface, with
  /// two functions:
  /// - `<fn>.packed(ptr args)`, the body: `args` is an array of pointers,
  ///   to the result's descriptor first (if `fn` returns a memref), then
  ///   to each argument's descriptor. The descriptors are loaded at the
  ///   top of the body, and those loads are added to `cloned`, so that
  ///   each segment loads the descriptors it uses from `args`, and the
  ///   body passes segments one pointer, not every field of every
  ///   argument (seven words for a matrix).
  /// - `_mlir_ciface_<fn>`, the C interface MLIR's own wrapper would have
  ///   made (the result's pointer, then one per argument), which fills the
  ///   array and calls the body.
  /// Otherwise a function of depth L reads and passes on some 14 L words
  /// in one block, and so do MLIR's packed wrapper and the C interface,
  /// in one call each: LLVM's instruction selection and schedulers take
  /// superlinear time over such blocks. A host can call the body with an
  /// array it fills itself, and compile neither wrapper.
  /// Returns the function to cut: the body, or `fn` where the interface is
  /// not wanted or not plain (several results, an argument or result that
  /// is not a ranked memref, callers inside the module).
  func::FuncOp forwardDescriptors(func::FuncOp fn, SymbolTable &symbols,
                                  llvm::SmallPtrSetImpl<Operation *> &cloned) {
    MLIRContext *context = fn.getContext();
    std::string interfaceName = (kCInterfacePrefix + fn.getName()).str();
    std::string bodyName = (fn.getName() + kPackedSuffix).str();
    auto isMemRef = [](Type t) { return isa<MemRefType>(t); };
    if (!fn->hasAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName()) ||
        !fn.isPublic() || fn.getNumResults() > 1 ||
        !llvm::all_of(fn.getResultTypes(), isMemRef) ||
        !llvm::all_of(fn.getArgumentTypes(), isMemRef) ||
        !SymbolTable::symbolKnownUseEmpty(fn, getOperation()) ||
        symbols.lookup(interfaceName) || symbols.lookup(bodyName))
      return fn;
    LLVMTypeConverter converter(context);
    for (Type type :
         llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes()))
      if (!converter.convertType(type))
        return fn;

    auto pointer = LLVM::LLVMPointerType::get(context);
    bool returnsMemRef = fn.getNumResults() == 1;
    unsigned slots = returnsMemRef + fn.getNumArguments();
    OpBuilder builder(context);
    builder.setInsertionPoint(fn);
    Location loc = fn.getLoc();

    // The body.
    auto top = func::FuncOp::create(builder, loc, bodyName,
                                    FunctionType::get(context, {pointer}, {}));
    for (NamedAttribute attr : fn->getDiscardableAttrs())
      if (attr.getName() != LLVM::LLVMDialect::getEmitCWrapperAttrName())
        top->setAttr(attr.getName(), attr.getValue());
    Block *body = top.addEntryBlock();
    Value args = body->getArgument(0);
    builder.setInsertionPointToStart(body);
    // The pointer in slot `index` of `args`.
    auto slot = [&](unsigned index) {
      auto address = LLVM::GEPOp::create(
          builder, loc, pointer, pointer, args,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(index)});
      auto load = LLVM::LoadOp::create(builder, loc, pointer, address);
      cloned.insert(address);
      cloned.insert(load);
      return load.getResult();
    };
    Block &old = fn.getBody().front();
    for (auto [index, arg] : llvm::enumerate(old.getArguments())) {
      auto load = LLVM::LoadOp::create(builder, loc,
                                       converter.convertType(arg.getType()),
                                       slot(index + returnsMemRef));
      auto cast = UnrealizedConversionCastOp::create(
          builder, loc, TypeRange{arg.getType()}, ValueRange{load});
      cloned.insert(load);
      cloned.insert(cast);
      arg.replaceAllUsesWith(cast.getResult(0));
    }
    body->getOperations().splice(body->end(), old.getOperations());
    auto ret = cast<func::ReturnOp>(body->getTerminator());
    if (returnsMemRef) {
      builder.setInsertionPoint(ret);
      Value result = ret.getOperand(0);
      auto descriptor = UnrealizedConversionCastOp::create(
          builder, loc, TypeRange{converter.convertType(result.getType())},
          ValueRange{result});
      LLVM::StoreOp::create(builder, loc, descriptor.getResult(0), slot(0));
      ret->setOperands({});
    }

    // The C interface.
    builder.setInsertionPointAfter(top);
    auto wrapper = func::FuncOp::create(
        builder, loc, interfaceName,
        FunctionType::get(context, SmallVector<Type>(slots, pointer), {}));
    Block *entry = wrapper.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    auto one = LLVM::ConstantOp::create(builder, loc, builder.getI64Type(),
                                        builder.getI64IntegerAttr(1));
    auto arrayType = LLVM::LLVMArrayType::get(pointer, slots);
    Value array = LLVM::AllocaOp::create(builder, loc, pointer, arrayType, one);
    for (unsigned i = 0; i < slots; ++i) {
      auto address =
          LLVM::GEPOp::create(builder, loc, pointer, pointer, array,
                              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(builder, loc, entry->getArgument(i), address);
    }
    func::CallOp::create(builder, loc, top, ValueRange{array});
    func::ReturnOp::create(builder, loc);

    symbols.erase(fn);
    symbols.insert(top);
    symbols.insert(wrapper);
    return top;
  }

  /// Runs of about `segmentOps` top-level ops of `block` (constants and
  /// the descriptor loads in `cloned` aside), cut where no
  /// value that cannot cross a call is live and before each op that stays
  /// outside; none if the block cannot be cut. The caller skips blocks of
  /// no more than `segmentOps` ops.
  SmallVector<SmallVector<Operation *>>
  findSegments(Block &block, const llvm::SmallPtrSetImpl<Operation *> &cloned) {
    SmallVector<SmallVector<Operation *>> segments;
    SmallVector<Operation *> current;
    auto close = [&]() {
      if (current.empty())
        return true;
      if (!canEndAfter(current))
        return false;
      segments.push_back(std::move(current));
      current.clear();
      return true;
    };
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::ConstantLike>() || cloned.contains(&op))
        continue;
      if (staysOutside(op)) {
        // It may use what the segment so far makes.
        if (!close())
          return {};
        continue;
      }
      current.push_back(&op);
      if (static_cast<int64_t>(current.size()) >= segmentOps)
        (void)close(); // or grow until a cut is possible
    }
    if (!close())
      return {};
    return segments;
  }

  /// Whether `segment` may end here: none of its values that cannot cross
  /// a call is used after it.
  static bool canEndAfter(ArrayRef<Operation *> segment) {
    llvm::SmallPtrSet<Operation *, 32> inside(segment.begin(), segment.end());
    Block *block = segment.front()->getBlock();
    for (Operation *op : segment)
      for (Value result : op->getResults())
        if (!canCross(result.getType()) &&
            llvm::any_of(result.getUsers(), [&](Operation *user) {
              return !inside.contains(block->findAncestorOpInBlock(*user));
            }))
          return false;
    return true;
  }
};

} // namespace
